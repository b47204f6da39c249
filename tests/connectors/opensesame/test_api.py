"""The OpenSesame settings over the API: saved in one go, secrets write-only, the CIID warning,
training admins only; Sync now through the connection's own endpoint."""

import pytest
from django.test import Client

from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Course
from tests.connectors.opensesame.factories import opensesame_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.opensesame import CIID, CLIENT_ID, CLIENT_SECRET, FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db
URL = "/api/academies/api-os/connectors/opensesame"


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        yield server


@pytest.fixture
def team():
    return GroupFactory(academy=AcademyFactory(slug="api-os", name="API Academy"), name="All")


def client_of(user) -> Client:
    _, token = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_put_then_get_with_write_only_secrets_and_sync_now(fake, team, eager_tasks,
                                                           django_capture_on_commit_callbacks):
    client = client_of(training_admin_of(team.academy, username="boss"))
    assert client.get(URL).status_code == 404

    body = {"enabled": True, "ciid": CIID, "logo": "custom", "group_id": team.pk, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "duplicate_policy": "keep_both", "sync_time": "07:30",
            "api_url": fake.url, "token_url": fake.token_url}
    saved = client.put(URL, body, content_type="application/json")

    assert saved.status_code == 200, saved.content
    out = saved.json()
    assert CLIENT_SECRET not in saved.content.decode()
    shown = ("enabled", "ciid", "logo", "group_id", "duplicate_policy", "sync_time", "warnings")
    assert {k: out[k] for k in shown} == {
        "enabled": True, "ciid": CIID, "logo": "custom", "group_id": team.pk, "duplicate_policy": "keep_both",
        "sync_time": "07:30", "warnings": []}
    assert out["credentials_set"] == {"client_id": True, "client_secret": True, "webhook_secret": False}
    assert client.get(URL).json() == out

    fake.courses = [os_course("c1", "Leading Teams")]
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post(f"/api/academies/api-os/connections/{out['connection_id']}/sync", {},
                          content_type="application/json")
    assert job.status_code == 202
    assert list(Course.objects.filter(academy=team.academy).values_list("external_id", flat=True)) == ["c1"]


def test_errors_name_the_field_and_a_shared_ciid_warns(fake, team):
    client = client_of(training_admin_of(team.academy, username="boss"))
    refused = client.put(URL, {"ciid": CIID, "logo": "custom", "group_id": team.pk}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "client_id"

    opensesame_connection(GroupFactory(academy=AcademyFactory(slug="other", name="Other Academy")), fake)
    saved = client.put(URL, {"ciid": CIID, "logo": "opensesame", "group_id": team.pk},
                       content_type="application/json")
    assert saved.status_code == 200
    assert saved.json()["warnings"][0].startswith(
        f"The CIID '{CIID}' is already used by another academy on this deployment (Other Academy).")


def test_learners_are_refused(team):
    response = client_of(learner_in(team, username="lea")).get(URL)
    assert response.status_code == 403
