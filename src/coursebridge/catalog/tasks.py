"""Background work of the catalogue: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from coursebridge.core import jobs


@shared_task(name="catalog.export_courses", acks_late=True)
def export_courses(job_id: int) -> None:
    from coursebridge.catalog.exports import course_export_run

    try:
        course_export_run(job_id=job_id)
    except Exception as exc:
        # The job row must say it failed, so the page stops its progress bar; the error is re-raised
        # so the worker logs it with its traceback.
        jobs.job_fail(job_id=job_id, error=f"The export failed: {exc.__class__.__name__}.")
        raise
