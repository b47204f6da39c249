"""Background work of the connectors: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from coursebridge.core import jobs


@shared_task(name="connectors.sync", acks_late=True)
def sync_connection(job_id: int) -> None:
    """Run the connection the job names; the job row follows the run's progress."""
    from coursebridge.connectors.sync import sync_for_job

    try:
        sync_for_job(job_id=job_id)
    except Exception as exc:
        jobs.job_fail(job_id=job_id, error=f"The sync failed: {exc.__class__.__name__}.")
        raise


@shared_task(name="connectors.schedule_due", acks_late=True)
def schedule_due() -> None:
    """Every few minutes: queue the daily run of each connection whose sync time has come."""
    from coursebridge.connectors.models import Connection, RunTrigger
    from coursebridge.connectors.services import connections_due, sync_start
    from coursebridge.core.errors import DomainError

    for connection_id in connections_due():
        try:
            # A reconcile: the whole catalogue is read and compared; only what changed is written.
            sync_start(connection=Connection.objects.get(pk=connection_id), trigger=RunTrigger.SCHEDULE, full=False)
        except DomainError:
            continue  # a run is going on: the daily run is covered by it
