"""The signed push: a delivery notice signed like our marketplace signs it runs an incremental sync at
once; bad signatures, stale timestamps and replays are refused."""

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

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


def notice(*, ciid: str = CIID, ids: list[str] | None = None, event: str = "content.delivered") -> bytes:
    payload = {"event": event, "customerIntegrationId": ciid, "count": len(ids or []),
               "courseIds": ids or [], "truncated": False, "occurredAt": "2026-11-24T08:00:00+00:00"}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, signature: str | None = None,
         url: str = URL, event: str = "content.delivered"):
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return Client().post(url, data=body, content_type="application/json", headers={
        "X-Marketplace-Timestamp": str(stamp), "X-Marketplace-Signature": signature or f"sha256={digest}",
        "X-Marketplace-Event": event,
    })


def test_a_signed_delivery_syncs_the_named_courses_at_once(eager_tasks, django_capture_on_commit_callbacks,
                                                           fake, connection):
    """The notice names 100 courses: the sync asks for just those (our marketplace filters on `ids`;
    this fake, like OpenSesame, ignores it) and stops reading once all 100 came, two pages of a 400
    course catalogue. Nothing it did not read is deactivated."""
    fake.courses = [os_course(f"c{n}", f"Delivered course {n}") for n in range(400)]
    learner = learner_in(connection.group, username="ada")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(notice(ids=[f"c{n}" for n in range(100)]))

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] is True
    run = SyncRun.objects.get(connection=connection)
    assert (run.full, run.trigger, run.created, run.deactivated) == (False, "api", 100, 0)
    assert Course.objects.filter(academy=connection.academy).count() == 100
    assert catalogue_search(academy=connection.academy, user=learner, query="delivered").total == 100
    requests = fake.content_requests()
    assert len(requests) == 2
    assert parse_qs(urlsplit(requests[0]).query)["ids"] == [",".join(f"c{n}" for n in range(100))]


def test_a_notice_naming_more_than_a_request_can_hold_asks_in_groups(eager_tasks, django_capture_on_commit_callbacks,
                                                                     fake, connection):
    """Against a server that lists just the named courses (our marketplace), 100 ids per address."""
    fake.filters_ids = True
    fake.courses = [os_course(f"c{n}", f"Delivered course {n}") for n in range(400)]

    with django_capture_on_commit_callbacks(execute=True):
        post(notice(ids=[f"c{n}" for n in range(250)]))

    first_pages = [parse_qs(urlsplit(r).query) for r in fake.content_requests() if "page=1" in r]
    assert [len(q["ids"][0].split(",")) for q in first_pages] == [100, 100, 50]
    assert len(fake.content_requests()) == 5  # two pages of 50 for each group of 100, one for the last 50
    assert SyncRun.objects.get(connection=connection).created == 250


def test_a_truncated_notice_reads_the_whole_catalogue(eager_tasks, django_capture_on_commit_callbacks, fake,
                                                      connection):
    fake.courses = [os_course(f"c{n}", f"Delivered course {n}") for n in range(120)]
    body = json.dumps({"event": "content.delivered", "customerIntegrationId": CIID, "count": 1200,
                       "courseIds": ["c0"], "truncated": True, "occurredAt": "2026-11-24T08:00:00+00:00"}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        post(body)

    assert all("ids=" not in r for r in fake.content_requests())
    assert len(fake.content_requests()) == 3
    assert SyncRun.objects.get(connection=connection).created == 120


def test_a_lifecycle_notice_retires_the_named_course_the_answer_no_longer_lists(
        eager_tasks, django_capture_on_commit_callbacks, fake, connection):
    """The marketplace archived c1: it lists it no more, and its notice names it. A delivery notice
    naming a course that is missing changes nothing (it may be a mistake; the daily run decides)."""
    fake.filters_ids = True
    fake.courses = [os_course(f"c{n}", f"Course {n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        post(notice(ids=["c0", "c1", "c2"]))
    fake.courses = [os_course("c0", "Course 0"), os_course("c2", "Course 2")]

    with django_capture_on_commit_callbacks(execute=True):
        delivered = post(notice(ids=["c1"]))  # a delivery naming a course that does not come back: nothing moves
        post(notice(ids=["c1"], event="content.archived"), event="content.archived")

    statuses = dict(Course.objects.filter(academy=connection.academy).values_list("external_id", "status"))
    assert statuses == {"c0": "active", "c1": "inactive", "c2": "active"}
    runs = list(SyncRun.objects.filter(connection=connection).order_by("pk"))
    assert delivered.status_code == 202
    assert [(r.created, r.unchanged, r.deactivated) for r in runs] == [(3, 0, 0), (0, 0, 0), (0, 0, 1)]
    assert Course.objects.get(external_id="c1").status_reason == (
        "Deactivated: no longer in the OpenSesame catalogue.")


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
