"""The course list as a CSV file that opens cleanly in Excel, built by a worker as a Job."""

from __future__ import annotations

import csv
import io
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import Course
from coursebridge.core import jobs
from coursebridge.core.models import Job

EXPORT_KIND = "catalog.export_courses"
CHUNK = 1000
COLUMNS = [
    "id", "title", "kind", "provider", "external_id", "status", "status_reason", "visibility", "categories",
    "tags", "language", "duration_minutes", "publisher", "launch_url", "created_at", "updated_at",
]
# A cell starting with one of these is read by spreadsheet programs as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def course_export_start(*, academy: Academy, by: User | None, status: str = "") -> Job:
    """Queue the export; the worker fills the Job's progress and file."""
    from coursebridge.catalog.tasks import export_courses

    with transaction.atomic():
        job = jobs.job_create(
            kind=EXPORT_KIND, academy_id=academy.pk, created_by_id=by.pk if by else None, params={"status": status}
        )
        transaction.on_commit(lambda: export_courses.delay(job.pk))
    return job


def course_export_run(*, job_id: int) -> Job:
    """Write the CSV in chunks: one query for the courses of a chunk, one for their categories and
    one for their tags; progress after each chunk. The file is spooled to disk, never held whole in
    memory. UTF-8 with a byte-order mark and no `sep=` line, so Excel reads accents right."""
    job = Job.objects.get(pk=job_id)
    if job.academy_id is None:
        raise ValueError(f"export job {job_id} has no academy")
    status = str(job.params.get("status") or "")
    qs = Course.objects.filter(academy_id=job.academy_id)
    if status:
        qs = qs.filter(status=status)
    total = qs.count()
    jobs.job_start(job_id=job_id, total=total)
    done = 0
    last_id = 0
    spool = tempfile.TemporaryFile(mode="w+b")
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    while True:
        chunk = list(qs.filter(pk__gt=last_id).order_by("pk")[:CHUNK])
        if not chunk:
            break
        last_id = chunk[-1].pk
        ids = [c.pk for c in chunk]
        names: dict[int, list[str]] = {i: [] for i in ids}
        tag_names: dict[int, list[str]] = {i: [] for i in ids}
        for course_id, name in Course.categories.through.objects.filter(course_id__in=ids).values_list(
            "course_id", "category__name"
        ):
            names[course_id].append(name)
        for course_id, name in Course.tags.through.objects.filter(course_id__in=ids).values_list(
            "course_id", "tag__name"
        ):
            tag_names[course_id].append(name)
        for c in chunk:
            writer.writerow([
                spreadsheet_safe(v) for v in (
                    c.pk, c.title, c.get_kind_display(), c.provider, c.external_id or "", c.get_status_display(),
                    c.status_reason, c.visibility, "; ".join(sorted(names[c.pk])), "; ".join(sorted(tag_names[c.pk])),
                    c.language, c.duration_minutes if c.duration_minutes is not None else "", c.publisher,
                    c.launch_url, c.created_at.isoformat(), c.updated_at.isoformat(),
                )
            ])
        done += len(chunk)
        jobs.job_progress(job_id=job_id, done=done)
    text.flush()
    spool.seek(0)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    try:
        name = default_storage.save(f"exports/{job_id}/courses-{stamp}.csv", File(spool))
    finally:
        text.close()
    return jobs.job_finish(job_id=job_id, counts={"courses": done}, result_file=name,
                           result_name=f"courses-{stamp}.csv")
