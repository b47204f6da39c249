"""The HACP session an AU talks through, as every message reads it: found by the SHA-256 of its
aicc_sid (the clear sid is never stored), usable when it has not exited and was seen within
SESSION_IDLE, read in one SQL statement with what the commands need of its unit state, attempt
and AU (docs/decisions/0007-hacp-hot-path.md)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.backends.base.base import BaseDatabaseWrapper

from coursebridge.content.models import AiccSession, Unit, UnitState
from coursebridge.core import libpq, rawsql
from coursebridge.learning.models import Attempt

SESSION_IDLE = timedelta(hours=24)


def sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", errors="replace")).hexdigest()


class OpenSession(NamedTuple):
    """What the commands need of a session, read in one query: the session row, and of its unit
    state, attempt and AU what PutParam and the password check use. `usable`: not exited and seen
    within SESSION_IDLE. A named tuple: every message builds one, and it is immutable."""

    pk: int
    state_id: int
    usable: bool
    got_params: bool
    put_params: bool
    session_time_seconds: int
    lesson_status: str
    score_raw: Decimal | None
    score_max: Decimal | None
    score_min: Decimal | None
    attempt_id: int
    enrollment_id: int
    mastery_score: Decimal | None
    au_password: str


@functools.cache
def session_select() -> str:
    # Every HACP message starts here, so it is one statement written once (the ORM would build it
    # again for each message). Two parameters: the idle cutoff and the sid's hash.
    return (
        "SELECT s.id, s.state_id, s.exited_at IS NULL AND s.last_seen_at >= %s AS usable, s.got_params, "
        "s.put_params, s.session_time_seconds, st.lesson_status, st.score_raw, st.score_max, st.score_min, "
        "st.attempt_id, a.enrollment_id, u.mastery_score, u.au_password "
        f"FROM {AiccSession._meta.db_table} s "
        f"JOIN {UnitState._meta.db_table} st ON st.id = s.state_id "
        f"JOIN {Unit._meta.db_table} u ON u.id = st.unit_id "
        f"JOIN {Attempt._meta.db_table} a ON a.id = st.attempt_id "
        "WHERE s.sid_hash = %s"
    )


# How each column of session_select() is read from PostgreSQL's text format (libpq.rows).
SESSION_COLUMNS: tuple[libpq.Column, ...] = (
    int, int, libpq.read_boolean, libpq.read_boolean, libpq.read_boolean, int, libpq.read_text, libpq.read_decimal,
    libpq.read_decimal, libpq.read_decimal, int, int, libpq.read_decimal, libpq.read_text,
)


def _decimal(value: object) -> Decimal | None:
    """A decimal column as read by a plain cursor (SQLite answers with an int or a float)."""
    return None if value is None else Decimal(str(value))


def session_from_row(row: Sequence[Any]) -> OpenSession:
    (pk, state_id, usable, got_params, put_params, seconds, status, raw, high, low, attempt_id, enrollment_id,
     mastery, password) = row[:14]
    return OpenSession(
        pk=pk, state_id=state_id, usable=bool(usable), got_params=bool(got_params), put_params=bool(put_params),
        session_time_seconds=seconds, lesson_status=status, score_raw=_decimal(raw), score_max=_decimal(high),
        score_min=_decimal(low), attempt_id=attempt_id, enrollment_id=enrollment_id, mastery_score=_decimal(mastery),
        au_password=password,
    )


def valid_sid(session_id: str) -> bool:
    return bool(session_id) and len(session_id) <= 200


def find_session(session_id: str, now: datetime, db: BaseDatabaseWrapper | None = None) -> OpenSession | None:
    if not valid_sid(session_id):
        return None
    db = db or rawsql.database()
    with rawsql.dbapi_cursor(db) as cursor:
        cursor.execute(rawsql.sql(session_select(), db),
                       [rawsql.datetime_value(now - SESSION_IDLE, db), sid_hash(session_id)])
        row = cursor.fetchone()
    return None if row is None else session_from_row(row)
