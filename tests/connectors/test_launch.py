"""START on a synced OpenClassrooms course records the attempt and sends the learner there."""

import pytest

from coursebridge.catalog.models import Course
from coursebridge.connectors.sync import connection_sync
from coursebridge.learning.models import Attempt, Enrollment, EntryPoint
from coursebridge.learning.services import launch_course
from tests.connectors.factories import openclassrooms_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in
from tests.fakes.openclassrooms import FakeOpenClassrooms, fake_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced():
    academy = AcademyFactory(slug="launch-oc")
    team = GroupFactory(academy=academy, name="Data team")
    with FakeOpenClassrooms() as fake:
        fake.courses = [fake_course("1", "Python")]
        connection_sync(connection_id=openclassrooms_connection(team, fake).pk)
    return team


def test_start_records_the_attempt_and_redirects_to_the_provider(client_for, synced):
    ada = learner_in(synced, username="ada")
    course = Course.objects.get(external_id="1")
    client = client_for(ada)

    page = client.get(f"/a/launch-oc/courses/{course.pk}/").content.decode()
    response = client.post(f"/a/launch-oc/courses/{course.pk}/start/")

    assert "Python" in page
    assert response.status_code == 302
    assert response["Location"] == "https://openclassrooms.example/courses/1"
    enrollment = Enrollment.objects.get(user=ada, course=course)
    assert (enrollment.entry_point, enrollment.status) == ("catalogue", "in_progress")
    assert Attempt.objects.filter(enrollment=enrollment).count() == 1


def test_a_start_from_a_program_session_is_its_own_entry(synced):
    ada = learner_in(synced, username="ada")
    course = Course.objects.get(external_id="1")

    launch = launch_course(user=ada, course=course, entry_point=EntryPoint.SESSION, session_id=3)

    assert launch.url == "https://openclassrooms.example/courses/1"
    assert launch.attempt.enrollment.entry_key == "session:3"


def test_a_learner_outside_the_synchronized_group_does_not_see_it(client_for, synced):
    other = GroupFactory(academy=synced.academy, name="Sales")
    bob = learner_in(other, username="bob")
    course = Course.objects.get(external_id="1")

    response = client_for(bob).post(f"/a/launch-oc/courses/{course.pk}/start/")

    assert response.status_code in {403, 404}
    assert not Enrollment.objects.filter(user=bob).exists()
