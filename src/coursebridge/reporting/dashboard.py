"""The dashboard's figures, read from enrollments (status, completions) and activity days (active
learners, time spent per time source), for one scope and a period of days (UTC)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, Func, Q, QuerySet, Sum

from coursebridge.accounts.models import Group, Membership, Role
from coursebridge.catalog.models import Course
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import ActivityDay, ActivityDayTotal, Enrollment, LearningStatus, TimeSource
from coursebridge.reporting.scope import ReportScope

MAX_DAYS = 366
DEFAULT_DAYS = 30
TOP_COURSES = 10
MAX_GROUPS = 12
FINISHED_OK = (LearningStatus.COMPLETED, LearningStatus.PASSED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def period_of(*, start: date | None, end: date | None, today: date) -> Period:
    """The period asked for; by default the last 30 days up to today."""
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise DomainError(f"The start date ({start:%Y-%m-%d}) is after the end date ({end:%Y-%m-%d}).",
                          field="date_from")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(f"A period is at most {MAX_DAYS} days.", field="date_from")
    return Period(start=start, end=end)


@dataclass
class GroupFigures:
    group_id: int
    name: str
    learners: int
    enrollments: int
    completed: int
    measured_seconds: int
    estimated_seconds: int

    @property
    def completion_rate(self) -> int:
        return self.completed * 100 // self.enrollments if self.enrollments else 0


@dataclass
class CourseFigures:
    course_id: int
    title: str
    provider: str
    enrollments: int
    completed: int


@dataclass
class Dashboard:
    scope: ReportScope
    period: Period
    status_counts: dict[str, int]
    completions_by_day: dict[date, int]
    active_by_day: dict[date, int]
    seconds_by_day: dict[str, dict[date, int]]  # time source -> day -> seconds
    groups: list[GroupFigures] = field(default_factory=list)
    top_courses: list[CourseFigures] = field(default_factory=list)
    active_learners: int = 0  # distinct learners active over the period

    @property
    def enrollments(self) -> int:
        return sum(self.status_counts.values())

    @property
    def completions(self) -> int:
        return sum(self.completions_by_day.values())

    @property
    def measured_seconds(self) -> int:
        return sum(self.seconds_by_day.get(TimeSource.MEASURED, {}).values())

    @property
    def estimated_seconds(self) -> int:
        return sum(self.seconds_by_day.get(TimeSource.THEORETICAL, {}).values())

    @property
    def imported_seconds(self) -> int:
        return sum(self.seconds_by_day.get(TimeSource.IMPORTED, {}).values())


def _rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query of plain numbers, straight from the database cursor: for the
    reads that return a row per learner, the ORM's per-value conversions cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _enrollments(scope: ReportScope) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(scope.users(), academy=scope.academy)


def _activity(scope: ReportScope, period: Period) -> QuerySet[ActivityDay]:
    return ActivityDay.objects.filter(scope.users(), academy=scope.academy, day__gte=period.start,
                                      day__lte=period.end)


def status_counts(scope: ReportScope) -> dict[str, int]:
    return enrollment_figures(scope)[0]


def enrollment_figures(scope: ReportScope) -> tuple[dict[str, int], list[CourseFigures]]:
    """In one read of the scope's enrollments (counted per course and status): the status counts and
    the top courses."""
    counts = dict.fromkeys(LearningStatus.values, 0)
    per_course: dict[int, list[int]] = {}  # course id -> [enrollments, completed]
    for course_id, status, n in _rows(_enrollments(scope).values_list("course_id", "status")
                                      .annotate(n=Count("*")).order_by()):
        counts[status] += n
        figures = per_course.setdefault(course_id, [0, 0])
        figures[0] += n
        if status in FINISHED_OK:
            figures[1] += n
    top = sorted(per_course.items(), key=lambda item: (-item[1][0], item[0]))[:TOP_COURSES]
    courses = Course.objects.in_bulk([course_id for course_id, _ in top])
    return counts, [
        CourseFigures(course_id=course_id, title=courses[course_id].title, provider=courses[course_id].provider,
                      enrollments=n, completed=done)
        for course_id, (n, done) in top
    ]


class UtcDay(Func):
    """The UTC day of a timestamp, computed by the database itself: SQLite keeps timestamps as UTC
    text, so the day is its first ten characters (Django's TruncDate calls back into Python for
    every row there); PostgreSQL converts to UTC and casts. The value comes back as a date or as
    "YYYY-MM-DD" depending on the database: read it with `as_date`."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 10)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((%(expressions)s) AT TIME ZONE 'UTC')::date", **extra)


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def completions_by_day(scope: ReportScope, period: Period) -> dict[date, int]:
    rows = (
        _enrollments(scope)
        .filter(status__in=FINISHED_OK, completed_at__gte=period.start_at, completed_at__lt=period.end_before)
        .annotate(day=UtcDay("completed_at"))
        .values_list("day")
        .annotate(n=Count("*"))
        .order_by()
    )
    found = {as_date(day): n for day, n in rows}
    return {day: found.get(day, 0) for day in period.days}


def activity_by_day(scope: ReportScope, period: Period) -> tuple[dict[date, int], dict[str, dict[date, int]]]:
    """The learners with time recorded on each day (any source), and each day's seconds per time
    source: for the whole academy from its daily totals (one row per day, kept by the writers of
    activity days), for a subtree from its members' activity days."""
    if scope.paths is not None:
        return activity_by_day_from_rows(scope, period)
    active = dict.fromkeys(period.days, 0)
    series: dict[str, dict[date, int]] = {source: dict.fromkeys(period.days, 0) for source in TimeSource.values}
    for total in ActivityDayTotal.objects.filter(academy=scope.academy, day__gte=period.start, day__lte=period.end):
        active[total.day] = total.active_learners
        for source in TimeSource.values:
            series[source][total.day] = getattr(total, f"{source}_seconds")
    return active, series


def activity_by_day_from_rows(scope: ReportScope, period: Period) -> tuple[dict[date, int],
                                                                            dict[str, dict[date, int]]]:
    """activity_by_day read from the activity days themselves, in one read."""
    active = dict.fromkeys(period.days, 0)
    series: dict[str, dict[date, int]] = {source: dict.fromkeys(period.days, 0) for source in TimeSource.values}
    sums = {source: Sum("seconds", filter=Q(time_source=source)) for source in TimeSource.values}
    rows = (
        _activity(scope, period).values("day")
        .annotate(active=Count("user_id", distinct=True, filter=Q(seconds__gt=0)), **sums).order_by()
    )
    for row in rows:
        values: dict[str, Any] = dict(row)
        active[values["day"]] = values["active"]
        for source in TimeSource.values:
            series[source][values["day"]] = int(values[source] or 0)
    return active, series


def time_by_learner(scope: ReportScope, period: Period) -> dict[int, tuple[int, int]]:
    """Each learner with time recorded in the period: (measured, estimated) seconds."""
    rows = _rows(
        _activity(scope, period).filter(seconds__gt=0).values_list("user_id")
        .annotate(m=Sum("seconds", filter=Q(time_source=TimeSource.MEASURED)),
                  t=Sum("seconds", filter=Q(time_source=TimeSource.THEORETICAL)))
        .order_by()
    )
    return {user_id: (int(m or 0), int(t or 0)) for user_id, m, t in rows}


def compared_groups(scope: ReportScope) -> list[Group]:
    """The groups just below the scope's group (the root's children for the whole academy; the
    administered groups themselves for a group admin without a chosen group)."""
    if scope.group is not None:
        return list(Group.objects.filter(parent=scope.group).order_by("name")[:MAX_GROUPS])
    if scope.paths is None:
        return list(Group.objects.filter(academy=scope.academy, depth=1).order_by("name")[:MAX_GROUPS])
    return list(Group.objects.filter(academy=scope.academy, path__in=scope.paths).order_by("name")[:MAX_GROUPS])


def groups_compared(scope: ReportScope, learner_time: dict[int, tuple[int, int]]) -> list[GroupFigures]:
    """The compared groups side by side, in two reads whatever their number: each learner's
    enrollment counts (one pass over the scope's enrollments) and the memberships that say which
    compared group (or groups) a learner is in; the sums, with each learner's time in the period,
    are made here. A learner in two compared groups counts in both, once in each."""
    groups = compared_groups(scope)
    if not groups:
        return []
    condition = Q()
    for group in groups:
        condition |= Q(path__startswith=group.path)
    # Which compared group(s) each group of their subtrees belongs to: worked out once per group.
    buckets_of_group = {
        pk: tuple(g.pk for g in groups if path.startswith(g.path))
        for pk, path in Group.objects.filter(condition, academy=scope.academy).values_list("pk", "path")
    }
    buckets_of: dict[int, tuple[int, ...]] = {}
    learners: dict[int, set[int]] = {g.pk: set() for g in groups}
    # Without the model's ordering (by group path, a join and a sort the sums do not need).
    for user_id, group_id, role in _rows(Membership.objects.filter(group_id__in=list(buckets_of_group))
                                         .values_list("user_id", "group_id", "role").order_by()):
        buckets = buckets_of_group[group_id]
        known = buckets_of.get(user_id)
        buckets_of[user_id] = buckets if known is None else tuple(sorted(set(known) | set(buckets)))
        if role == Role.LEARNER:
            for bucket in buckets:
                learners[bucket].add(user_id)
    totals = {g.pk: [0, 0, 0, 0] for g in groups}  # enrollments, completed, measured, estimated
    for user_id, n, done in _rows(
        _enrollments(scope).values_list("user_id")
        .annotate(n=Count("*"), done=Count("status", filter=Q(status__in=FINISHED_OK))).order_by()
    ):
        for bucket in buckets_of.get(user_id, ()):
            totals[bucket][0] += n
            totals[bucket][1] += done
    for user_id, (measured, estimated) in learner_time.items():
        for bucket in buckets_of.get(user_id, ()):
            totals[bucket][2] += measured
            totals[bucket][3] += estimated
    return [
        GroupFigures(group_id=g.pk, name=g.name, learners=len(learners[g.pk]), enrollments=totals[g.pk][0],
                     completed=totals[g.pk][1], measured_seconds=totals[g.pk][2],
                     estimated_seconds=totals[g.pk][3])
        for g in groups
    ]


def top_courses(scope: ReportScope) -> list[CourseFigures]:
    return enrollment_figures(scope)[1]


def dashboard(*, scope: ReportScope, period: Period) -> Dashboard:
    active, seconds = activity_by_day(scope, period)
    learner_time = time_by_learner(scope, period)
    counts, courses = enrollment_figures(scope)
    return Dashboard(
        scope=scope, period=period, status_counts=counts,
        completions_by_day=completions_by_day(scope, period), active_by_day=active, seconds_by_day=seconds,
        groups=groups_compared(scope, learner_time), top_courses=courses,
        active_learners=len(learner_time),
    )
