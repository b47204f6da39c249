"""The measured-time snapshot: one activity day per learner and course active that day, in bulk."""

from datetime import UTC, date, datetime

import pytest

from coursebridge.learning.models import ActivityDay, Enrollment, LearningStatus, TimeSource
from coursebridge.reporting import services
from coursebridge.reporting.services import activity_snapshot_measured, snapshot_days
from coursebridge.reporting.tasks import snapshot_measured_time
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, ProviderCourseFactory, learner_in
from tests.programs.factories import at, enrollment

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)


@pytest.fixture
def world():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    return {"academy": academy, "lena": learner_in(team, username="lena"), "omar": learner_in(team, username="omar"),
            "intro": CourseFactory(academy=academy, title="Intro"), "deep": CourseFactory(academy=academy),
            "python": ProviderCourseFactory(academy=academy, provider="openclassrooms")}


def rows():
    return sorted(ActivityDay.objects.values_list("user__username", "course__title", "day", "time_source", "seconds",
                                                  "cumulative_seconds", "progress"))


def test_a_day_is_recorded_per_learner_and_course_over_all_their_enrollments(world):
    lena, intro = world["lena"], world["intro"]
    enrollment(lena, intro, status=LearningStatus.IN_PROGRESS, progress=30, seconds=600, last=at(MONDAY, 9))
    enrollment(lena, intro, status=LearningStatus.IN_PROGRESS, progress=50, seconds=300, last=at(MONDAY, 18),
               entry_key="session:1")
    enrollment(world["omar"], intro, seconds=900, last=at(date(2026, 3, 1), 23))  # the day before: not active
    enrollment(lena, world["python"], progress=40, seconds=1800, source=TimeSource.THEORETICAL, last=at(MONDAY))

    written = activity_snapshot_measured(day=MONDAY)

    assert written == 1
    assert rows() == [("lena", "Intro", MONDAY, "measured", 900, 900, 50)]


def test_running_a_day_again_changes_nothing_and_the_next_day_counts_the_increase(world):
    lena, intro = world["lena"], world["intro"]
    first = enrollment(lena, intro, progress=30, seconds=600, last=at(MONDAY))
    activity_snapshot_measured(day=MONDAY)
    activity_snapshot_measured(day=MONDAY)
    assert rows() == [("lena", "Intro", MONDAY, "measured", 600, 600, 30)]

    Enrollment.objects.filter(pk=first.pk).update(time_spent_seconds=1000, progress=60, last_activity_at=at(TUESDAY))
    assert snapshot_measured_time(TUESDAY.isoformat()) == 1

    assert rows() == [
        ("lena", "Intro", MONDAY, "measured", 600, 600, 30),
        ("lena", "Intro", TUESDAY, "measured", 400, 1000, 60),
    ]


def test_many_pairs_are_read_in_chunks(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    for user in (world["lena"], world["omar"]):
        for course in (world["intro"], world["deep"]):
            enrollment(user, course, seconds=100, last=at(MONDAY))

    assert activity_snapshot_measured(day=MONDAY) == 4
    assert ActivityDay.objects.filter(day=MONDAY, seconds=100).count() == 4


def test_hourly_runs_record_today_and_just_after_midnight_yesterday_too():
    assert snapshot_days(datetime(2026, 3, 3, 0, 5, tzinfo=UTC)) == [MONDAY, TUESDAY]
    assert snapshot_days(datetime(2026, 3, 3, 14, 5, tzinfo=UTC)) == [TUESDAY]


def test_the_scheduler_runs_the_snapshot_every_hour():
    from coursebridge.config.celery import app

    entry = app.conf.beat_schedule["reporting.snapshot_measured_time"]
    assert entry["task"] == "reporting.snapshot_measured_time"
    assert entry["schedule"].minute == {5}
    assert entry["schedule"].hour == set(range(24))
