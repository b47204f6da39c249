"""Background work of the course record importer: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from coursebridge.core import jobs


@shared_task(name="records.stage_import", acks_late=True)
def stage_import(run_id: int, job_id: int) -> None:
    from coursebridge.records.importer import import_stage

    try:
        import_stage(run_id=run_id, job_id=job_id)
    except Exception as exc:
        jobs.job_fail(job_id=job_id, error=f"Reading the file failed: {exc.__class__.__name__}.")
        raise


@shared_task(name="records.apply_import", acks_late=True)
def apply_import(run_id: int, job_id: int) -> None:
    from coursebridge.records.importer import import_apply
    from coursebridge.records.models import ImportRun, RunStatus

    try:
        import_apply(run_id=run_id, job_id=job_id)
    except Exception as exc:
        # The transaction was rolled back: nothing of the import is written.
        ImportRun.objects.filter(pk=run_id, status=RunStatus.APPLYING).update(
            status=RunStatus.FAILED, file_error=f"The apply failed ({exc.__class__.__name__}): nothing was written."
        )
        jobs.job_fail(job_id=job_id, error=f"The apply failed: {exc.__class__.__name__}. Nothing was written.")
        raise
