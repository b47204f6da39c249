"""OpenSesame catalogue sync against the fake server over real HTTP: mapping, paging, lifecycle and
remote AICC units."""

import pytest

from coursebridge.catalog.models import Course, CourseStatus, Placement
from coursebridge.connectors.models import RunState, SyncRecord
from coursebridge.connectors.sync import connection_sync
from coursebridge.content.models import Package, Unit
from tests.connectors.opensesame.factories import fast_session, opensesame_connection
from tests.factories import AcademyFactory, GroupFactory
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="os-academy")
    parent = GroupFactory(academy=academy, name="Europe")
    return GroupFactory(academy=academy, parent=parent, name="Sales team")


def sync(connection, *, page_size=2, waits=None, **kwargs):
    return connection_sync(connection_id=connection.pk,
                           session=fast_session(connection, page_size=page_size, waits=waits), **kwargs)


def statuses(academy):
    return {c.external_id: c.status for c in Course.objects.filter(academy=academy, provider="opensesame")}


def test_delivered_courses_land_in_the_group_with_a_remote_aicc_unit(fake, team):
    fake.courses = [os_course("c1", "Leading Teams"), os_course("c2", "Delegation"),
                    os_course("c3", "Retired one", active=0)]
    connection = opensesame_connection(team, fake)

    run = sync(connection)

    assert run.state == RunState.SUCCEEDED
    assert (run.created, run.updated, run.unchanged, run.deactivated, run.failed) == (2, 0, 1, 0, 0)
    assert statuses(team.academy) == {"c1": "active", "c2": "active"}
    course = Course.objects.get(academy=team.academy, external_id="c1")
    assert (course.kind, course.provider, course.duration_minutes, course.publisher) == (
        "provider", "opensesame", 90, "Skillwave Learning")
    assert sorted(Placement.objects.filter(course=course).values_list("group_id", "kind")) == [
        (team.pk, "catalogue"), (team.pk, "library")]
    assert sorted((c.external_path, c.provider) for c in course.categories.all()) == [
        ("|Business|Leadership", "opensesame")]
    package = Package.objects.get(course=course)
    assert (package.format, package.identifier, package.is_current, package.version) == ("aicc", "c1", True, 1)
    unit = Unit.objects.get(package=package)
    assert (unit.launch, unit.is_remote, unit.position) == ("https://aicc.opensesame.example/launch/c1/", True, 1)
    assert SyncRecord.objects.get(connection=connection, external_id="c3").course_id is None
    token_auth, form = fake.token_requests[0]
    assert token_auth.startswith("Basic ")
    assert form == {"grant_type": ["client_credentials"], "scope": ["content"]}
    assert fake.content_requests()[0].endswith("customerIntegrationId=ciid-academy-1&limit=2&page=1")
    assert len(fake.content_requests()) == 2


def test_a_resync_with_nothing_changed_writes_nothing_and_a_change_writes_only_that_course(fake, team):
    fake.courses = [os_course(f"c{i}", f"Course {i}") for i in range(5)]
    connection = opensesame_connection(team, fake)
    sync(connection)
    before = dict(Course.objects.filter(academy=team.academy).values_list("external_id", "updated_at"))

    run = sync(connection)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 5)
    assert dict(Course.objects.filter(academy=team.academy).values_list("external_id", "updated_at")) == before

    fake.courses[3] = os_course("c3", "Course 3, second edition", aiccLaunchUrl="https://aicc.opensesame.example/v2/c3/")
    run = sync(connection)
    assert (run.created, run.updated, run.unchanged) == (0, 1, 4)
    after = dict(Course.objects.filter(academy=team.academy).values_list("external_id", "updated_at"))
    assert [key for key in after if after[key] != before[key]] == ["c3"]
    assert Course.objects.get(external_id="c3").title == "Course 3, second edition"
    assert list(Unit.objects.filter(package__course__external_id="c3").values_list("launch", flat=True)) == [
        "https://aicc.opensesame.example/v2/c3/"]
    assert Package.objects.filter(course__external_id="c3").count() == 1


def test_active_false_or_absent_deactivates_and_a_return_reactivates(fake, team):
    fake.courses = [os_course("c1", "One"), os_course("c2", "Two"), os_course("c3", "Three")]
    connection = opensesame_connection(team, fake)
    sync(connection)

    fake.courses = [os_course("c1", "One", active=0), os_course("c2", "Two")]
    run = sync(connection)
    assert (run.deactivated, run.state) == (2, RunState.SUCCEEDED)
    assert statuses(team.academy) == {"c1": "inactive", "c2": "active", "c3": "inactive"}
    assert Course.objects.get(external_id="c3").status_reason == "Deactivated: no longer in the OpenSesame catalogue."
    assert Course.objects.get(external_id="c1").status_reason == "Deactivated: OpenSesame status 'inactive'."

    fake.courses = [os_course("c1", "One"), os_course("c2", "Two"), os_course("c3", "Three")]
    run = sync(connection)
    assert run.reactivated == 2
    assert statuses(team.academy) == {"c1": "active", "c2": "active", "c3": "active"}
    assert Course.objects.count() == 3  # never deleted


def test_relative_next_links_and_the_same_course_on_two_pages(fake, team):
    fake.courses = [os_course(f"c{i}", f"Course {i}") for i in range(5)]
    fake.next_style = "relative"
    fake.duplicate_on_next_page = True
    connection = opensesame_connection(team, fake)

    run = sync(connection)

    assert run.state == RunState.SUCCEEDED
    assert (run.created, run.unchanged, run.failed) == (5, 0, 0)
    assert len(fake.content_requests()) == 3


def test_a_course_that_cannot_be_read_is_counted_and_nothing_else_moves(fake, team):
    fake.courses = [os_course("c1", "One"), os_course("c2", "Two")]
    connection = opensesame_connection(team, fake)
    sync(connection)

    fake.courses = [os_course("c1", "One", aiccLaunchUrl="not a url"), os_course("c2", "Two")]
    run = sync(connection)

    assert (run.failed, run.deactivated, run.state) == (1, 0, RunState.SUCCEEDED)
    assert run.errors[0].startswith("course 'c1': aiccLaunchUrl:")
    assert statuses(team.academy) == {"c1": "active", "c2": "active"}
    assert SyncRecord.objects.get(connection=connection, external_id="c1").last_error.startswith("aiccLaunchUrl:")
    assert CourseStatus.ACTIVE == "active"
