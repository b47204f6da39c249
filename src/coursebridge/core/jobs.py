"""Writes on Job rows: start, advance, finish. A lease tells a dead worker from a slow one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from coursebridge.core.models import Job, JobStatus

LEASE = timedelta(minutes=5)


def job_create(*, kind: str, academy_id: int | None, created_by_id: int | None, params: dict[str, Any]) -> Job:
    return Job.objects.create(kind=kind, academy_id=academy_id, created_by_id=created_by_id, params=params)


def job_start(*, job_id: int, total: int) -> Job:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, started_at=now, progress_total=total, progress_done=0,
        lease_until=now + LEASE, error="",
    )
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: int, done: int) -> None:
    # Only a running job advances: a late report from a worker given up on must not revive a finished one.
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress_done=done, lease_until=timezone.now() + LEASE
    )


@transaction.atomic
def job_finish(
    *, job_id: int, counts: dict[str, int] | None = None, result_file: str = "", result_name: str = ""
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.progress_done = job.progress_total
    job.lease_until = None
    job.counts = counts or {}
    job.result_file = result_file
    job.result_name = result_name
    job.save()
    return job


def job_fail(*, job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), lease_until=None, error=error[:2000]
    )


def job_is_stale(job: Job) -> bool:
    """A running job whose lease ran out: its worker died."""
    return job.status == JobStatus.RUNNING and job.lease_until is not None and job.lease_until < timezone.now()


def job_payload(job: Job) -> dict[str, object]:
    """What the API and the progress page tell about a job."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "percent": job.percent,
        "done": job.progress_done,
        "total": job.progress_total,
        "counts": job.counts,
        "error": job.error,
        "stalled": job_is_stale(job),
        "download_url": reverse("core:job-download", args=[job.pk]) if job.result_file else None,
    }
