"""SQLite's usual PutParam: the session read inside the write transaction of the report, which
takes the short path or the SQL roll-up there; anything else is left, with nothing written, to
hacp_handle with the session read (docs/decisions/0007-hacp-hot-path.md). The function is SQLite's
path, but it holds on any database, so these tests run on both."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from coursebridge.content.hacp_put_param import put_param_in_one_transaction, read_put_param
from coursebridge.content.models import AiccSession, UnitState
from coursebridge.core import rawsql
from coursebridge.learning.models import Attempt, Enrollment
from tests.content.tracking_helpers import (
    UNUSABLE_CASES,
    put_data,
    put_param_sent,
    session_a_message_may_not_use,
    session_after_get_param,
)
from tests.factories import AcademyFactory, GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")


def in_one_transaction(sid, **values):
    return put_param_in_one_transaction(sid, read_put_param(put_data(**values)), timezone.now(),
                                        rawsql.database())


def test_a_bookmark_and_the_clock_are_written_with_the_session_read(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", time="00:01:00")

    assert in_one_transaction(sid, status="incomplete", location="p4", time="00:01:30", lesson="q=1") == (None, True)

    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.location, stored.suspend_data, stored.total_time_seconds) == ("p4", "q=1", 90)
    assert Attempt.objects.get(pk=state.attempt_id).time_spent_seconds == 90
    assert Enrollment.objects.get(attempts__pk=state.attempt_id).time_spent_seconds == 90
    assert AiccSession.objects.get(state=state).session_time_seconds == 90


def test_a_new_score_is_rolled_up_in_the_same_transaction(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", score="40,100,0", time="00:00:20")

    assert in_one_transaction(sid, status="incomplete", score="60,100,0", time="00:00:50") == (None, True)

    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.score_raw, stored.total_time_seconds) == (Decimal(60), 50)
    attempt = Attempt.objects.get(pk=state.attempt_id)
    assert (attempt.score, attempt.time_spent_seconds) == (Decimal("60.00"), 50)


def test_a_units_first_completion_is_left_to_the_orm_path(group):
    sid, state = session_after_get_param(group)
    put_param_sent(sid, status="incomplete")

    session, written = in_one_transaction(sid, status="passed", score="90,100,0")

    assert written is False
    assert (session.state_id, session.lesson_status) == (state.pk, "incomplete")
    assert UnitState.objects.get(pk=state.pk).lesson_status == "incomplete"


@pytest.mark.parametrize("case", UNUSABLE_CASES)
def test_a_session_the_message_may_not_use_is_read_and_nothing_is_written(group, case):
    sid, state = session_a_message_may_not_use(group, case)

    session, written = in_one_transaction(sid, location="p8", time="00:00:20")

    assert written is False
    assert session.state_id == state.pk
    assert session.usable is (case not in {"exited", "expired"})
    assert UnitState.objects.get(pk=state.pk).location == ""


def test_an_unknown_session_is_none():
    assert in_one_transaction("0" * 32, location="p1") == (None, False)
    assert in_one_transaction("", location="p1") == (None, False)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: the order of SQLite's own statements "
                    "(PostgreSQL reads and writes the usual PutParam in one statement, test_hacp_one_statement)")
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_session_is_read_after_begin_immediate(group):
    sid, _ = session_after_get_param(group)
    put_param_sent(sid, status="incomplete", time="00:00:10")
    statements: list[str] = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(statements.append)
    try:
        put_param_sent(sid, status="incomplete", location="p2", time="00:00:20")
    finally:
        connection.connection.set_trace_callback(None)

    assert [statement.split()[0] for statement in statements] == [
        "BEGIN", "SELECT", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "COMMIT"]
    assert "sid_hash" in statements[1]
