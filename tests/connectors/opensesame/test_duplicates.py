"""The duplicate policy for courses arriving through the API that match an AICC package uploaded by
hand (same identifier): skip, replace (the uploaded course becomes the synced one, its learners and
old versions kept), keep both."""

import pytest

from coursebridge.catalog.models import Course, CourseKind
from coursebridge.connectors.sync import connection_sync
from coursebridge.content.models import Package, PackageFormat, Unit
from coursebridge.learning.models import Enrollment
from coursebridge.learning.services import launch_course
from tests.connectors.opensesame.factories import fast_session, opensesame_connection
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        server.courses = [os_course("c1", "Leading Teams"), os_course("c2", "Delegation")]
        yield server


@pytest.fixture
def team():
    return GroupFactory(academy=AcademyFactory(slug="dup-academy"), name="Team")


@pytest.fixture
def uploaded(team):
    """Leading Teams, uploaded earlier as an AICC package (Course_ID c1), with a learner in it."""
    course = CourseFactory(academy=team.academy, kind=CourseKind.PACKAGE, title="Leading Teams (uploaded)",
                           launch_url="", placed_in=team)
    package = Package.objects.create(academy=team.academy, course=course, format=PackageFormat.AICC, identifier="c1",
                                     title="Leading Teams", storage_prefix="packages/x/")
    Unit.objects.create(package=package, position=1, identifier="A1", title="Leading Teams", launch="index.html")
    launch_course(user=learner_in(team, username="ada"), course=course)
    return course


def sync(connection):
    return connection_sync(connection_id=connection.pk, session=fast_session(connection))


def test_skip_keeps_the_uploaded_course_and_says_so(fake, team, uploaded):
    run = sync(opensesame_connection(team, fake, duplicate_policy="skip"))

    assert run.created == 1
    assert list(Course.objects.filter(provider="opensesame").values_list("external_id", flat=True)) == ["c2"]
    assert run.errors == [f"course 'c1': skipped, the academy already has it as the uploaded course "
                          f"'Leading Teams (uploaded)' (#{uploaded.pk}); the duplicate policy is Skip."]
    uploaded.refresh_from_db()
    assert (uploaded.kind, uploaded.provider) == ("package", "")


def test_replace_turns_the_uploaded_course_into_the_synced_one(fake, team, uploaded):
    run = sync(opensesame_connection(team, fake, duplicate_policy="replace"))

    assert (run.created, run.failed) == (2, 0)
    uploaded.refresh_from_db()
    assert (uploaded.kind, uploaded.provider, uploaded.external_id, uploaded.title) == (
        "provider", "opensesame", "c1", "Leading Teams")
    assert Course.objects.filter(academy=team.academy).count() == 2
    versions = list(Package.objects.filter(course=uploaded).order_by("version").values_list(
        "version", "is_current", "storage_prefix"))
    assert versions == [(1, False, "packages/x/"), (2, True, "")]
    assert Unit.objects.get(package__course=uploaded, package__is_current=True).launch == (
        "https://aicc.opensesame.example/launch/c1/")
    assert Enrollment.objects.filter(course=uploaded, user__username="ada").exists()

    again = sync(opensesame_connection(team, fake, duplicate_policy="replace"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_keep_both_adds_the_synced_course_next_to_the_uploaded_one(fake, team, uploaded):
    run = sync(opensesame_connection(team, fake, duplicate_policy="keep_both"))

    assert run.created == 2
    assert sorted(Course.objects.filter(academy=team.academy).values_list("title", flat=True)) == [
        "Delegation", "Leading Teams", "Leading Teams (uploaded)"]
