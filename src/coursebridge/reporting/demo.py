"""The demo's activity days: what the daily statistics and the measured-time snapshot would have
written over the demo's history, so the dashboard's charts over time have something to show."""

from __future__ import annotations

from datetime import date

from coursebridge.accounts.models import Academy
from coursebridge.learning.models import ActivityDay, Enrollment
from coursebridge.learning.services import activity_totals_refresh


def demo_load(*, academy: Academy) -> int:
    """One day per learner, course and time source, on the day of the learner's last activity, with
    the time spent so far. Returns the number of rows."""
    days: dict[tuple[int, int, str, date], list[int]] = {}
    for e in Enrollment.objects.filter(academy=academy, last_activity_at__isnull=False):
        if e.last_activity_at is None:
            continue
        key = (e.user_id, e.course_id, e.time_source, e.last_activity_at.date())
        totals = days.setdefault(key, [0, 0])
        totals[0] += e.time_spent_seconds
        totals[1] = max(totals[1], e.progress)
    rows = [
        ActivityDay(academy=academy, user_id=user_id, course_id=course_id, time_source=source, day=day,
                    seconds=seconds, cumulative_seconds=seconds, progress=progress)
        for (user_id, course_id, source, day), (seconds, progress) in days.items()
    ]
    ActivityDay.objects.bulk_create(rows, ignore_conflicts=True)
    activity_totals_refresh(academy_id=academy.pk, days={day for _, _, _, day in days})
    return len(rows)
