"""Activity days: where a learner stood in a course at the end of each day, per time source."""

from datetime import date

import pytest

from coursebridge.core.errors import DomainError
from coursebridge.learning.models import ActivityDay
from coursebridge.learning.services import activity_day_record
from tests.factories import AcademyFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def who():
    academy = AcademyFactory()
    return {"academy_id": academy.pk, "user_id": UserFactory(academy=academy).pk,
            "course_id": CourseFactory(academy=academy).pk}


def days(**who):
    rows = ActivityDay.objects.filter(user_id=who["user_id"], course_id=who["course_id"]).order_by("time_source", "day")
    return [(r.day.isoformat(), r.time_source, r.seconds, r.cumulative_seconds, r.progress) for r in rows]


def test_each_day_holds_its_increase_over_the_previous_day_of_its_source(who):
    activity_day_record(**who, day=date(2026, 3, 1), time_source="theoretical", cumulative_seconds=600, progress=10)
    activity_day_record(**who, day=date(2026, 3, 4), time_source="theoretical", cumulative_seconds=1500, progress=25)
    activity_day_record(**who, day=date(2026, 3, 4), time_source="measured", cumulative_seconds=90, progress=5)

    assert days(**who) == [
        ("2026-03-04", "measured", 90, 90, 5),
        ("2026-03-01", "theoretical", 600, 600, 10),
        ("2026-03-04", "theoretical", 900, 1500, 25),
    ]


def test_recording_a_day_again_changes_nothing_and_a_lower_total_counts_zero(who):
    for _ in range(2):
        activity_day_record(**who, day=date(2026, 3, 1), time_source="measured", cumulative_seconds=600, progress=10)
        activity_day_record(**who, day=date(2026, 3, 2), time_source="measured", cumulative_seconds=400, progress=10)

    assert days(**who) == [("2026-03-01", "measured", 600, 600, 10), ("2026-03-02", "measured", 0, 400, 10)]


def test_a_day_recorded_late_corrects_the_next_days_part(who):
    activity_day_record(**who, day=date(2026, 3, 5), time_source="measured", cumulative_seconds=1000, progress=50)
    activity_day_record(**who, day=date(2026, 3, 2), time_source="measured", cumulative_seconds=300, progress=20)

    assert days(**who) == [("2026-03-02", "measured", 300, 300, 20), ("2026-03-05", "measured", 700, 1000, 50)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"time_source": "guess"}, "time_source"), ({"cumulative_seconds": -1}, "cumulative_seconds"),
     ({"progress": 101}, "progress")],
)
def test_bad_values_are_refused_and_nothing_is_written(who, changes, field):
    values = {"day": date(2026, 3, 1), "time_source": "measured", "cumulative_seconds": 10, "progress": 1, **changes}
    with pytest.raises(DomainError) as refused:
        activity_day_record(**who, **values)

    assert refused.value.field == field
    assert ActivityDay.objects.count() == 0
