"""START on a synced OpenSesame course: the AU stays at OpenSesame, the learner is sent to its
aiccLaunchUrl with a new HACP session and our HACP endpoint, and the completion lands in the
transcript. Inactive courses refuse new learners and keep their transcripts."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from coursebridge.catalog.models import Course
from coursebridge.connectors.sync import connection_sync
from coursebridge.content.models import Package, Unit
from coursebridge.learning.models import Enrollment
from tests.connectors.opensesame.factories import fast_session, opensesame_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        server.courses = [os_course("c1", "Leading Teams"), os_course("c2", "Delegation")]
        yield server


@pytest.fixture
def team(fake):
    academy = AcademyFactory(slug="launch-os")
    team = GroupFactory(academy=academy, name="Sales")
    team.connection = opensesame_connection(team, fake)  # type: ignore[attr-defined]
    sync(team.connection)  # type: ignore[attr-defined]
    return team


def sync(connection):
    return connection_sync(connection_id=connection.pk, session=fast_session(connection))


def start(client: Client, course: Course) -> str:
    """START, then the unit page it leads to: the address at OpenSesame."""
    response = client.post(f"/a/launch-os/courses/{course.pk}/start/")
    assert response.status_code == 302, response.content[:300]
    unit = Unit.objects.get(package__course=course, package__is_current=True)
    assert f"/{unit.pk}/" in response["Location"]
    out = client.get(response["Location"])
    assert out.status_code == 302
    return out["Location"]


def hacp(sid: str, command: str, aicc_data: str = "") -> str:
    answer = Client().post("/content/hacp", {"command": command, "version": "4.0", "session_id": sid,
                                             "aicc_data": aicc_data})
    assert answer.status_code == 200
    return answer.content.decode()


def test_start_goes_to_the_au_at_opensesame_and_the_completion_lands_in_the_transcript(client_for, team):
    ada = learner_in(team, username="ada")
    course = Course.objects.get(external_id="c1")
    client = client_for(ada)

    address = start(client, course)

    parts = urlsplit(address)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://aicc.opensesame.example/launch/c1/"
    assert query["aicc_url"] == ["http://testserver/content/hacp"]
    sid = query["aicc_sid"][0]
    assert len(sid) == 32
    assert "error=0" in hacp(sid, "GetParam").lower()
    assert "error=0" in hacp(sid, "PutParam", "[Core]\r\nLesson_Status=passed\r\nScore=90\r\nTime=00:12:00").lower()
    assert "error=0" in hacp(sid, "ExitAU").lower()

    enrollment = Enrollment.objects.get(user=ada, course=course)
    assert enrollment.status == "passed"
    assert enrollment.completed_at is not None
    transcript = client.get("/a/launch-os/transcript/").content.decode()
    assert "Leading Teams" in transcript


def test_an_inactive_course_refuses_new_learners_and_stays_in_the_transcript(client_for, fake, team):
    ada = learner_in(team, username="ada")
    bob = learner_in(team, username="bob")
    course = Course.objects.get(external_id="c1")
    start(client_for(ada), course)

    fake.courses = [os_course("c2", "Delegation")]
    run = sync(team.connection)
    assert run.deactivated == 1

    course.refresh_from_db()
    assert course.status == "inactive"
    refused = client_for(bob).post(f"/a/launch-os/courses/{course.pk}/start/")
    assert refused.status_code in {403, 404}
    assert not Enrollment.objects.filter(user=bob, course=course).exists()
    assert "Leading Teams" in client_for(ada).get("/a/launch-os/transcript/").content.decode()
    search = client_for(bob).get("/a/launch-os/catalogue/?q=Leading")
    assert search.status_code == 200
    assert "Leading Teams" not in search.content.decode()
    assert "Delegation" in client_for(bob).get("/a/launch-os/catalogue/?q=Delegation").content.decode()


def test_a_course_without_a_unit_opens_its_address_and_one_without_either_is_refused(client_for, team):
    course = Course.objects.get(external_id="c2")
    Package.objects.filter(course=course).update(is_current=False)

    response = client_for(learner_in(team, username="ada")).post(f"/a/launch-os/courses/{course.pk}/start/")
    assert response.status_code == 302
    assert response["Location"] == "https://aicc.opensesame.example/launch/c2/"

    Course.objects.filter(pk=course.pk).update(launch_url="")
    response = client_for(learner_in(team, username="bob")).post(f"/a/launch-os/courses/{course.pk}/start/")
    assert response.status_code == 403
    assert "has no AICC launch address from OpenSesame yet" in response.content.decode()
