"""Background work of the reports: thin tasks that take ids (or a day) and call one service."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from coursebridge.core import jobs


@shared_task(name="reporting.export_activity_report", acks_late=True)
def export_activity_report(job_id: int) -> None:
    from coursebridge.reporting.activity import activity_export_run

    try:
        activity_export_run(job_id=job_id)
    except Exception as exc:
        # The job row says it failed (the page stops its progress bar); the worker logs the traceback.
        jobs.job_fail(job_id=job_id, error=f"The export failed: {exc.__class__.__name__}.")
        raise


@shared_task(name="reporting.snapshot_measured_time", acks_late=True)
def snapshot_measured_time(day: str | None = None) -> int:
    """Daily (beat): record yesterday's measured time per learner and course as activity days.
    Idempotent: running it again for the same day writes the same rows."""
    from coursebridge.reporting.services import activity_snapshot_measured

    return activity_snapshot_measured(day=date.fromisoformat(day) if day else None)
