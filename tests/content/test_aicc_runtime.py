"""AICC launch: the session id (random, stored hashed, bound to one unit state, expiring, refused
after ExitAU) and the launch address (File_Name, Web_Launch parameters, aicc_sid, aicc_url)."""

import hashlib
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import RequestFactory
from django.utils import timezone

from coursebridge.content.aicc_runtime import aicc_launch_url, hacp_handle, launch_address, new_session, sid_hash
from coursebridge.content.models import AiccSession
from tests.content.tracking_helpers import hacp_reply, package_course, put_data, started_attempt, state_of
from tests.factories import AcademyFactory, GroupFactory, learner_in

pytestmark = pytest.mark.django_db

HACP = "http://testserver/content/hacp"


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")


@pytest.fixture
def request_():
    return RequestFactory().get("/a/riverside/play/1/")


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def message(command: str, sid: str, aicc_data: str = "") -> dict[str, str]:
    from urllib.parse import urlencode

    return hacp_reply(hacp_handle(urlencode({"command": command, "session_id": sid, "aicc_data": aicc_data})))


# --- the session id ---------------------------------------------------------------------------------


def test_a_session_id_is_128_random_bits_of_which_only_the_hash_is_stored(group):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])

    sids = {new_session(state=state) for _ in range(50)}

    assert len(sids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", sid) for sid in sids)
    stored = set(AiccSession.objects.values_list("sid_hash", flat=True))
    assert stored == {hashlib.sha256(sid.encode()).hexdigest() for sid in sids}
    assert not stored & sids
    assert {row.state_id for row in AiccSession.objects.all()} == {state.pk}
    assert {row.academy_id for row in AiccSession.objects.all()} == {group.academy_id}


def test_the_session_ids_bits_vary_everywhere(group):
    """Across many ids every one of the 128 bit positions takes both values (a fixed or counter-like
    part would not)."""
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])

    values = [int(new_session(state=state), 16) for _ in range(200)]

    ones = [sum((value >> position) & 1 for value in values) for position in range(128)]
    assert all(0 < count < len(values) for count in ones)


def test_a_session_is_bound_to_its_attempt_and_au(group):
    course, _, units = package_course(group, units=2)
    learner = learner_in(group)
    attempt = started_attempt(learner, course)
    first, second = state_of(attempt, units[0]), state_of(attempt, units[1])
    sid = new_session(state=first)
    message("GetParam", sid)

    assert message("PutParam", sid, put_data(status="passed", time="00:01:00"))["error"] == "0"

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.lesson_status, second.lesson_status) == ("passed", "not attempted")
    assert (first.total_time_seconds, second.total_time_seconds) == (60, 0)


def test_a_session_expires_after_24_hours_idle(group):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])
    sid = new_session(state=state)
    message("GetParam", sid)
    row = AiccSession.objects.get(sid_hash=sid_hash(sid))
    last = row.last_seen_at

    almost = hacp_reply(hacp_handle(f"command=PutParam&session_id={sid}", now=last + timedelta(hours=24)))
    expired = hacp_reply(hacp_handle(f"command=PutParam&session_id={sid}", now=last + timedelta(hours=48, seconds=1)))

    assert almost["error"] == "0"
    assert expired["error"] == "3"


def test_a_session_is_refused_after_exitau(group):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])
    sid = new_session(state=state)
    message("GetParam", sid)
    message("PutParam", sid, put_data(status="incomplete"))

    assert message("ExitAU", sid)["error"] == "0"
    assert message("ExitAU", sid)["error"] == "3"
    assert message("GetParam", sid)["error"] == "3"
    assert AiccSession.objects.get(sid_hash=sid_hash(sid)).exited_at is not None


def test_a_new_session_starts_with_nothing_granted(group):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])
    before = timezone.now()

    new_session(state=state)

    row = AiccSession.objects.get()
    assert (row.got_params, row.put_params, row.exited_at, row.session_time_seconds) == (False, False, None, 0)
    assert row.last_seen_at >= before


# --- the launch address -------------------------------------------------------------------------------


def test_a_hosted_au_launches_from_the_package_file_url(group, request_):
    course, package, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])

    url = aicc_launch_url(request=request_, state=state)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"http://testserver/a/riverside/packages/{package.pk}/files/au1/index.html"
    )
    query = query_of(url)
    assert [name for name, _ in query] == ["aicc_sid", "aicc_url", "AICC_SID", "AICC_URL"]
    values = dict(query)
    assert values["aicc_sid"] == values["AICC_SID"]
    assert values["aicc_url"] == values["AICC_URL"] == HACP
    assert AiccSession.objects.get().sid_hash == sid_hash(values["aicc_sid"])
    assert AiccSession.objects.get().state_id == state.pk


def test_each_launch_opens_its_own_session(group, request_):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])

    first = dict(query_of(aicc_launch_url(request=request_, state=state)))["aicc_sid"]
    second = dict(query_of(aicc_launch_url(request=request_, state=state)))["aicc_sid"]

    assert first != second
    assert AiccSession.objects.filter(state=state).count() == 2


def test_a_remote_au_launches_at_its_own_address(group, request_):
    course, _, units = package_course(group, remote=True)
    state = state_of(started_attempt(learner_in(group), course), units[0])

    url = aicc_launch_url(request=request_, state=state)

    assert url.startswith("https://au.example.net/course/unit1.html?aicc_sid=")
    assert dict(query_of(url))["aicc_url"] == HACP


def test_web_launch_parameters_come_before_the_session(group, request_):
    course, _, units = package_course(group, remote=True, parameters="?lang=fr&mode=full")
    state = state_of(started_attempt(learner_in(group), course), units[0])

    url = aicc_launch_url(request=request_, state=state)

    assert [name for name, _ in query_of(url)] == ["lang", "mode", "aicc_sid", "aicc_url", "AICC_SID", "AICC_URL"]


def test_an_existing_query_string_and_fragment_are_kept():
    url = launch_address(
        base="https://au.example.net/start.html?course=7&x=a%20b#intro",
        parameters="&lang=fr",
        sid="abc",
        hacp_url="https://lms.example.org/content/hacp",
    )

    assert url == (
        "https://au.example.net/start.html?course=7&x=a%20b&lang=fr&aicc_sid=abc"
        "&aicc_url=https%3A%2F%2Flms.example.org%2Fcontent%2Fhacp&AICC_SID=abc"
        "&AICC_URL=https%3A%2F%2Flms.example.org%2Fcontent%2Fhacp#intro"
    )


def test_session_parameters_already_in_the_address_are_replaced():
    url = launch_address(
        base="https://au.example.net/a.html?AICC_SID=stale&aicc_url=http%3A%2F%2Fold&k=1",
        parameters="Aicc_Sid=other&b=2",
        sid="new",
        hacp_url="https://lms.example.org/h",
    )

    assert query_of(url) == [
        ("k", "1"),
        ("b", "2"),
        ("aicc_sid", "new"),
        ("aicc_url", "https://lms.example.org/h"),
        ("AICC_SID", "new"),
        ("AICC_URL", "https://lms.example.org/h"),
    ]


def test_a_hosted_file_name_with_its_own_query(group, request_):
    course, package, units = package_course(group)
    units[0].launch = "lesson one/start.htm?chapter=2#intro"
    units[0].save()
    state = state_of(started_attempt(learner_in(group), course), units[0])

    url = aicc_launch_url(request=request_, state=state)

    assert url.startswith(
        f"http://testserver/a/riverside/packages/{package.pk}/files/lesson%20one/start.htm?chapter=2&aicc_sid="
    )
    assert url.endswith("#intro")
    assert [name for name, _ in query_of(url)] == ["chapter", "aicc_sid", "aicc_url", "AICC_SID", "AICC_URL"]


def test_the_launch_address_follows_the_request_scheme_and_host(group):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])
    request = RequestFactory().get("/", secure=True, HTTP_HOST="localhost:8443")

    url = aicc_launch_url(request=request, state=state)

    assert url.startswith("https://localhost:8443/a/riverside/packages/")
    assert dict(query_of(url))["aicc_url"] == "https://localhost:8443/content/hacp"


def test_sessions_unused_for_90_days_are_purged_and_the_rest_kept(group):
    from coursebridge.config.celery import app
    from coursebridge.content.aicc_runtime import aicc_sessions_purge
    from coursebridge.content.tasks import purge_aicc_sessions

    course, _, units = package_course(group)
    state = state_of(started_attempt(learner_in(group), course), units[0])
    now = timezone.now()
    new_session(state=state, now=now - timedelta(days=91))  # unused for 91 days: purged
    recent = new_session(state=state, now=now - timedelta(days=89))

    assert aicc_sessions_purge(now=now) == 1
    assert set(AiccSession.objects.values_list("sid_hash", flat=True)) == {sid_hash(recent)}
    assert purge_aicc_sessions() == 0
    assert app.conf.beat_schedule["content.purge_aicc_sessions"]["task"] == "content.purge_aicc_sessions"
