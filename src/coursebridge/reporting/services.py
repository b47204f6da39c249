"""Writes of the reports: the measured-time snapshot that feeds the dashboards' charts over time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery, Sum
from django.utils import timezone

from coursebridge.learning.models import ActivityDay, Enrollment, TimeSource
from coursebridge.learning.services import MAX_SECONDS, activity_totals_refresh

CHUNK = 2000


def snapshot_days(now: datetime | None = None) -> list[date]:
    """The days an hourly run records: today, and just after midnight yesterday too (its last hour)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=1), today] if now.astimezone(UTC).hour == 0 else [today]


def activity_snapshot_measured(*, day: date | None = None) -> int:
    """Write one measured ActivityDay per learner and course that had activity on `day` (default:
    the days of snapshot_days): the learner's total measured time in the course over all their
    enrollments (catalogue and sessions) as `cumulative_seconds`, the increase over their previous
    measured day as `seconds`, their best progress. Reads enrollments in chunks, writes in bulk;
    tracking itself never writes here. Running it again for a day rewrites the same rows. Returns
    the number of rows written."""
    days = [day] if day is not None else snapshot_days()
    return sum(_snapshot_day(d) for d in days)


def _snapshot_day(day: date) -> int:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    active = (
        Enrollment.objects.filter(time_source=TimeSource.MEASURED, last_activity_at__gte=start,
                                  last_activity_at__lt=end)
        .values_list("user_id", "course_id").distinct().order_by("user_id", "course_id")
    )
    written = 0
    academies: set[int] = set()
    after: tuple[int, int] = (0, 0)
    while True:
        pairs = list(
            active.filter(user_id__gte=after[0]).exclude(user_id=after[0], course_id__lte=after[1])[:CHUNK]
        )
        if not pairs:
            break
        after = pairs[-1]
        rows = _snapshot_pairs(day, pairs)
        written += len(rows)
        academies.update(row.academy_id for row in rows)
    # The dashboards' daily totals of the day, once per academy written.
    for academy_id in sorted(academies):
        activity_totals_refresh(academy_id=academy_id, days=[day])
    return written


def _snapshot_pairs(day: date, pairs: list[tuple[int, int]]) -> list[ActivityDay]:
    wanted = set(pairs)
    user_ids = sorted({u for u, _ in pairs})
    course_ids = sorted({c for _, c in pairs})
    totals = (
        Enrollment.objects.filter(time_source=TimeSource.MEASURED, user_id__in=user_ids, course_id__in=course_ids)
        .values_list("user_id", "course_id", "academy_id")
        .annotate(total=Sum("time_spent_seconds"), best=Max("progress"))
        .order_by()
    )
    previous_of = (
        ActivityDay.objects.filter(user_id=OuterRef("user_id"), course_id=OuterRef("course_id"),
                                   time_source=TimeSource.MEASURED, day__lt=day)
        .order_by("-day").values("cumulative_seconds")[:1]
    )
    previous = {
        (u, c): p for u, c, p in
        Enrollment.objects.filter(user_id__in=user_ids, course_id__in=course_ids).values_list("user_id", "course_id")
        .annotate(p=Subquery(previous_of)).distinct().order_by()
    }
    rows = []
    for user_id, course_id, academy_id, total, best in totals:
        if (user_id, course_id) not in wanted:
            continue
        cumulative = min(int(total or 0), MAX_SECONDS)
        earlier = previous.get((user_id, course_id)) or 0
        rows.append(ActivityDay(
            academy_id=academy_id, user_id=user_id, course_id=course_id, day=day, time_source=TimeSource.MEASURED,
            cumulative_seconds=cumulative, seconds=max(0, cumulative - earlier), progress=min(int(best or 0), 100),
        ))
    with transaction.atomic():
        ActivityDay.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["user", "course", "time_source", "day"],
            update_fields=["seconds", "cumulative_seconds", "progress", "academy"],
        )
    return rows
