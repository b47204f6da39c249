"""The connections API: write-only credentials, Test connection, Sync now, run history."""

import pytest
from django.db import connection as db
from django.test import Client

from coursebridge.accounts.services import api_token_create
from coursebridge.connectors.models import Connection, SyncRun
from coursebridge.connectors.services import lease_acquire
from coursebridge.core.models import Job
from tests.connectors.factories import openclassrooms_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.openclassrooms import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, FakeOpenClassrooms, fake_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        server.courses = [fake_course("1", "Python")]
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="api-oc")
    return GroupFactory(academy=academy, name="Data team")


def api_client(user):
    _, clear = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {clear}"})


def test_an_admin_connects_openclassrooms_and_the_secrets_never_come_back(fake, team):
    client = api_client(training_admin_of(team.academy))

    response = client.post("/api/academies/api-oc/connections", {
        "provider": "openclassrooms", "group_id": team.pk, "api_url": fake.url, "token_url": fake.token_url,
        "credentials": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "organization_id": ORGANIZATION_ID},
        "sync_time": "04:30",
    }, content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credentials_set"] == {"client_id": True, "client_secret": True, "organization_id": True}
    assert (body["group_name"], body["sync_time"], body["provider_label"]) == ("Data team", "04:30", "OpenClassrooms")
    assert CLIENT_SECRET not in response.content.decode()
    listed = client.get("/api/academies/api-oc/connections").content.decode()
    assert CLIENT_SECRET not in listed and CLIENT_ID not in listed
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM connectors_connection")
        stored = cursor.fetchone()[0]
    assert CLIENT_SECRET not in stored and stored  # encrypted at rest
    assert Connection.objects.get().credentials.startswith('{"client_id"')


def test_a_blank_secret_keeps_the_stored_one_and_an_unknown_one_is_refused(fake, team):
    connection = openclassrooms_connection(team, fake)
    client = api_client(training_admin_of(team.academy))
    url = f"/api/academies/api-oc/connections/{connection.pk}"

    assert client.patch(url, {"credentials": {"client_secret": ""}}, content_type="application/json").status_code == 200
    assert client.post(f"{url}/test").json() == {
        "ok": True, "message": "Connected: the organisation's catalogue has 1 courses."}

    response = client.patch(url, {"credentials": {"password": "x"}}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid", "message": "'password' is not a credential of OpenClassrooms.", "field": "password"}


def test_test_connection_says_exactly_what_failed(fake, team):
    connection = openclassrooms_connection(team, fake)
    client = api_client(training_admin_of(team.academy))
    client.patch(f"/api/academies/api-oc/connections/{connection.pk}",
                 {"credentials": {"client_secret": "nope"}}, content_type="application/json")

    response = client.post(f"/api/academies/api-oc/connections/{connection.pk}/test")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"OpenClassrooms: {fake.token_url} refused the credentials (HTTP 401).")
    assert response.json()["error"]["code"] == "remote_unauthorized"


def test_sync_now_queues_a_job_and_refuses_while_a_run_holds_the_connection(
        fake, team, eager_tasks, django_capture_on_commit_callbacks):
    connection = openclassrooms_connection(team, fake)
    admin = training_admin_of(team.academy)
    client = api_client(admin)
    url = f"/api/academies/api-oc/connections/{connection.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}/sync", {}, content_type="application/json")
    assert response.status_code == 202
    assert client.get(f"/api/jobs/{response.json()['id']}").json()["status"] == "succeeded"
    assert SyncRun.objects.get().created == 1

    lease_acquire(connection_id=connection.pk, holder="someone else")
    refused = client.post(f"{url}/sync", {}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["error"]["message"].startswith("A sync of this connection is already running")
    assert Job.objects.count() == 1


def test_run_history_lists_runs_with_counts(fake, team):
    from coursebridge.connectors.sync import connection_sync

    connection = openclassrooms_connection(team, fake)
    connection_sync(connection_id=connection.pk)
    client = api_client(training_admin_of(team.academy))

    runs = client.get(f"/api/academies/api-oc/connections/{connection.pk}/runs").json()

    assert runs["count"] == 1
    assert runs["items"][0]["state"] == "succeeded"
    assert runs["items"][0]["counts"]["created"] == 1
    run_id = SyncRun.objects.get().pk
    assert client.get(f"/api/academies/api-oc/connections/{connection.pk}/runs/{run_id}").status_code == 200


def test_learners_cannot_see_connections(fake, team):
    openclassrooms_connection(team, fake)
    client = api_client(learner_in(team))

    assert client.get("/api/academies/api-oc/connections").status_code == 403
