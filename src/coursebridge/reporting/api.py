"""REST endpoints of the reports: the dashboard's figures, the Activity Report and its export.

Training admins report on the whole academy, group admins on the subtrees they administer
(`group_id` narrows either to one group's subtree); learners get a 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from coursebridge.accounts.api import academy_of, request_user
from coursebridge.core.api import Id, InputSchema, JobOut, PageParams, page_body, page_bounds, paged, responses
from coursebridge.core.jobs import job_payload
from coursebridge.reporting import activity
from coursebridge.reporting import dashboard as figures
from coursebridge.reporting.scope import report_scope

router = Router()


class DashboardFilters(Schema):
    group_id: Id | None = Field(default=None, description="Narrow to this group's subtree.")
    date_from: date | None = Field(default=None, description="First day of the period (default: 29 days ago).")
    date_to: date | None = Field(default=None, description="Last day of the period, included (default: today).")


class DayOut(Schema):
    day: date
    completions: int
    active_learners: int
    measured_seconds: int
    estimated_seconds: int = Field(description="Theoretical time (provider's duration x progress): an estimate.")
    imported_seconds: int


class ReportGroupOut(Schema):
    group_id: int
    name: str
    learners: int
    enrollments: int
    completed: int
    completion_rate: int
    measured_seconds: int
    estimated_seconds: int


class TopCourseOut(Schema):
    course_id: int
    title: str
    provider: str
    enrollments: int
    completed: int


class DashboardOut(Schema):
    scope: str
    date_from: date
    date_to: date
    enrollments: int
    status_counts: dict[str, int]
    completions: int
    active_learners: int
    measured_seconds: int
    estimated_seconds: int
    days: list[DayOut]
    groups: list[ReportGroupOut]
    top_courses: list[TopCourseOut]


class ReportFiltersIn(Schema):
    group_id: Id | None = None
    course_id: Id | None = None
    provider: str = Field(default="", description=f'A provider name, "{activity.NATIVE}" for academy courses.')
    date_from: date | None = Field(default=None, description="Rows with activity on or after this day.")
    date_to: date | None = Field(default=None, description="Rows with activity on or before this day.")

    def filters(self) -> activity.ReportFilters:
        return activity.ReportFilters(group_id=self.group_id, course_id=self.course_id, provider=self.provider.strip(),
                                      date_from=self.date_from, date_to=self.date_to)


class ReportRowOut(Schema):
    enrollment_id: int
    learner: str
    username: str
    email: str
    groups: str
    course_id: int
    course: str
    provider: str
    course_status: str
    entry_point: str
    status: str
    progress: int
    time_spent_seconds: int
    time_source: str = Field(description="measured, theoretical (an estimate) or imported.")
    score: float | None
    first_access: datetime | None
    last_activity: datetime | None
    completed_at: datetime | None


class ActivityExportIn(InputSchema):
    format: str = Field(default="csv", description="csv (UTF-8 with BOM) or xlsx.")
    group_id: Id | None = None
    course_id: Id | None = None
    provider: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _row(row: activity.ReportRow) -> dict[str, Any]:
    e = row.enrollment
    return {
        "enrollment_id": e.pk, "learner": e.user.get_full_name() or e.user.username, "username": e.user.username,
        "email": e.user.email, "groups": row.groups, "course_id": e.course_id, "course": e.course.title,
        "provider": e.course.provider, "course_status": e.course.status, "entry_point": row.entry_point,
        "status": e.status, "progress": e.progress, "time_spent_seconds": e.time_spent_seconds,
        "time_source": e.time_source, "score": float(e.score) if e.score is not None else None,
        "first_access": e.first_activity_at, "last_activity": e.last_activity_at, "completed_at": e.completed_at,
    }


@router.get("/academies/{slug}/reports/dashboard", response=responses(DashboardOut), tags=["reports"],
            summary="Dashboard figures")
def dashboard(request: HttpRequest, slug: str, filters: Query[DashboardFilters]) -> dict[str, Any]:
    """Completion status, completions and active learners per day, time spent per day by source
    (measured and estimated apart), groups compared and top courses."""
    academy = academy_of(request, slug)
    scope = report_scope(academy=academy, actor=request_user(request), group_id=filters.group_id)
    period = figures.period_of(start=filters.date_from, end=filters.date_to, today=timezone.now().date())
    board = figures.dashboard(scope=scope, period=period)
    seconds = board.seconds_by_day
    return {
        "scope": scope.label, "date_from": period.start, "date_to": period.end, "enrollments": board.enrollments,
        "status_counts": board.status_counts, "completions": board.completions,
        "active_learners": board.active_learners, "measured_seconds": board.measured_seconds,
        "estimated_seconds": board.estimated_seconds,
        "days": [
            {"day": d, "completions": board.completions_by_day[d], "active_learners": board.active_by_day[d],
             "measured_seconds": seconds["measured"][d], "estimated_seconds": seconds["theoretical"][d],
             "imported_seconds": seconds["imported"][d]}
            for d in period.days
        ],
        "groups": [{**g.__dict__, "completion_rate": g.completion_rate} for g in board.groups],
        "top_courses": [c.__dict__ for c in board.top_courses],
    }


@router.get("/academies/{slug}/reports/activity", response=responses(paged(ReportRowOut)), tags=["reports"],
            summary="The Activity Report")
def activity_report(request: HttpRequest, slug: str, filters: Query[ReportFiltersIn],
                    page: Query[PageParams]) -> dict[str, Any]:
    """One row per learner and course (per entry point), newest enrollment first."""
    academy = academy_of(request, slug)
    wanted = filters.filters()
    scope = report_scope(academy=academy, actor=request_user(request), group_id=wanted.group_id)
    activity.check_filters(academy=academy, filters=wanted)
    limit, offset = page_bounds(page)
    qs = activity.report_rows_queryset(scope=scope, filters=wanted)
    count = qs.count()
    chunk = list(qs[offset: offset + limit]) if offset < count else []
    rows = [_row(r) for r in activity.rows_of(academy=academy, enrollments=chunk)]
    return page_body(request, rows, count, limit, offset)


@router.post("/academies/{slug}/reports/activity/export", response=responses(JobOut, 202), tags=["reports"],
             summary="Export the Activity Report")
def activity_export(request: HttpRequest, slug: str, payload: ActivityExportIn) -> Status[dict[str, object]]:
    """Starts a background job writing the report (with these filters) to CSV or XLSX; follow it at
    /api/jobs/{id}, its `download_url` gives the file once done."""
    academy = academy_of(request, slug)
    actor = request_user(request)
    wanted = activity.ReportFilters(group_id=payload.group_id, course_id=payload.course_id,
                                    provider=payload.provider.strip(), date_from=payload.date_from,
                                    date_to=payload.date_to)
    scope = report_scope(academy=academy, actor=actor, group_id=wanted.group_id)
    job = activity.activity_export_start(scope=scope, filters=wanted, fmt=payload.format, by=actor)
    return Status(202, job_payload(job))
