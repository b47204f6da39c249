"""Learner statistics from the fake OpenClassrooms server: progress, estimated time, every
enrollment of the learner in the course, learners matched by email, unknown ones kept aside."""

import datetime

import pytest

from coursebridge.catalog.models import Course
from coursebridge.connectors.models import UnmatchedStatistic
from coursebridge.connectors.statistics import activity_days_record
from coursebridge.connectors.sync import connection_sync
from coursebridge.learning.models import ActivityDay, Attempt, Enrollment, EntryPoint
from coursebridge.learning.services import activity_day_record, enrollment_create, launch_course
from tests.connectors.factories import fast_session, openclassrooms_connection
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in
from tests.fakes.openclassrooms import FakeOpenClassrooms, fake_course, fake_statistic

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        server.courses = [fake_course("1", "Python"), fake_course("2", "SQL", duration_minutes=120)]
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="oc-stats")
    return GroupFactory(academy=academy, name="Data team")


def sync(connection, day=DAY):
    return connection_sync(connection_id=connection.pk, session=fast_session(connection), day=day)


def enrollment_rows(user):
    return sorted(
        (e.course.external_id, e.entry_key, e.status, e.progress, e.time_spent_seconds, e.time_source)
        for e in Enrollment.objects.filter(user=user).select_related("course")
    )


def test_progress_and_theoretical_time_reach_the_learner_matched_by_email_in_any_case(fake, team):
    ada = learner_in(team, username="ada", email="Ada.Lovelace@Example.org")
    fake.statistics[DAY.isoformat()] = [
        fake_statistic("ada.lovelace@example.ORG", "1", 40),  # 40% of 600 minutes = 240 minutes
        fake_statistic("ADA.LOVELACE@example.org", "2", 100, minutes=120),
    ]
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert (run.statistics_rows, run.statistics_applied, run.statistics_unmatched) == (2, 2, 0)
    assert enrollment_rows(ada) == [
        ("1", "catalogue", "in_progress", 40, 14400, "theoretical"),
        ("2", "catalogue", "completed", 100, 7200, "theoretical"),
    ]
    completed = Enrollment.objects.get(user=ada, course__external_id="2")
    assert completed.completed_at is not None
    assert sorted(ActivityDay.objects.values_list("course__external_id", "day", "time_source", "seconds",
                                                  "cumulative_seconds", "progress")) == [
        ("1", DAY, "theoretical", 14400, 14400, 40),
        ("2", DAY, "theoretical", 7200, 7200, 100),
    ]


def test_every_enrollment_of_the_learner_in_the_course_is_updated(fake, team):
    ada = learner_in(team, username="ada", email="ada@example.org")
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    python = Course.objects.get(external_id="1")
    launch_course(user=ada, course=python)  # the catalogue entry, with an attempt in progress
    enrollment_create(user=ada, course=python, entry_point=EntryPoint.SESSION, session_id=7)
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 100)]

    sync(connection)

    assert enrollment_rows(ada) == [
        ("1", "catalogue", "completed", 100, 36000, "theoretical"),
        ("1", "session:7", "completed", 100, 36000, "theoretical"),
    ]
    assert Attempt.objects.filter(enrollment__user=ada).count() == 2


def test_re_running_a_day_changes_nothing(fake, team):
    ada = learner_in(team, username="ada", email="ada@example.org")
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 40)]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    before = (list(Enrollment.objects.values()), list(Attempt.objects.values()), list(ActivityDay.objects.values()))

    sync(connection)

    after = (list(Enrollment.objects.values()), list(Attempt.objects.values()), list(ActivityDay.objects.values()))
    assert after == before
    assert enrollment_rows(ada)[0][3] == 40


def test_progress_never_goes_back_and_the_next_day_counts_only_its_part(fake, team):
    learner_in(team, username="ada", email="ada@example.org")
    connection = openclassrooms_connection(team, fake)
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 40)]
    sync(connection)
    next_day = DAY + datetime.timedelta(days=1)
    fake.statistics[next_day.isoformat()] = [fake_statistic("ada@example.org", "1", 30)]

    sync(connection, day=next_day)

    enrollment = Enrollment.objects.get()
    assert (enrollment.progress, enrollment.time_spent_seconds) == (40, 10800)
    assert list(ActivityDay.objects.order_by("day").values_list("day", "seconds", "cumulative_seconds")) == [
        (DAY, 14400, 14400), (next_day, 0, 10800)]


def test_unknown_emails_are_kept_aside_and_attach_when_the_learner_appears(fake, team):
    fake.statistics[DAY.isoformat()] = [fake_statistic("grace@example.org", "1", 60),
                                        fake_statistic("ada@example.org", "999", 10)]
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert (run.statistics_applied, run.statistics_unmatched) == (0, 2)
    assert sorted(UnmatchedStatistic.objects.values_list("email", "course_external_id", "reason", "progress")) == [
        ("ada@example.org", "999", "unknown_learner", 10),
        ("grace@example.org", "1", "unknown_learner", 60),
    ]

    grace = learner_in(team, username="grace", email="Grace@Example.org")
    fake.statistics[DAY.isoformat()] = []
    run = sync(connection, day=DAY + datetime.timedelta(days=1))

    assert run.statistics_applied == 1
    assert enrollment_rows(grace) == [("1", "catalogue", "in_progress", 60, 21600, "theoretical")]
    assert ActivityDay.objects.get(user=grace).day == DAY
    assert list(UnmatchedStatistic.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_an_unreadable_row_is_counted_and_the_others_apply(fake, team):
    learner_in(team, username="ada", email="ada@example.org")
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 140),
                                        fake_statistic("ada@example.org", "2", 50, minutes=120)]
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert (run.failed, run.statistics_applied) == (1, 1)
    assert run.errors == ["Statistics page 1, row 1: progress: Input should be less than or equal to 100."]


def test_the_bulk_activity_days_follow_activity_day_record(team):
    """The same days recorded one by one by learning.services and in bulk give the same rows."""
    ada = learner_in(team, username="ada", email="ada@example.org")
    course = Course.objects.create(academy=team.academy, title="X", kind="provider", provider="p", external_id="x")
    other = Course.objects.create(academy=team.academy, title="Y", kind="provider", provider="p", external_id="y")
    days = [(DAY, 100), (DAY + datetime.timedelta(days=3), 50), (DAY + datetime.timedelta(days=1), 300),
            (DAY + datetime.timedelta(days=3), 400)]
    for day, total in days:
        activity_day_record(academy_id=team.academy_id, user_id=ada.pk, course_id=course.pk, day=day,
                            time_source="theoretical", cumulative_seconds=total, progress=10)
    for day, total in days:
        activity_days_record(academy_id=team.academy_id, rows={(ada.pk, other.pk): (10, total)}, day=day,
                             time_source="theoretical")

    def rows(c):
        return list(ActivityDay.objects.filter(course=c).order_by("day").values_list("day", "seconds",
                                                                                     "cumulative_seconds"))

    assert rows(other) == rows(course)


def test_the_learner_transcript_shows_the_time_as_an_estimate(client_for, fake, team):
    ada = learner_in(team, username="ada", email="ada@example.org")
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 50)]
    sync(openclassrooms_connection(team, fake))

    page = client_for(ada).get(f"/a/{team.academy.slug}/transcript/").content.decode()

    assert "Python" in page
    assert 'title="Estimate (theoretical time x progress)">estimate</span>' in page


def test_importing_a_day_again_writes_nothing_whatever_the_state_of_the_enrollments(fake, team):
    """A page of rows in every state (new pairs, nothing reported yet, in progress, completed,
    several enrollments and attempts, a failed attempt, a row kept aside) imported twice: the second
    time sends no INSERT, UPDATE or DELETE, and reads in a fixed number of queries."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from coursebridge.connectors.providers.base import StatisticRow
    from coursebridge.connectors.statistics import statistics_import
    from coursebridge.learning.services import attempt_record_progress

    connection = openclassrooms_connection(team, fake)
    sync(connection)  # the two courses
    python = Course.objects.get(external_id="1")
    learners = [learner_in(team, username=f"l{n:02d}", email=f"L{n:02d}@example.org") for n in range(30)]
    # Enrollments that exist before the statistics: a session one beside the catalogue one, a
    # failed attempt, a second attempt.
    launch_course(user=learners[0], course=python)
    enrollment_create(user=learners[0], course=python, entry_point=EntryPoint.SESSION, session_id=3)
    attempt_record_progress(attempt=launch_course(user=learners[1], course=python).attempt, status="failed")
    launch_course(user=learners[2], course=python)
    launch_course(user=learners[2], course=python, entry_point=EntryPoint.SESSION, session_id=4)
    rows = [StatisticRow(email=f"l{n:02d}@EXAMPLE.org", course_external_id=course, progress=(n * 17) % 101,
                         time_seconds=(n * 17) % 101 * 60)
            for n in range(30) for course in ("1", "2")]
    rows += [StatisticRow(email="l03@example.org", course_external_id="2", progress=100, time_seconds=3600),
             StatisticRow(email="nobody@example.org", course_external_id="1", progress=5, time_seconds=60)]

    def import_page():
        return statistics_import(connection=connection, provider_name="openclassrooms", rows=rows, day=DAY)

    first = import_page()
    assert (first.rows, first.applied, first.unmatched) == (62, 60, 1)
    # 60 pairs, and learner 2's session enrollment beside the catalogue one (learner 0's session
    # enrollment has no attempt and the row reports nothing: it is left alone).
    assert first.changed_enrollments == 61
    before = (list(Enrollment.objects.order_by("pk").values()), list(Attempt.objects.order_by("pk").values()),
              list(ActivityDay.objects.order_by("pk").values()), list(UnmatchedStatistic.objects.values()))

    with CaptureQueriesContext(db) as queries:
        again = import_page()

    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [
        # The row kept aside is kept aside again (its received time is refreshed), nothing else.
        q["sql"] for q in queries if "connectors_unmatchedstatistic" in q["sql"] and q["sql"].startswith("INSERT")
    ]
    assert len(writes) == 1
    assert (again.applied, again.unmatched, again.changed_enrollments, again.completed_enrollment_ids) == (
        60, 1, 0, [])
    after = (list(Enrollment.objects.order_by("pk").values()), list(Attempt.objects.order_by("pk").values()),
             list(ActivityDay.objects.order_by("pk").values()), list(UnmatchedStatistic.objects.values()))
    assert after[:3] == before[:3]
    reads = len(queries)
    rows += [StatisticRow(email=f"l{n:02d}@example.org", course_external_id="1", progress=(n * 17) % 101,
                          time_seconds=(n * 17) % 101 * 60) for n in range(30)]  # duplicates: the last wins
    with CaptureQueriesContext(db) as same:
        import_page()
    assert len(same) == reads


def test_the_daily_totals_the_dashboard_reads_equal_the_activity_days_after_every_writer(fake, team):
    """The whole-academy dashboard reads its charts over time from daily totals: after an import, a
    re-run, a later day, an earlier day imported late (which changes the next day's part), rows kept
    aside that attach, and the measured-time snapshot, they equal the activity days themselves."""
    from coursebridge.learning.models import ActivityDayTotal
    from coursebridge.learning.services import attempt_record_progress
    from coursebridge.reporting.dashboard import Period, activity_by_day, activity_by_day_from_rows
    from coursebridge.reporting.scope import ReportScope
    from coursebridge.reporting.services import activity_snapshot_measured

    scope = ReportScope(academy=team.academy, paths=None, group=None)
    period = Period(start=DAY - datetime.timedelta(days=3), end=DAY + datetime.timedelta(days=3))

    def charts():
        from_totals, from_rows = activity_by_day(scope, period), activity_by_day_from_rows(scope, period)
        assert from_totals == from_rows
        return from_totals

    ada = learner_in(team, username="ada", email="ada@example.org")
    learner_in(team, username="bob", email="bob@example.org")
    connection = openclassrooms_connection(team, fake)
    fake.statistics[DAY.isoformat()] = [fake_statistic("ada@example.org", "1", 40),
                                        fake_statistic("bob@example.org", "2", 10, minutes=120),
                                        fake_statistic("cyd@example.org", "1", 50)]
    sync(connection)
    active, seconds = charts()
    assert (active[DAY], seconds["theoretical"][DAY]) == (2, 14400 + 720)
    sync(connection)
    assert charts() == (active, seconds)

    later, earlier = DAY + datetime.timedelta(days=2), DAY - datetime.timedelta(days=1)
    fake.statistics[later.isoformat()] = [fake_statistic("ada@example.org", "1", 70)]
    sync(connection, day=later)
    fake.statistics[earlier.isoformat()] = [fake_statistic("ada@example.org", "1", 20)]
    sync(connection, day=earlier)  # ada's DAY now counts only its part over the earlier day
    active, seconds = charts()
    assert [seconds["theoretical"][d] for d in (earlier, DAY, later)] == [7200, 7200 + 720, 10800]

    learner_in(team, username="cyd", email="Cyd@example.org")
    fake.statistics[later.isoformat()] = []
    sync(connection, day=later)  # cyd's row kept aside attaches on its day
    active, seconds = charts()
    assert (active[DAY], seconds["theoretical"][DAY]) == (3, 7200 + 720 + 18000)

    native = CourseFactory(academy=team.academy, title="Native", placed_in=team)
    attempt = launch_course(user=ada, course=native).attempt
    attempt_record_progress(attempt=attempt, time_spent_seconds=600)
    today = attempt.last_activity_at.date()
    activity_snapshot_measured(day=today)
    period = Period(start=today, end=today)
    active, seconds = charts()
    assert (active[today], seconds["measured"][today], seconds["theoretical"][today]) == (1, 600, 0)
    assert ActivityDayTotal.objects.filter(academy=team.academy).count() == 4
