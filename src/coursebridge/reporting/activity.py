"""The Activity Report: one row per learner and course (per entry point: the catalogue, or each
program session), with filters, paging, and exports to CSV and XLSX."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from coursebridge.accounts.models import Academy, Membership, User
from coursebridge.catalog.exports import spreadsheet_safe
from coursebridge.core import jobs
from coursebridge.core.errors import DomainError
from coursebridge.core.models import Job
from coursebridge.learning.models import Enrollment, EntryPoint, TimeSource
from coursebridge.reporting.scope import ReportScope, report_scope

EXPORT_KIND = "reporting.activity_export"
FORMATS = ("csv", "xlsx")
CHUNK = 2000
# Exports up to this many rows are answered at once; bigger ones run as a job with a progress bar.
DIRECT_EXPORT_LIMIT = 5000
NATIVE = "-"  # the provider filter's value for courses made in the academy

COLUMNS = [
    "Learner", "Email", "Groups", "Course", "Provider", "Course status", "Entry point", "Status", "Progress (%)",
    "Time spent (seconds)", "Time source", "Score", "First access", "Last activity", "Completion date",
]


@dataclass(frozen=True)
class ReportFilters:
    group_id: int | None = None
    course_id: int | None = None
    provider: str = ""  # a provider's name, NATIVE for the academy's own courses, "" for all
    date_from: date | None = None  # activity on or after this day (UTC)
    date_to: date | None = None  # activity on or before this day

    def as_params(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id, "course_id": self.course_id, "provider": self.provider,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ReportFilters:
        return cls(
            group_id=params.get("group_id"), course_id=params.get("course_id"), provider=params.get("provider") or "",
            date_from=date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
            date_to=date.fromisoformat(params["date_to"]) if params.get("date_to") else None,
        )


@dataclass(frozen=True)
class ReportRow:
    enrollment: Enrollment
    groups: str
    entry_point: str

    def cells(self) -> list[Any]:
        """The row as exported: numbers stay numbers, dates are ISO 8601 UTC, text is made safe."""
        e = self.enrollment
        return [
            e.user.get_full_name() or e.user.username, e.user.email, self.groups, e.course.title,
            e.course.provider, e.course.get_status_display(), self.entry_point, e.get_status_display(), e.progress,
            e.time_spent_seconds, "estimate" if e.time_source == TimeSource.THEORETICAL else e.time_source,
            float(e.score) if isinstance(e.score, Decimal) else None,
            _iso(e.first_activity_at), _iso(e.last_activity_at), _iso(e.completed_at),
        ]


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def report_rows_queryset(*, scope: ReportScope, filters: ReportFilters) -> QuerySet[Enrollment]:
    """The report's enrollments, newest first. The group filter is the scope (report_scope checks it)."""
    qs = Enrollment.objects.filter(scope.users(), academy=scope.academy)
    if filters.course_id is not None:
        qs = qs.filter(course_id=filters.course_id)
    if filters.provider == NATIVE:
        qs = qs.filter(course__provider="")
    elif filters.provider:
        qs = qs.filter(course__provider=filters.provider)
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time.min, tzinfo=UTC)
        qs = qs.filter(last_activity_at__gte=start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        qs = qs.filter(Q(first_activity_at__lt=end) | Q(first_activity_at__isnull=True, enrolled_at__lt=end))
    return qs.select_related("user", "course").order_by("-id")


def check_filters(*, academy: Academy, filters: ReportFilters) -> None:
    from coursebridge.catalog.models import Course

    if filters.course_id is not None and not Course.objects.filter(academy=academy, pk=filters.course_id).exists():
        raise DomainError(f"No course {filters.course_id} in this academy.", field="course_id")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise DomainError(f"The start date ({filters.date_from:%Y-%m-%d}) is after the end date "
                          f"({filters.date_to:%Y-%m-%d}).", field="date_from")


def rows_of(*, academy: Academy, enrollments: Sequence[Enrollment]) -> list[ReportRow]:
    """Report rows for a page of enrollments: the learners' groups and the sessions' names in two queries."""
    from coursebridge.programs.models import Session

    user_ids = {e.user_id for e in enrollments}
    groups: dict[int, list[str]] = {}
    for user_id, name in (Membership.objects.filter(user_id__in=user_ids, group__academy=academy)
                          .values_list("user_id", "group__name").order_by("group__path").distinct()):
        if name not in groups.setdefault(user_id, []):
            groups[user_id].append(name)
    session_ids = {int(e.entry_key.split(":", 1)[1]) for e in enrollments if e.entry_key.startswith("session:")}
    sessions = dict(Session.objects.filter(academy=academy, pk__in=session_ids).values_list("pk", "name"))
    rows = []
    for e in enrollments:
        if e.entry_point == EntryPoint.SESSION and e.entry_key.startswith("session:"):
            name = sessions.get(int(e.entry_key.split(":", 1)[1]), "deleted session")
            entry = f"Program session: {name}"
        else:
            entry = "Catalogue"
        rows.append(ReportRow(enrollment=e, groups="; ".join(groups.get(e.user_id, [])), entry_point=entry))
    return rows


def iter_rows(*, scope: ReportScope, filters: ReportFilters) -> Iterator[list[ReportRow]]:
    """Every row, a chunk at a time, in keyset order (constant memory, no growing OFFSET)."""
    qs = report_rows_queryset(scope=scope, filters=filters)
    last_id: int | None = None
    while True:
        page = qs if last_id is None else qs.filter(pk__lt=last_id)
        chunk = list(page[:CHUNK])
        if not chunk:
            return
        last_id = chunk[-1].pk
        yield rows_of(academy=scope.academy, enrollments=chunk)


# --- Writers ---------------------------------------------------------------------------------------


def _text_cell(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would read as a formula is quoted."""
    if value is None or isinstance(value, (int, float)):
        return value
    return spreadsheet_safe(value)


class CsvWriter:
    """UTF-8 with a byte-order mark and CRLF lines, so Excel opens it with accents right."""

    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, target: IO[bytes]) -> None:
        self.text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
        self.writer = csv.writer(self.text, lineterminator="\r\n")
        self.writer.writerow(COLUMNS)

    def write(self, rows: list[ReportRow]) -> None:
        for row in rows:
            self.writer.writerow(["" if v is None else _text_cell(v) for v in row.cells()])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class XlsxWriter:
    """A write-only workbook: rows go to disk as they come, memory stays flat."""

    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self, target: IO[bytes]) -> None:
        from openpyxl import Workbook

        self.target = target
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("Activity")
        self.sheet.append(COLUMNS)

    def write(self, rows: list[ReportRow]) -> None:
        for row in rows:
            self.sheet.append([_text_cell(v) for v in row.cells()])

    def close(self) -> None:
        self.book.save(self.target)


def writer_for(fmt: str, target: IO[bytes]) -> CsvWriter | XlsxWriter:
    if fmt not in FORMATS:
        raise DomainError(f"Export format is one of {', '.join(FORMATS)}.", field="format")
    return CsvWriter(target) if fmt == "csv" else XlsxWriter(target)


def export_file_name(fmt: str) -> str:
    return f"activity-report-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"


def write_report(*, scope: ReportScope, filters: ReportFilters, fmt: str, target: IO[bytes],
                 on_progress: Any = None) -> int:
    """Write the whole report to `target`; returns the number of rows."""
    writer = writer_for(fmt, target)
    done = 0
    for rows in iter_rows(scope=scope, filters=filters):
        writer.write(rows)
        done += len(rows)
        if on_progress is not None:
            on_progress(done)
    writer.close()
    return done


# --- The export as a job ---------------------------------------------------------------------------


def activity_export_start(*, scope: ReportScope, filters: ReportFilters, fmt: str, by: User) -> Job:
    """Queue the export of the report as the actor sees it; the worker fills the Job's progress and file."""
    from coursebridge.reporting.tasks import export_activity_report

    if fmt not in FORMATS:
        raise DomainError(f"Export format is one of {', '.join(FORMATS)}.", field="format")
    check_filters(academy=scope.academy, filters=filters)
    with transaction.atomic():
        job = jobs.job_create(kind=EXPORT_KIND, academy_id=scope.academy.pk, created_by_id=by.pk,
                              params={**filters.as_params(), "format": fmt})
        transaction.on_commit(lambda: export_activity_report.delay(job.pk))
    return job


def activity_export_run(*, job_id: int) -> Job:
    """Write the export chunk by chunk into a spooled file, then store it. The scope is computed again
    from the job's author, so an admin who lost a role in between exports only what they may see now."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.created_by is None or job.academy_id is None:
        raise ValueError(f"export job {job_id} has no author or no academy")
    academy = Academy.objects.get(pk=job.academy_id)
    filters = ReportFilters.from_params(job.params)
    fmt = str(job.params.get("format") or "csv")
    scope = report_scope(academy=academy, actor=job.created_by, group_id=filters.group_id)
    total = report_rows_queryset(scope=scope, filters=filters).count()
    jobs.job_start(job_id=job_id, total=total)
    spool = tempfile.TemporaryFile(mode="w+b")
    try:
        done = write_report(scope=scope, filters=filters, fmt=fmt, target=spool,
                            on_progress=lambda n: jobs.job_progress(job_id=job_id, done=n))
        spool.seek(0)
        name = export_file_name(fmt)
        stored = default_storage.save(f"exports/{job_id}/{name}", File(spool))
    finally:
        spool.close()
    return jobs.job_finish(job_id=job_id, counts={"rows": done}, result_file=stored, result_name=name)
