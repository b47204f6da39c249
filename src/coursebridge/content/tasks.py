"""Background work of the content app: thin tasks that call one service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="content.purge_aicc_sessions", acks_late=True)
def purge_aicc_sessions() -> int:
    from coursebridge.content.aicc_runtime import SESSION_KEPT, aicc_sessions_purge

    deleted = aicc_sessions_purge()
    logger.info("Deleted %d HACP sessions unused for %d days.", deleted, SESSION_KEPT.days)
    return deleted
