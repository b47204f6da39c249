"""PostgreSQL: the usual PutParam (a bookmark, the clock) is read and written in one statement, and
only when a separate read would have sent it down the short path; anything else is left to the
other paths with the session the statement read (docs/decisions/0007-hacp-hot-path.md)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from coursebridge.content import hacp
from coursebridge.content.aicc_runtime import hacp_handle
from coursebridge.content.hacp_put_param import put_param_at_once, read_put_param
from coursebridge.content.models import AiccSession, UnitState
from coursebridge.core import rawsql
from coursebridge.learning.models import Attempt, Enrollment
from tests.content.tracking_helpers import (
    UNUSABLE_CASES,
    open_session,
    package_course,
    put_data,
    put_param_sent,
    session_a_message_may_not_use,
    session_after_get_param,
)
from tests.factories import AcademyFactory, GroupFactory, learner_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: PutParam in one statement and the roll-up in two batches are PostgreSQL's "
        "paths; SQLite's are tested in test_hacp_endpoint and test_tracking_sql",
    ),
]


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")


def at_once(sid, **values):
    return put_param_at_once(sid, read_put_param(put_data(**values)), timezone.now(), rawsql.database())


def test_a_bookmark_and_the_clock_are_written_in_the_one_statement(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", time="00:01:00")

    session, written = at_once(sid, status="incomplete", location="p4", time="00:01:30", lesson="q=1")

    assert (session, written) == (None, True)
    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.location, stored.suspend_data, stored.total_time_seconds) == ("p4", "q=1", 90)
    assert stored.data["core.lesson_location"] == "p4"
    assert Attempt.objects.get(pk=state.attempt_id).time_spent_seconds == 90
    assert Enrollment.objects.get(attempts__pk=state.attempt_id).time_spent_seconds == 90
    assert AiccSession.objects.get(state=state).session_time_seconds == 90


def test_the_same_report_again_adds_no_time(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", time="00:02:00")

    _, written = at_once(sid, status="incomplete", time="00:02:00")

    assert written is True
    assert UnitState.objects.get(pk=state.pk).total_time_seconds == 120


@pytest.mark.parametrize(
    ("first", "then"),
    [
        pytest.param({"status": "incomplete"}, {"status": "passed"}, id="a better status"),
        pytest.param({"status": "incomplete", "score": "40,100,0"}, {"status": "incomplete", "score": "60,100,0"},
                     id="a new score"),
        pytest.param({"status": "incomplete", "score": "40,100,0"}, {"status": "incomplete", "score": "40,90,0"},
                     id="a new maximum"),
        pytest.param({"status": "incomplete"}, {"status": "incomplete", "score": "40"}, id="a first score"),
    ],
)
def test_a_report_that_rolls_up_is_left_to_the_roll_up_with_the_session_read(group, first, then):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, **first)
    before = UnitState.objects.get(pk=state.pk)

    session, written = at_once(sid, location="p2", time="00:00:30", **then)

    assert written is False
    assert (session.state_id, session.lesson_status, session.usable) == (state.pk, "incomplete", True)
    after = UnitState.objects.get(pk=state.pk)
    assert (after.location, after.total_time_seconds, after.score_raw) == ("", 0, before.score_raw)
    put_param_sent(sid, location="p2", time="00:00:30", **then)  # what hacp_handle then does with it
    assert UnitState.objects.get(pk=state.pk).location == "p2"


def test_completed_is_left_to_the_other_paths_when_a_mastery_score_may_make_it_passed_or_failed(group):
    sid, state = session_after_get_param(group, mastery=Decimal(80))
    put_param_sent(sid, status="completed", score="70,100,0")
    assert UnitState.objects.get(pk=state.pk).lesson_status == "failed"

    _, written = at_once(sid, status="completed", score="70,100,0", location="p5")

    assert written is False


def test_a_status_no_better_than_the_stored_one_is_written(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="passed", score="90,100,0")

    _, written = at_once(sid, status="incomplete", score="90,100,0", location="p6", time="00:00:10")

    assert written is True
    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.lesson_status, stored.location, stored.score_raw) == ("passed", "p6", Decimal(90))


@pytest.mark.parametrize("case", UNUSABLE_CASES)
def test_a_session_the_message_may_not_use_is_read_and_nothing_is_written(group, case):
    sid, state = session_a_message_may_not_use(group, case)

    session, written = at_once(sid, location="p8", time="00:00:20")

    assert written is False
    assert session is not None and session.state_id == state.pk
    assert session.usable is (case not in {"exited", "expired"})
    assert UnitState.objects.get(pk=state.pk).location == ""


def test_an_unknown_session_is_none():
    assert at_once("0" * 32, location="p1") == (None, False)
    assert at_once("", location="p1") == (None, False)


# --- the roll-up in two batches -----------------------------------------------------------------

REPORTS = [
    {"status": "incomplete", "location": "p1", "time": "00:00:10"},
    {"status": "incomplete", "score": "40,100,0", "location": "p2", "time": "00:00:30"},
    {"status": "incomplete", "location": "p3", "time": "00:00:45", "lesson": "q1=a"},
    {"status": "incomplete", "score": "55,100,0", "time": "00:01:10"},
    {"status": "failed", "score": "55,100,0", "time": "00:01:20"},
    {"status": "incomplete", "score": "70,100,0", "time": "00:01:30"},
    {"status": "passed", "score": "90,100,0", "time": "00:02:00"},
    {"status": "passed", "score": "95,100,0", "time": "00:02:05"},
]


@pytest.mark.django_db(transaction=True)
def test_the_roll_up_in_two_batches_leaves_what_the_one_statement_at_a_time_roll_up_leaves(group):
    """Outside a transaction a report that rolls up is sent in two batches; inside one (a caller's
    atomic block) statement by statement. The same reports leave the same states, attempts and
    enrollments either way."""
    from django.db import transaction

    from tests.content.test_tracking_sql import outcome

    course, _, _ = package_course(group)
    sessions = []
    for username in ("batched", "one-by-one"):
        sid, state = open_session(learner_in(group, username=username), course)
        assert hacp_handle(hacp.request_from_fields({"command": "GetParam", "session_id": sid})).startswith("error=0")
        sessions.append((sid, state))

    for values in REPORTS:
        put_param_sent(sessions[0][0], **values)
        with transaction.atomic():
            put_param_sent(sessions[1][0], **values)

    batched, one_by_one = (outcome(Attempt.objects.get(pk=state.attempt_id)) for _, state in sessions)
    assert batched == one_by_one
    assert batched[1][:3] == ("passed", 100, Decimal("95.00"))
    assert batched[0][0][9] == 125  # the unit state's time


@pytest.mark.django_db(transaction=True)
def test_a_roll_up_whose_session_moved_on_meanwhile_writes_nothing_and_ends_its_transaction(group):
    from coursebridge.content.hacp_put_param import _roll_up_in_two_batches
    from coursebridge.content.hacp_sessions import find_session

    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", time="00:00:10")
    session = find_session(sid, timezone.now())
    put_param_sent(sid, status="incomplete", time="00:00:20")  # another message of the session, after the read
    report = {"state_id": state.pk, "attempt_id": state.attempt_id, "enrollment_id": session.enrollment_id,
              "exit_mode": None, "location": "p9", "suspend_data": None, "data": {}, "now": timezone.now(),
              "db": rawsql.database(), "lesson_status": "incomplete", "score_raw": Decimal(50), "score_max": None,
              "score_min": None}

    written = _roll_up_in_two_batches(session, 30, report, timezone.now(), rawsql.database())

    assert written is False
    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.location, stored.score_raw, stored.total_time_seconds) == ("", None, 20)
    assert connection.connection.info.transaction_status == 0  # idle: the transaction was rolled back
