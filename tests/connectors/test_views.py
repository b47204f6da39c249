"""The connection pages: connect with write-only credentials, test, sync now, history, kept aside."""

import pytest

from coursebridge.connectors.models import Connection, UnmatchedStatistic
from coursebridge.connectors.sync import connection_sync
from coursebridge.core.models import Job
from tests.connectors.factories import openclassrooms_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.openclassrooms import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORGANIZATION_ID,
    FakeOpenClassrooms,
    fake_course,
    fake_statistic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        server.courses = [fake_course("1", "Python"), fake_course("2", "SQL")]
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="ui-oc")
    parent = GroupFactory(academy=academy, name="Europe")
    return GroupFactory(academy=academy, parent=parent, name="Data team")


def test_an_admin_connects_openclassrooms_on_a_subgroup(client_for, fake, team):
    client = client_for(training_admin_of(team.academy))

    page = client.get("/a/ui-oc/admin/connections/")
    assert "Connect OpenClassrooms" in page.content.decode()
    response = client.post("/a/ui-oc/admin/connections/new/", {
        "provider": "openclassrooms", "group": team.pk, "cred_client_id": CLIENT_ID,
        "cred_client_secret": CLIENT_SECRET, "cred_organization_id": ORGANIZATION_ID, "sync_time": "06:15",
        "enabled": "on", "api_url": fake.url, "token_url": fake.token_url,
    })

    connection = Connection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/a/ui-oc/admin/connections/{connection.pk}/"
    assert (connection.group, connection.sync_time.strftime("%H:%M")) == (team, "06:15")
    detail = client.get(response["Location"]).content.decode()
    assert CLIENT_SECRET not in detail and ORGANIZATION_ID not in detail
    assert "Stored: leave blank to keep it" in detail


def test_missing_credentials_are_named(client_for, team):
    client = client_for(training_admin_of(team.academy))

    response = client.post("/a/ui-oc/admin/connections/new/", {
        "provider": "openclassrooms", "group": team.pk, "cred_client_id": CLIENT_ID, "sync_time": "06:15",
        "cred_client_secret": "typed-secret",
    })

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert "typed-secret" not in response.content.decode()
    assert not Connection.objects.exists()


def test_saving_with_blank_secrets_keeps_them(client_for, fake, team):
    connection = openclassrooms_connection(team, fake)
    client = client_for(training_admin_of(team.academy))

    response = client.post(f"/a/ui-oc/admin/connections/{connection.pk}/", {
        "group": team.parent_id, "sync_time": "07:00", "api_url": fake.url, "token_url": fake.token_url,
    })

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.group_id == team.parent_id
    assert CLIENT_SECRET in connection.credentials


def test_test_connection_says_what_failed(client_for, fake, team):
    connection = openclassrooms_connection(team, fake)
    fake.organization_id = "another-org"
    client = client_for(training_admin_of(team.academy))

    response = client.post(f"/a/ui-oc/admin/connections/{connection.pk}/test/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert (f"OpenClassrooms: {fake.url}/v1/organizations/org-42/courses?page=1&amp;per_page=1 answered HTTP 404: "
            "nothing at this address." in response.content.decode())


def test_sync_now_shows_progress_then_the_history_shows_the_counts(
        client_for, fake, team, eager_tasks, django_capture_on_commit_callbacks):
    connection = openclassrooms_connection(team, fake)
    client = client_for(training_admin_of(team.academy))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/a/ui-oc/admin/connections/{connection.pk}/sync/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    job = Job.objects.get()
    assert f'id="job-{job.pk}"' in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.counts["created"]) == ("succeeded", 2)
    history = client.get(f"/a/ui-oc/admin/connections/{connection.pk}/runs/").content.decode()
    assert "succeeded" in history
    assert '<td class="num">2</td>' in history


def test_statistics_kept_aside_are_listed(client_for, fake, team):
    connection = openclassrooms_connection(team, fake)
    learner_in(team, email="known@example.org")
    from django.utils import timezone

    fake.statistics[timezone.now().date().isoformat()] = [fake_statistic("Stranger@Example.org", "1", 30)]
    connection_sync(connection_id=connection.pk)
    client = client_for(training_admin_of(team.academy))

    page = client.get(f"/a/ui-oc/admin/connections/{connection.pk}/unmatched/").content.decode()

    assert UnmatchedStatistic.objects.count() == 1
    assert "stranger@example.org" in page
    assert "No learner with this email in the academy" in page
    assert "(estimate)" in page


def test_learners_and_group_admins_do_not_see_connections(client_for, team):
    response = client_for(learner_in(team)).get("/a/ui-oc/admin/connections/")

    assert response.status_code == 403
