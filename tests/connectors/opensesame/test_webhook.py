"""The signed push: a delivery notice signed like our marketplace signs it runs an incremental sync at
once; bad signatures, stale timestamps and replays are refused."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from coursebridge.catalog.models import Course
from coursebridge.catalog.selectors import catalogue_search
from coursebridge.connectors.models import SyncRun
from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save
from coursebridge.core.models import Job
from tests.connectors.opensesame.factories import WEBHOOK_SECRET, opensesame_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in
from tests.fakes.opensesame import CIID, FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db
URL = "/api/academies/push-academy/connectors/opensesame/webhook"


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        yield server


@pytest.fixture
def connection(fake):
    academy = AcademyFactory(slug="push-academy")
    return opensesame_connection(GroupFactory(academy=academy, name="Team"), fake)


def notice(*, ciid: str = CIID, ids: list[str] | None = None) -> bytes:
    payload = {"event": "content.delivered", "customerIntegrationId": ciid, "count": len(ids or []),
               "courseIds": ids or [], "truncated": False, "occurredAt": "2026-11-24T08:00:00+00:00"}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, signature: str | None = None,
         url: str = URL):
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return Client().post(url, data=body, content_type="application/json", headers={
        "X-Marketplace-Timestamp": str(stamp), "X-Marketplace-Signature": signature or f"sha256={digest}",
        "X-Marketplace-Event": "content.delivered",
    })


def test_a_signed_delivery_runs_an_incremental_sync_at_once(eager_tasks, django_capture_on_commit_callbacks,
                                                             fake, connection):
    fake.courses = [os_course(f"c{n}", f"Delivered course {n}") for n in range(100)]
    learner = learner_in(connection.group, username="ada")

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(notice(ids=[f"c{n}" for n in range(100)]))
    found = catalogue_search(academy=connection.academy, user=learner, query="delivered")
    elapsed = time.monotonic() - started

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] is True
    run = SyncRun.objects.get(connection=connection)
    assert (run.full, run.trigger, run.created) == (False, "api", 100)
    assert Course.objects.filter(academy=connection.academy).count() == 100
    assert found.total == 100
    # The target is 5 s; the bound is looser so that a machine shared with other work does not fail it.
    assert elapsed < 15


def test_a_replay_is_refused(fake, connection):
    body = notice()
    stamp = int(time.time())
    assert post(body, timestamp=stamp).status_code == 202

    again = post(body, timestamp=stamp)

    assert again.status_code == 409
    assert again.json()["error"]["message"] == ("The notice was refused: this signature was already received "
                                                "(a replay).")
    assert Job.objects.filter(kind="connectors.sync").count() == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"secret": "another-secret"}, "X-Marketplace-Signature does not match the body"),
    ({"signature": "sha256=00"}, "X-Marketplace-Signature does not match the body"),
    ({"timestamp": int(time.time()) - 3600}, "X-Marketplace-Timestamp is more than 5 minutes away from our clock"),
    ({"url": "/api/academies/nowhere/connectors/opensesame/webhook"},
     "this academy has no OpenSesame connection"),
])
def test_an_unverifiable_notice_is_refused_and_syncs_nothing(fake, connection, change, message):
    response = post(notice(), **change)

    assert response.status_code == 401
    assert response.json()["error"] == {"code": "unauthenticated", "field": None,
                                        "message": f"The notice was refused: {message}."}
    assert not SyncRun.objects.exists()


def test_a_notice_for_another_ciid_is_refused(fake, connection):
    response = post(notice(ciid="someone-else"))

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "customerIntegrationId"
    assert not SyncRun.objects.exists()


def test_a_notice_while_switched_off_syncs_nothing(fake, connection):
    opensesame_save(academy=connection.academy, enabled=False, ciid=CIID, logo="custom", group=connection.group)

    response = post(notice())

    assert response.status_code == 202
    assert response.json()["accepted"] is False
    assert not SyncRun.objects.exists()


def test_a_body_that_is_not_json_is_refused_after_its_signature(fake, connection):
    response = post(b"not json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
