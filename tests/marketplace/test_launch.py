"""aiccLaunchUrl: license and seat checks, a clear page when refused, the launch recorded, the AU's
files served for the launch only; seats hold under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from coursebridge.core.errors import LaunchRefused
from coursebridge.marketplace import launch, services
from coursebridge.marketplace.models import Launch, License, Seat
from tests.marketplace import factories as f


def launch_url(integration, course, **params):
    from urllib.parse import urlencode

    return f"/marketplace/aicc/{integration.ciid}/{course.code}/?{urlencode(params)}"


@pytest.mark.django_db
def test_a_launch_takes_a_seat_once_and_serves_the_au_with_the_session_passed_through(media):
    account = f.account()
    integration = f.integration(account)
    course = f.course(title="Fire drills")
    f.delivered(account, integration, [course])
    client = Client()

    first = client.get(launch_url(integration, course, student_id="s-1", aicc_sid="abc", aicc_url="https://lms/h"))
    client.get(launch_url(integration, course, student_id="s-1", aicc_sid="def", aicc_url="https://lms/h"))
    page = client.get(first["Location"])

    assert first.status_code == 302
    assert first["Location"].endswith("/index.html?aicc_sid=abc&aicc_url=https%3A%2F%2Flms%2Fh")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "<h1>Fire drills</h1>" in b"".join(page.streaming_content).decode()
    seat = Seat.objects.get()
    assert seat.expires_at.date() == (seat.started_at + timedelta(days=365)).date()
    assert Launch.objects.count() == 2
    assert License.objects.get().seats_used == 1
    key = Launch.objects.order_by("id").first().key
    assert client.get(f"/marketplace/content/{key}/../../../settings.py").status_code == 404
    assert client.get(f"/marketplace/content/{key}/course.crs").status_code == 200
    assert client.get("/marketplace/content/not-a-key/index.html").status_code == 404


@pytest.mark.django_db
def test_refusals_are_clear_pages_and_record_nothing(media):
    account = f.account()
    integration = f.integration(account)
    full, expired, retired, undelivered = (f.course(title=t) for t in ("Full", "Expired", "Retired", "Elsewhere"))
    f.license_for(account, full, "volume", seats=1)
    f.license_for(account, expired, "ppu", expires_at=timezone.now() + timedelta(days=1))
    f.delivered(account, integration, [full], kind="volume")
    f.delivered(account, integration, [expired, retired])
    License.objects.filter(course=expired).update(expires_at=timezone.now() - timedelta(days=1))
    services.course_retire(course=retired)
    client = Client()
    client.get(launch_url(integration, full, student_id="first"))
    launches = Launch.objects.count()

    answers = {
        "full": client.get(launch_url(integration, full, student_id="second")),
        "expired": client.get(launch_url(integration, expired, student_id="x")),
        "retired": client.get(launch_url(integration, retired, student_id="x")),
        "undelivered": client.get(launch_url(integration, undelivered, student_id="x")),
        "anonymous": client.get(launch_url(integration, full)),
    }

    assert {k: a.status_code for k, a in answers.items()} == {
        "full": 403, "expired": 403, "retired": 403, "undelivered": 404, "anonymous": 403}
    text = {k: a.content.decode() for k, a in answers.items()}
    assert "All 1 seats of your organisation&#x27;s license for “Full” are taken." in text["full"]
    assert "license for “Expired” expired on" in text["expired"]
    assert "“Retired” has been retired by its publisher" in text["retired"]
    assert "was not delivered to this learning platform" in text["undelivered"]
    assert "open the course from your learning platform" in text["anonymous"]
    assert Launch.objects.count() == launches


@pytest.mark.django_db
def test_an_expired_ppu_seat_refuses_a_relaunch(media):
    account = f.account()
    integration = f.integration(account)
    course = f.course()
    f.delivered(account, integration, [course])
    target = launch.launch_target(ciid=integration.ciid, course_code=course.code)
    launch.launch_start(target=target, learner_key="s-1")
    Seat.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(LaunchRefused, match=r"Your seat for .* expired on"):
        launch.launch_start(target=target, learner_key="s-1")


@pytest.mark.django_db
def test_the_learner_is_asked_of_the_lms_when_the_launch_does_not_say(media, fake_lms):
    account = f.account()
    integration = f.integration(account)
    course = f.course()
    f.delivered(account, integration, [course])
    fake_lms.students["sid-9"] = "emp-9"
    integration.lms_hosts = urlsplit(fake_lms.url).netloc
    integration.save()
    client = Client()

    known = client.get(launch_url(integration, course, aicc_sid="sid-9", aicc_url=fake_lms.hacp_url))
    unknown = client.get(launch_url(integration, course, aicc_sid="sid-x", aicc_url=fake_lms.hacp_url))

    assert known.status_code == 302
    assert Seat.objects.get().learner_key == "emp-9"
    assert unknown.status_code == 403
    assert "did not confirm who you are" in unknown.content.decode()


@pytest.mark.django_db
def test_the_lms_is_asked_only_on_a_registered_host(media, fake_lms):
    account = f.account()
    integration = f.integration(account, lms_hosts="lms.example.org\n10.0.0.5:8443")
    course = f.course()
    f.delivered(account, integration, [course])
    fake_lms.students["sid-9"] = "emp-9"

    refused = Client().get(launch_url(integration, course, aicc_sid="sid-9", aicc_url=fake_lms.hacp_url))

    assert refused.status_code == 403
    assert f"The learning platform at {urlsplit(fake_lms.url).netloc} is not registered" in refused.content.decode()
    assert fake_lms.hacp_calls == []
    assert Seat.objects.count() == 0
    assert [integration.lms_host_allowed(url) for url in (
        "https://lms.example.org/hacp", "http://lms.example.org:8080/hacp", "https://10.0.0.5:8443/x",
        "https://10.0.0.5/x", "https://user@lms.example.org/hacp", "ftp://lms.example.org/", "https://evil.example/",
        "http://lms.example.org:99999/",
    )] == [True, True, True, False, False, False, False, False]


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_first_launches_take_exactly_ten_seats(media):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (SQLite serialises writers anyway)")
    account = f.account()
    integration = f.integration(account)
    course = f.course(package=False)
    course.au_path = "index.html"
    course.save()
    f.delivered(account, integration, [course], kind="volume")
    License.objects.update(seats=10)
    target = launch.launch_target(ciid=integration.ciid, course_code=course.code)
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def first_launch(n: int) -> None:
        try:
            barrier.wait()
            launch.launch_start(target=target, learner_key=f"learner-{n}")
            result = "seat"
        except LaunchRefused:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=first_launch, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("seat") == 10
    assert outcomes.count("refused") == 40
    assert Seat.objects.count() == 10
    assert License.objects.get().seats_used == 10
    assert Launch.objects.count() == 10
