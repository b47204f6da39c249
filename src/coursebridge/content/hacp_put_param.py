"""HACP PutParam, the busiest message content sends (several a minute per learner): what it
reports, read before the session, and the paths that write it (docs/decisions/0007-hacp-hot-path.md):
- the short path: a report that neither betters the status nor changes the score only moves the
  bookmark, the suspend data and the clock, in plain SQL; on PostgreSQL in one statement with the
  session's read (put_param_at_once);
- the SQL roll-up: a better status or a new score, rolled up in plain SQL;
- the ORM path: keyword groups, and a unit's first completion (announced to the apps that act on it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from coursebridge.content import hacp
from coursebridge.content.hacp_sessions import (
    SESSION_COLUMNS,
    SESSION_IDLE,
    OpenSession,
    session_from_row,
    session_select,
    sid_hash,
    valid_sid,
)
from coursebridge.content.models import AiccSession
from coursebridge.content.tracking import (
    ROLL_UP_READ_COLUMNS,
    STATUS_RANK,
    roll_up_reads,
    roll_up_writes,
    unit_state_record,
    unit_state_record_in_sql,
    unit_state_record_without_roll_up,
    without_roll_up_statements,
)
from coursebridge.core import libpq, rawsql


def _with_mastery(status: str | None, raw: Decimal | None, mastery: Decimal | None) -> str | None:
    """A completed AU with a mastery score passes or fails by its score (when it has one)."""
    if status == "completed" and mastery is not None and raw is not None:
        return "passed" if raw >= mastery else "failed"
    return status


class PutParamReport(NamedTuple):
    """What a PutParam's aicc_data reports, read before the session is: the status as sent (before
    the AU's mastery score applies), the exit, the score, the session time so far, the bookmark, the
    suspend data, and the raw elements kept for the admin's view."""

    status: str | None
    exit_mode: str | None
    score: hacp.Score | None
    reported_seconds: int | None
    location: str | None
    suspend_data: str | None
    raw_data: dict[str, Any]

    @property
    def keyword_groups(self) -> bool:
        """[Objectives_Status] or [Student_Preferences]: merged by the ORM path (the databases' JSON
        merges would not replace them whole)."""
        return any(not isinstance(value, str) for value in self.raw_data.values())


def read_put_param(aicc_data: str) -> PutParamReport:
    data = hacp.parse_aicc_data(aicc_data)
    core = data.core
    status, exit_mode = hacp.parse_lesson_status(core.get("lesson_status", ""))
    if status and "lesson_status" in core:
        exit_mode = exit_mode or ""  # a status without a suffix is a normal exit
    raw_data: dict[str, Any] = {f"core.{key}": value for key, value in core.items()}
    for name in ("objectives_status", "student_preferences"):
        if data.group(name) is not None:
            raw_data[name] = data.pairs(name)
    if data.group("comments") is not None:
        raw_data["comments"] = data.group("comments")
    return PutParamReport(
        status=status, exit_mode=exit_mode, score=hacp.parse_score(core.get("score", "")),
        reported_seconds=hacp.parse_time(core.get("time", "")), location=core.get("lesson_location"),
        suspend_data=data.group("core_lesson"), raw_data=raw_data,
    )


@dataclass(frozen=True, slots=True)
class _SqlWrite:
    """How a report is written in SQL: `write` (the short path's or the SQL roll-up's) with `report`
    as its arguments, after the session's update; `rolls_up` for the roll-up."""

    write: Callable[..., None]
    report: dict[str, Any]
    rolls_up: bool


def _status(session: OpenSession, put: PutParamReport) -> str | None:
    """The status the report sets, once the AU's mastery score has applied to a completion."""
    return _with_mastery(put.status, put.score.raw if put.score else session.score_raw, session.mastery_score)


def _sql_write(session: OpenSession, put: PutParamReport, status: str | None, now: datetime,
               db: BaseDatabaseWrapper) -> _SqlWrite | None:
    """The SQL path a report takes (`status`: _status's), from what was read with its session; None
    for the ORM path."""
    score = put.score
    if put.keyword_groups or _first_completion(session, status):
        return None
    report: dict[str, Any] = {
        "state_id": session.state_id, "attempt_id": session.attempt_id, "enrollment_id": session.enrollment_id,
        "exit_mode": put.exit_mode, "location": put.location, "suspend_data": put.suspend_data,
        "data": put.raw_data, "now": now, "db": db,
    }
    if not _rolls_up(session, status, score):
        return _SqlWrite(unit_state_record_without_roll_up, report, rolls_up=False)
    report.update(lesson_status=status, score_raw=score.raw if score else None,
                  score_max=score.max if score else None, score_min=score.min if score else None)
    return _SqlWrite(unit_state_record_in_sql, report, rolls_up=True)


def put_param(session: OpenSession, put: PutParamReport, now: datetime, db: BaseDatabaseWrapper) -> str:
    reported, status = put.reported_seconds, _status(session, put)
    plan = _sql_write(session, put, status, now, db)
    if plan is None:
        # Keyword groups: merged by the ORM path (the databases' JSON merges would not replace them whole).
        # The unit's first completion too: it may complete the course, and the ORM roll-up announces
        # that to the apps that act on it (native credit...) inside this transaction.
        score = put.score
        with transaction.atomic():
            seen = _advance_session_time(session, reported, now)
            if seen is None:
                return hacp.response(hacp.INVALID_SESSION)
            unit_state_record(
                state_id=session.state_id, lesson_status=status, exit_mode=put.exit_mode, location=put.location,
                suspend_data=put.suspend_data,
                score_raw=score.raw if score else None, score_max=score.max if score else None,
                score_min=score.min if score else None, add_seconds=_session_total(seen, reported) - seen,
                data=put.raw_data,
            )
        return hacp.response(hacp.SUCCESS)
    if db.vendor == "postgresql" and plan.rolls_up and not db.in_atomic_block:
        if _roll_up_in_two_batches(session, reported, plan.report, now, db):
            return hacp.response(hacp.SUCCESS)
        return _put_param_after_a_race(session, reported, plan.report, plan.write, now)
    if db.vendor == "postgresql" and not plan.rolls_up:
        # The session's update and the three writes in one statement (one round trip, atomic).
        if _advance_and_write_at_once(session, reported, plan.report, now):
            return hacp.response(hacp.SUCCESS)
        return _put_param_after_a_race(session, reported, plan.report, plan.write, now)
    with rawsql.write_transaction(db) as cursor:
        if _advance_and_write(cursor, session, reported, plan, now, db):
            return hacp.response(hacp.SUCCESS)
    return _put_param_after_a_race(session, reported, plan.report, plan.write, now)


def _advance_and_write(cursor: Any, session: OpenSession, reported: int | None, plan: _SqlWrite, now: datetime,
                       db: BaseDatabaseWrapper) -> bool:
    """Inside a write transaction: the session's update, then the report's writes if it was made."""
    seen = session.session_time_seconds
    if not _advance(cursor, session, reported, now, db):
        return False
    plan.write(cursor, add_seconds=_session_total(seen, reported) - seen, **plan.report)
    return True


def put_param_in_one_transaction(session_id: str, put: PutParamReport, now: datetime,
                                 db: BaseDatabaseWrapper) -> tuple[OpenSession | None, bool]:
    """SQLite: the session read inside the write transaction of the report it takes to the short
    path or the SQL roll-up (BEGIN IMMEDIATE, the read, the writes, COMMIT). SQLite drops a
    connection's page cache whenever another connection has written since its last transaction,
    which, with every AU posting, is at every transaction: read apart, the session's pages would be
    read twice. Returns, as put_param_at_once does, the session as read (None: unknown, or not
    needed since the report was written) and whether the report was written: a session that is not
    usable, before GetParam, an AU with a password and a report for the ORM path are left, with
    nothing written, to hacp_handle."""
    if not valid_sid(session_id):
        return None, False
    with rawsql.write_transaction(db) as cursor:
        cursor.execute(rawsql.sql(session_select(), db),
                       [rawsql.datetime_value(now - SESSION_IDLE, db), sid_hash(session_id)])
        row = cursor.fetchone()
        if row is None:
            return None, False
        session = session_from_row(row)
        if not (session.usable and session.got_params and not session.au_password):
            return session, False
        plan = _sql_write(session, put, _status(session, put), now, db)
        if plan is None or not _advance_and_write(cursor, session, put.reported_seconds, plan, now, db):
            return session, False
    return None, True


def _roll_up_in_two_batches(session: OpenSession, reported: int | None, report: dict[str, Any], now: datetime,
                            db: BaseDatabaseWrapper) -> bool:
    """PostgreSQL: the roll-up's statements (unit_state_record_in_sql's) sent in two pipelines, each
    one round trip: BEGIN, the session's update and the reads (locking what the roll-up reads);
    then the writes and COMMIT. Three round trips with the session's read, instead of ten. False,
    with nothing written, when another message of the session changed its time meanwhile."""
    seen = session.session_time_seconds
    reads = roll_up_reads(attempt_id=session.attempt_id, enrollment_id=session.enrollment_id, db=db)
    try:
        begun = libpq.pipeline(db, [
            ("BEGIN", (), ()),
            (_advance_query(), (now, True, _session_total(seen, reported), session.pk, seen), ()),
            *((query, params, columns) for (query, params), columns in zip(reads, ROLL_UP_READ_COLUMNS, strict=True)),
        ])
        if not begun[1].rowcount:
            libpq.rollback_if_open(db)
            return False
        writes = roll_up_writes([outcome.rows for outcome in begun[2:]],
                                add_seconds=_session_total(seen, reported) - seen, **report)
        libpq.pipeline(db, [*((query, params, ()) for query, params in writes), ("COMMIT", (), ())])
    except BaseException:
        libpq.rollback_if_open(db)
        raise
    return True


def _put_param_after_a_race(session: OpenSession, reported: int | None, report: dict[str, Any],
                            write: Callable[..., None], now: datetime) -> str:
    """Another message of the session changed its time since it was read: lock it, read it again
    and add what this report adds to that (None: the session has exited meanwhile)."""
    with transaction.atomic():
        seen = _advance_session_time(session, reported, now)
        if seen is None:
            return hacp.response(hacp.INVALID_SESSION)
        with rawsql.dbapi_cursor() as cursor:
            write(cursor, add_seconds=_session_total(seen, reported) - seen, **report)
    return hacp.response(hacp.SUCCESS)


def _advance(cursor: Any, session: OpenSession, reported: int | None, now: datetime,
             db: BaseDatabaseWrapper | None = None) -> bool:
    """Move the session's time to what the AU reported, if it is still the one read with the
    session; False when another message changed it (or the session exited) meanwhile."""
    seen = session.session_time_seconds
    db = db or rawsql.database()
    cursor.execute(rawsql.sql(_advance_query(), db), [rawsql.datetime_value(now, db), True,
                                                      _session_total(seen, reported), session.pk, seen])
    return bool(cursor.rowcount)


def _advance_and_write_at_once(session: OpenSession, reported: int | None, report: dict[str, Any],
                               now: datetime) -> bool:
    """PostgreSQL: the session's update and the short path's writes in one statement, the writes
    made only if the session's update was (each in a CTE, run once whatever the final SELECT reads)."""
    seen = session.session_time_seconds
    statements = without_roll_up_statements(add_seconds=_session_total(seen, reported) - seen, **report)
    writes, write_params = _guarded_by_advance(statements)
    ctes = [f"advance AS ({_advance_query()} RETURNING 1)", *writes]
    params: list[Any] = [now, True, _session_total(seen, reported), session.pk, seen, *write_params]
    rows = libpq.rows(report["db"], f"WITH {', '.join(ctes)} SELECT COUNT(*) FROM advance", params, (int,))
    return bool(rows[0][0])


def _guarded_by_advance(statements: list[tuple[str, list[Any]]]) -> tuple[list[str], list[Any]]:
    """The short path's writes as CTEs (`w0`, `w1`...) made only if the CTE `advance` (the session's
    update) changed its row, and their parameters in order. A data-modifying CTE runs once whatever
    the final SELECT reads."""
    ctes = [f"w{number} AS ({query} AND EXISTS (SELECT 1 FROM advance))"
            for number, (query, _) in enumerate(statements)]
    return ctes, [value for _, values in statements for value in values]


def put_param_at_once(session_id: str, put: PutParamReport, now: datetime,
                       db: BaseDatabaseWrapper) -> tuple[OpenSession | None, bool]:
    """PostgreSQL: the session read and, when what it reads lets this report take the short path,
    the session's update and the short path's three writes, all in one statement (one round trip
    for the usual PutParam). Returns the session as read (None: unknown, or not needed since the
    report was written) and whether the report was written.

    The statement writes only under the conditions the report would take the short path after a
    separate read: the session usable and past GetParam, an AU without a password, a status no
    better than the stored one (and no "completed" that the AU's mastery score could turn into
    passed or failed), the score the stored one, and the session's time still what was read with
    it (so the time added is computed from what the statement read). Otherwise nothing is written
    and hacp_handle goes on with the session it read, as after a separate read."""
    if not valid_sid(session_id):
        return None, False
    conditions: list[str] = []
    condition_params: list[Any] = []
    if put.status and STATUS_RANK[put.status] > 0:
        conditions.append("lesson_status = ANY(%s::varchar[])")
        condition_params.append(_statuses_at_least(put.status))
    if put.status == "completed":
        conditions.append("mastery_score IS NULL")
    if put.score is not None:
        for column, value in (("score_raw", put.score.raw), ("score_max", put.score.max),
                              ("score_min", put.score.min)):
            if value is not None:
                conditions.append(f"{column} = %s")
                condition_params.append(value)
    writes = without_roll_up_statements(
        state_id=_GO_STATE, attempt_id=_GO_ATTEMPT, enrollment_id=_GO_ENROLLMENT, add_seconds=_ADDED,
        exit_mode=put.exit_mode, location=put.location, suspend_data=put.suspend_data, data=put.raw_data, now=now,
        db=db,
    )
    params: list[Any] = [now - SESSION_IDLE, sid_hash(session_id), *condition_params, now,
                         put.reported_seconds, put.reported_seconds]
    ctes = [f"s AS ({session_select()})",
            "go AS (SELECT id, state_id, attempt_id, enrollment_id, session_time_seconds AS seen FROM s "
            f"WHERE usable AND got_params AND au_password = ''{''.join(' AND ' + c for c in conditions)})",
            f"advance AS ({_advance_from_go()})"]
    guarded, write_params = _guarded_by_advance(writes)
    ctes += guarded
    params += write_params
    rows = libpq.rows(db, f"WITH {', '.join(ctes)} SELECT s.*, EXISTS (SELECT 1 FROM advance) FROM s", params,
                      (*SESSION_COLUMNS, libpq.read_boolean))
    if not rows:
        return None, False
    if rows[0][14]:
        return None, True  # written: hacp_handle answers without reading the session
    return session_from_row(rows[0]), False


@functools.cache
def _statuses_at_least(status: str) -> str:
    """The statuses ranked at least as `status`, as a PostgreSQL array's text."""
    return libpq.array([word for word, rank in STATUS_RANK.items() if rank >= STATUS_RANK[status]])


_GO_STATE = rawsql.Fragment("(SELECT state_id FROM go)")
_GO_ATTEMPT = rawsql.Fragment("(SELECT attempt_id FROM go)")
_GO_ENROLLMENT = rawsql.Fragment("(SELECT enrollment_id FROM go)")
_ADDED = rawsql.Fragment("(SELECT added FROM advance)")


@functools.cache
def _advance_from_go() -> str:
    # As _advance, for the session the statement read (`go`); GREATEST ignores a NULL (no Time).
    return (
        f"UPDATE {AiccSession._meta.db_table} t SET last_seen_at = %s, put_params = TRUE, "
        "session_time_seconds = GREATEST(go.seen, %s::integer) FROM go "
        "WHERE t.id = go.id AND t.exited_at IS NULL AND t.session_time_seconds = go.seen "
        "RETURNING GREATEST(go.seen, %s::integer) - go.seen AS added"
    )


COMPLETING = frozenset({"completed", "passed"})


def _first_completion(session: OpenSession, status: str | None) -> bool:
    """A report that completes or passes the unit for the first time (once per learner and unit)."""
    return status in COMPLETING and session.lesson_status not in COMPLETING


def _rolls_up(session: OpenSession, status: str | None, score: hacp.Score | None) -> bool:
    """Whether the report may change what the attempt is rolled up from: a better status than the
    one read with the session, or a score that differs from it. Read before the report's transaction,
    the state may have moved on since; that only matters for what this report adds, and a report that
    neither betters the status nor changes the score adds only time, bookmark and suspend data."""
    if status and STATUS_RANK[status] > STATUS_RANK.get(session.lesson_status, 0):
        return True
    if score is None:
        return False
    return (score.raw != session.score_raw or (score.max is not None and score.max != session.score_max)
            or (score.min is not None and score.min != session.score_min))


@functools.cache
def _advance_query() -> str:
    return (
        f"UPDATE {AiccSession._meta.db_table} SET last_seen_at = %s, put_params = %s, session_time_seconds = %s "
        "WHERE id = %s AND exited_at IS NULL AND session_time_seconds = %s"
    )


def _advance_session_time(session: OpenSession, reported: int | None, now: datetime) -> int | None:
    """Move the session's time to what the AU reported (session time so far) and return the time it
    had before, so that only the increase is added: a repeated PutParam never counts the same minutes
    twice. The row is updated only if its time is still the one read with the session; when another
    message of the session changed it meanwhile, the row is locked and read again. None when the
    session has exited meanwhile. Call inside a transaction."""
    seen = session.session_time_seconds
    with rawsql.dbapi_cursor() as cursor:
        if _advance(cursor, session, reported, now):
            return seen
    locked = (
        AiccSession.objects.select_for_update()
        .filter(pk=session.pk, exited_at__isnull=True)
        .values_list("session_time_seconds", flat=True)
        .first()
    )
    if locked is None:
        return None
    AiccSession.objects.filter(pk=session.pk).update(
        last_seen_at=now, put_params=True, session_time_seconds=_session_total(locked, reported)
    )
    return locked


def _session_total(seen: int, reported: int | None) -> int:
    return max(seen, reported) if reported is not None else seen
