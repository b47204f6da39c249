"""Catalogue sync against the fake OpenClassrooms server over real HTTP."""

import pytest

from coursebridge.catalog.models import Course, CourseStatus, Placement
from coursebridge.catalog.services import course_archive
from coursebridge.connectors.models import RunState, SyncRecord
from coursebridge.connectors.sync import connection_sync
from tests.connectors.factories import Waits, fast_session, openclassrooms_connection
from tests.factories import AcademyFactory, GroupFactory
from tests.fakes.openclassrooms import FakeOpenClassrooms, fake_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="oc-academy")
    parent = GroupFactory(academy=academy, name="Europe")
    return GroupFactory(academy=academy, parent=parent, name="Data team")


def sync(connection, **kwargs):
    waits = kwargs.pop("waits", None)
    return connection_sync(connection_id=connection.pk, session=fast_session(connection, waits=waits), **kwargs)


def courses(academy):
    return {c.external_id: (c.title, c.status) for c in Course.objects.filter(academy=academy)}


def test_every_status_maps_to_available_or_archived_and_courses_land_in_the_group(fake, team):
    fake.courses = [
        fake_course("1", "Python", status="active"),
        fake_course("2", "SQL", status="coming-soon"),
        fake_course("3", "Rust", status="pre-registration"),
        fake_course("4", "Perl", status="closed"),
    ]
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert run.state == RunState.SUCCEEDED
    assert (run.created, run.updated, run.unchanged, run.archived, run.failed) == (3, 0, 1, 0, 0)
    assert courses(team.academy) == {
        "1": ("Python", "active"), "2": ("SQL", "active"), "3": ("Rust", "active"),
    }
    python = Course.objects.get(academy=team.academy, external_id="1")
    assert python.kind == "provider"
    assert python.provider == "openclassrooms"
    assert python.launch_url == "https://openclassrooms.example/courses/1"
    assert python.duration_minutes == 600
    assert python.read_only_reason.startswith("Set by openclassrooms")
    assert sorted(Placement.objects.filter(course=python).values_list("group_id", "kind")) == [
        (team.pk, "catalogue"), (team.pk, "library")]
    assert sorted((c.name, c.provider) for c in python.categories.all()) == [("Data & AI", "openclassrooms")]
    assert SyncRecord.objects.get(connection=connection, external_id="4").course_id is None


def test_a_status_that_leaves_archives_and_one_that_returns_reactivates(fake, team):
    fake.courses = [fake_course("1", "Python"), fake_course("2", "SQL")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)

    fake.courses = [fake_course("1", "Python", status="retired"), fake_course("2", "SQL")]
    run = sync(connection)
    assert (run.archived, run.updated, run.unchanged) == (1, 1, 1)
    assert courses(team.academy)["1"] == ("Python", CourseStatus.ARCHIVED)
    assert Course.objects.get(external_id="1").status_reason == "Archived: OpenClassrooms status 'retired'."

    fake.courses = [fake_course("1", "Python", status="pre-registration"), fake_course("2", "SQL")]
    run = sync(connection)
    assert (run.reactivated, run.archived) == (1, 0)
    assert courses(team.academy)["1"] == ("Python", CourseStatus.ACTIVE)


def test_a_course_gone_from_a_complete_catalogue_is_archived_and_comes_back(fake, team):
    fake.courses = [fake_course("1", "Python"), fake_course("2", "SQL")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)

    fake.courses = [fake_course("2", "SQL")]
    run = sync(connection)
    assert run.archived == 1
    assert Course.objects.get(external_id="1").status_reason == "Archived: no longer in the OpenClassrooms catalogue."

    fake.courses = [fake_course("1", "Python"), fake_course("2", "SQL")]
    run = sync(connection)
    assert (run.reactivated, run.unchanged, run.created) == (1, 2, 0)
    assert courses(team.academy)["1"] == ("Python", CourseStatus.ACTIVE)


def test_a_course_archived_by_an_admin_stays_archived(fake, team):
    fake.courses = [fake_course("1", "Python")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    course_archive(course=Course.objects.get(external_id="1"), reason="Not for us")

    run = sync(connection)

    assert (run.reactivated, run.unchanged) == (0, 1)
    assert courses(team.academy)["1"] == ("Python", CourseStatus.ARCHIVED)


def test_only_changed_courses_are_written(fake, team):
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 251)]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    stamps = dict(Course.objects.values_list("external_id", "updated_at"))

    fake.courses[9] = fake_course("10", "Course ten, renamed")
    run = sync(connection)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 249)
    after = dict(Course.objects.values_list("external_id", "updated_at"))
    assert [k for k in after if after[k] != stamps[k]] == ["10"]
    assert Course.objects.get(external_id="10").title == "Course ten, renamed"


def test_full_rewrites_every_course(fake, team):
    fake.courses = [fake_course("1", "Python"), fake_course("2", "SQL")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)

    run = sync(connection, full=True)

    assert (run.updated, run.unchanged) == (2, 0)


def test_a_page_failing_for_good_archives_nothing_and_the_next_run_converges(fake, team):
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 251)]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    fake.fail("courses", page=2, faults=["500"] * 4)

    run = sync(connection)

    assert run.state == RunState.FAILED
    assert run.archived == 0
    assert "failed with HTTP 500, after 4 tries" in run.errors[0]
    assert set(Course.objects.values_list("status", flat=True)) == {"active"}

    fake.courses = fake.courses[:200]
    run = sync(connection)
    assert (run.state, run.archived, run.unchanged) == (RunState.SUCCEEDED, 50, 200)


@pytest.mark.parametrize("fault", ["500", "429:7", "timeout", "malformed"])
def test_transient_faults_are_retried_and_the_run_succeeds(fake, team, fault):
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 151)]
    fake.fail("courses", page=2, faults=[fault])
    fake.slow_seconds = 0.6
    connection = openclassrooms_connection(team, fake)
    waits = Waits()

    run = sync(connection, waits=waits)

    if fault == "malformed":  # not transient: the page is refused, nothing retired
        assert run.state == RunState.FAILED
        assert "not JSON" in run.errors[0]
        assert run.created == 100
        return
    assert run.state == RunState.SUCCEEDED, run.errors
    assert run.created == 150
    if fault == "429:7":
        assert waits == [7.0]


@pytest.mark.parametrize("fault", ["short", "empty", "missing"])
def test_partial_answers_archive_nothing(fake, team, fault):
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 251)]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    fake.fail("courses", page=1 if fault == "empty" else 2, faults=[fault] * 4)

    run = sync(connection)

    assert run.state in {RunState.PARTIAL, RunState.FAILED}
    assert run.archived == 0
    assert set(Course.objects.values_list("status", flat=True)) == {"active"}


def test_a_token_expiring_mid_run_is_fetched_again_once(fake, team):
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 351)]
    fake.expire_tokens_after = 3  # pages 1-3 on the first token, page 4 and the statistics on the second
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert run.state == RunState.SUCCEEDED, run.errors
    assert run.created == 350
    assert fake.tokens_issued == 2


def test_wrong_credentials_fail_the_run_with_the_reason(fake, team):
    connection = openclassrooms_connection(team, fake)
    fake.courses = [fake_course("1", "Python")]
    from coursebridge.connectors.services import connection_update

    connection_update(connection=connection, changes={"credentials": {"client_secret": "wrong"}})

    run = sync(connection)

    assert run.state == RunState.FAILED
    assert "refused the credentials (HTTP 401)" in run.errors[0]
    assert "wrong" not in str(run.errors)


def test_an_invalid_course_is_counted_failed_and_the_others_arrive(fake, team):
    fake.courses = [fake_course("1", "Python"), fake_course("2", "", status="active"), {"title": "no id"}]
    connection = openclassrooms_connection(team, fake)

    run = sync(connection)

    assert (run.created, run.failed) == (1, 2)
    assert run.errors[0].startswith("course '2': title:")
    assert SyncRecord.objects.get(external_id="2").last_error.startswith("title:")


def test_an_incremental_run_retires_what_it_is_told_and_nothing_it_does_not_mention(fake, team):
    fake.courses = [fake_course("1", "Python"), fake_course("2", "SQL"), fake_course("3", "Rust")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)

    fake.courses = [fake_course("2", "SQL", status="closed")]
    run = sync(connection, incremental=True)

    assert (run.state, run.archived) == (RunState.SUCCEEDED, 1)
    assert {k: v[1] for k, v in courses(team.academy).items()} == {"1": "active", "2": "archived", "3": "active"}


def test_a_placement_an_admin_removed_stays_removed_after_an_update(fake, team):
    from coursebridge.catalog.services import placement_remove

    fake.courses = [fake_course("1", "Python")]
    connection = openclassrooms_connection(team, fake)
    sync(connection)
    course = Course.objects.get(external_id="1")
    placement_remove(course=course, group=team, kinds=["catalogue"])

    fake.courses = [fake_course("1", "Python 3")]
    run = sync(connection)

    assert run.updated == 1
    assert list(Placement.objects.filter(course=course).values_list("kind", flat=True)) == ["library"]
