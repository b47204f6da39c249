"""Background work of the marketplace: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from coursebridge.core import jobs


def _run_job(job_id: int, run: object) -> None:
    try:
        run(job_id=job_id)  # type: ignore[operator]
    except Exception as exc:
        # The job row must say it failed so the page stops its progress bar; re-raised for the worker's log.
        jobs.job_fail(job_id=job_id, error=f"The job failed: {exc.__class__.__name__}.")
        raise


@shared_task(name="marketplace.library_add", acks_late=True)
def library_add(job_id: int) -> None:
    from coursebridge.marketplace.delivery import library_add_run

    _run_job(job_id, library_add_run)


@shared_task(name="marketplace.deliver", acks_late=True)
def deliver(job_id: int) -> None:
    from coursebridge.marketplace.delivery import delivery_run

    _run_job(job_id, delivery_run)


@shared_task(name="marketplace.legacy_send", acks_late=True)
def legacy_send(job_id: int) -> None:
    from coursebridge.marketplace.delivery import legacy_send_run

    _run_job(job_id, legacy_send_run)


@shared_task(name="marketplace.send_webhook", acks_late=True)
def send_webhook(event_id: int) -> None:
    from coursebridge.marketplace.models import WebhookEvent
    from coursebridge.marketplace.webhooks import WebhookFailed, backoff_seconds, webhook_attempt

    try:
        webhook_attempt(event_id=event_id)
    except WebhookFailed:
        # Only the LMS's refusal or silence is retried; the attempt is logged and the next one is
        # scheduled with backoff (a new message, so a worker restart in between loses nothing).
        attempts = WebhookEvent.objects.values_list("attempts", flat=True).get(pk=event_id)
        send_webhook.apply_async(args=(event_id,), countdown=backoff_seconds(attempts))


@shared_task(name="marketplace.retire_due", acks_late=True)
def retire_due() -> None:
    from coursebridge.marketplace.services import courses_retire_due

    courses_retire_due()
