"""AICC launch and HACP tracking: the session an AU talks through, and what each command does.

The aicc_sid handed to the AU is its only credential (it posts from another origin, without our
cookies): 128 random bits, of which only the SHA-256 is stored, bound to one unit state (one attempt
and one AU), expiring after 24 hours without a message and refused once ExitAU has been received.

Every tracking write goes through content.tracking, which merges under a row lock (a finished status
is never downgraded) and rolls the attempt and the transcript up: unit_state_record, or for PutParam,
the busiest message, its plain SQL equivalents (docs/decisions/0007-hacp-hot-path.md). What content
sends is learner data: nothing here logs aicc_data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import SplitResult, unquote, urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from coursebridge.content import hacp
from coursebridge.content.models import AiccSession, Unit, UnitState
from coursebridge.content.tracking import (
    STATUS_RANK,
    unit_state_record,
    unit_state_record_in_sql,
    unit_state_record_without_roll_up,
    without_roll_up_statements,
)
from coursebridge.core import rawsql
from coursebridge.learning.models import Attempt

SESSION_IDLE = timedelta(hours=24)
# Sessions unused for this long are deleted by a daily task; the admin's view of an attempt lists
# the ones kept (the unit state counts every session in `sessions` either way).
SESSION_KEPT = timedelta(days=90)
# Launch parameter names: CMI001 calls them case-insensitive, but content reads them with one exact
# spelling, some in lower case and some in upper case, so both are sent.
SID_NAMES = ("aicc_sid", "AICC_SID")
URL_NAMES = ("aicc_url", "AICC_URL")
# Rows kept per table of the optional commands (PutInteractions and the like), newest last.
TABLE_ROWS_KEPT = 1000
RECORD_KEYS = {
    hacp.PUTCOMMENTS: "comment_records", hacp.PUTOBJECTIVES: "objective_records", hacp.PUTPATH: "path_records",
    hacp.PUTPERFORMANCE: "performance_records", hacp.PUTINTERACTIONS: "interaction_records",
}


def sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", errors="replace")).hexdigest()


def new_session(*, state: UnitState, now: datetime | None = None) -> str:
    """Open an HACP session on the unit state; returns the clear aicc_sid (stored only hashed)."""
    sid = secrets.token_hex(16)
    AiccSession.objects.create(
        academy_id=state.academy_id, state=state, sid_hash=sid_hash(sid), last_seen_at=now or timezone.now()
    )
    return sid


def aicc_sessions_purge(*, now: datetime | None = None) -> int:
    """Delete the HACP sessions last seen more than SESSION_KEPT ago (long unusable: they expire
    after SESSION_IDLE); returns how many. What they recorded stays on the unit states."""
    cutoff = (now or timezone.now()) - SESSION_KEPT
    deleted, _ = AiccSession.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted


def _package_file_url(request: HttpRequest, unit: Unit, path: str) -> str:
    package = unit.package
    slug = package.course.academy.slug
    return request.build_absolute_uri(reverse("web:package_file", args=[slug, package.pk, path]))


def _without_aicc_parameters(query: str) -> list[str]:
    """The raw `name=value` parts of a query string, minus any aicc_sid/aicc_url already there."""
    ours = {name.lower() for name in SID_NAMES + URL_NAMES}
    return [
        part for part in query.split("&")
        if part and unquote(part.partition("=")[0]).strip().lower() not in ours
    ]


def launch_address(*, base: str, parameters: str, sid: str, hacp_url: str) -> str:
    """`base` (an absolute URL, possibly with its own query string and fragment) with the Web_Launch
    `parameters` and the session's aicc_sid and aicc_url merged into its query string."""
    parts: SplitResult = urlsplit(base)
    query = _without_aicc_parameters(parts.query)
    query += _without_aicc_parameters(parameters.strip().lstrip("?&"))
    for sid_name, url_name in zip(SID_NAMES, URL_NAMES, strict=True):
        query.append(urlencode({sid_name: sid, url_name: hacp_url}))
    return urlunsplit(parts._replace(query="&".join(query)))


def aicc_launch_url(*, request: HttpRequest, state: UnitState) -> str:
    """Where the browser opens the AU of `state`: its File_Name (an absolute URL for a remote AU,
    else the package file we serve) with the Web_Launch parameters, a new session's aicc_sid and
    the absolute address of the HACP endpoint."""
    unit = Unit.objects.select_related("package__course__academy").get(pk=state.unit_id)
    if unit.is_remote:
        base = unit.launch
    else:
        path, _, fragment = unit.launch.partition("#")
        path, _, query = path.partition("?")
        base = (_package_file_url(request, unit, path.lstrip("/")) + (f"?{query}" if query else "")
                + (f"#{fragment}" if fragment else ""))
    sid = new_session(state=state)
    return launch_address(
        base=base, parameters=unit.parameters, sid=sid, hacp_url=request.build_absolute_uri(reverse("content:hacp"))
    )


# --- the HACP commands -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSession:
    """What the commands need of a session, read in one query: the session row, and of its unit
    state, attempt and AU what PutParam and the password check use. `usable`: not exited and seen
    within SESSION_IDLE."""

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
def _session_select() -> str:
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


def _decimal(value: object) -> Decimal | None:
    """A decimal column as read by a plain cursor (SQLite answers with an int or a float)."""
    return None if value is None else Decimal(str(value))


def _open_session(row: Sequence[Any]) -> OpenSession:
    (pk, state_id, usable, got_params, put_params, seconds, status, raw, high, low, attempt_id, enrollment_id,
     mastery, password) = row[:14]
    return OpenSession(
        pk=pk, state_id=state_id, usable=bool(usable), got_params=bool(got_params), put_params=bool(put_params),
        session_time_seconds=seconds, lesson_status=status, score_raw=_decimal(raw), score_max=_decimal(high),
        score_min=_decimal(low), attempt_id=attempt_id, enrollment_id=enrollment_id, mastery_score=_decimal(mastery),
        au_password=password,
    )


def _valid_sid(session_id: str) -> bool:
    return bool(session_id) and len(session_id) <= 200


def _find_session(session_id: str, now: datetime, db: BaseDatabaseWrapper | None = None) -> OpenSession | None:
    if not _valid_sid(session_id):
        return None
    db = db or rawsql.database()
    with rawsql.dbapi_cursor(db) as cursor:
        cursor.execute(rawsql.sql(_session_select(), db),
                       [rawsql.datetime_value(now - SESSION_IDLE, db), sid_hash(session_id)])
        row = cursor.fetchone()
    return None if row is None else _open_session(row)


def _password_accepted(session: OpenSession, password: str) -> bool:
    if not session.au_password:
        return True
    return hmac.compare_digest(session.au_password.encode(), password.strip().encode())


def hacp_handle(body: bytes | str | hacp.HacpRequest, *, now: datetime | None = None) -> str:
    """Answer one HACP message (the raw form body, or an already parsed request) with the text of
    the reply.

    Errors: 1 Invalid Command for an unknown command or one out of the protocol's order (GetParam
    first; at least one PutParam before ExitAU); 3 Invalid Session ID for an unknown, expired or
    exited session; 2 Invalid AU password when the AU's .au row has an AU_Password and the message
    does not carry it. CMI001 sends the password as a form field of its own, `AU_password`, next to
    command, version, session_id and aicc_data (not inside aicc_data); AUs without one send nothing,
    and an AU row without one accepts any message.
    """
    request = body if isinstance(body, hacp.HacpRequest) else hacp.parse_request(body)
    if request.command not in hacp.COMMANDS:
        return hacp.response(hacp.INVALID_COMMAND)
    now = now or timezone.now()
    db = rawsql.database()
    report = read_put_param(request.aicc_data) if request.command == hacp.PUTPARAM else None
    if report is not None and db.vendor == "postgresql" and not report.keyword_groups:
        # The usual PutParam (a bookmark, the clock) in one statement with the session's read; what
        # that statement does not write goes on below with the session it read.
        session, written = _put_param_at_once(request.session_id, report, now, db)
        if written:
            return hacp.response(hacp.SUCCESS)
    else:
        session = _find_session(request.session_id, now, db)
    if session is None or not session.usable:
        return hacp.response(hacp.INVALID_SESSION)
    if not _password_accepted(session, request.au_password):
        return hacp.response(hacp.INVALID_PASSWORD)
    if request.command == hacp.GETPARAM:
        return _get_param(session, now)
    if not session.got_params:
        return hacp.response(hacp.INVALID_COMMAND)
    if report is not None:
        return _put_param(session, report, now, db)
    if request.command == hacp.EXITAU:
        return _exit_au(session, now)
    return _put_other(session, request.command, request.aicc_data, now)


def _touch(session: OpenSession, now: datetime, **changes: Any) -> int:
    """Update the open session (never one that has exited meanwhile); returns the rows changed."""
    return AiccSession.objects.filter(pk=session.pk, exited_at__isnull=True).update(last_seen_at=now, **changes)


def _get_param(session: OpenSession, now: datetime) -> str:
    if not session.got_params:
        with transaction.atomic():
            if not _touch(session, now, got_params=True):
                return hacp.response(hacp.INVALID_SESSION)
            unit_state_record(state_id=session.state_id, new_session=True)
    else:
        _touch(session, now)
    state = UnitState.objects.select_related("unit__package", "attempt__enrollment__user").get(pk=session.state_id)
    return hacp.response(hacp.SUCCESS, hacp.getparam_data(learner_data(state)))


def learner_data(state: UnitState) -> hacp.LearnerData:
    """What GetParam tells the AU about the learner and the unit state."""
    unit, user = state.unit, state.attempt.enrollment.user
    if state.exit_mode == "suspend":
        entry = "resume"
    elif state.lesson_status == "not attempted" and not state.location and not state.suspend_data:
        entry = "ab-initio"
    else:
        entry = ""
    return hacp.LearnerData(
        student_id=user.username,
        student_name=hacp.student_name(user.last_name, user.first_name, user.username),
        lesson_location=state.location,
        lesson_status=state.lesson_status,
        entry=entry,
        score_raw=state.score_raw,
        score_max=state.score_max,
        score_min=state.score_min,
        total_seconds=state.total_time_seconds,
        suspend_data=state.suspend_data,
        core_vendor=unit.core_vendor,
        course_id=unit.package.identifier,
        mastery_score=unit.mastery_score,
        max_time_allowed=unit.max_time_allowed,
        time_limit_action=unit.time_limit_action,
    )


def _with_mastery(status: str | None, raw: Decimal | None, mastery: Decimal | None) -> str | None:
    """A completed AU with a mastery score passes or fails by its score (when it has one)."""
    if status == "completed" and mastery is not None and raw is not None:
        return "passed" if raw >= mastery else "failed"
    return status


@dataclass(frozen=True, slots=True)
class PutParamReport:
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


def _put_param(session: OpenSession, put: PutParamReport, now: datetime, db: BaseDatabaseWrapper) -> str:
    score, reported, raw_data, exit_mode = put.score, put.reported_seconds, put.raw_data, put.exit_mode
    status = _with_mastery(put.status, score.raw if score else session.score_raw, session.mastery_score)
    location, suspend_data = put.location, put.suspend_data
    if put.keyword_groups or _first_completion(session, status):
        # Keyword groups: merged by the ORM path (the databases' JSON merges would not replace them whole).
        # The unit's first completion too: it may complete the course, and the ORM roll-up announces
        # that to the apps that act on it (native credit...) inside this transaction.
        with transaction.atomic():
            seen = _advance_session_time(session, reported, now)
            if seen is None:
                return hacp.response(hacp.INVALID_SESSION)
            unit_state_record(
                state_id=session.state_id, lesson_status=status, exit_mode=exit_mode, location=location,
                suspend_data=suspend_data, score_raw=score.raw if score else None,
                score_max=score.max if score else None, score_min=score.min if score else None,
                add_seconds=_session_total(seen, reported) - seen, data=raw_data,
            )
        return hacp.response(hacp.SUCCESS)
    report: dict[str, Any] = {
        "state_id": session.state_id, "attempt_id": session.attempt_id, "enrollment_id": session.enrollment_id,
        "exit_mode": exit_mode, "location": location, "suspend_data": suspend_data, "data": raw_data, "now": now,
        "db": db,
    }
    if _rolls_up(session, status, score):
        report.update(lesson_status=status, score_raw=score.raw if score else None,
                      score_max=score.max if score else None, score_min=score.min if score else None)
        write = unit_state_record_in_sql
    else:
        write = unit_state_record_without_roll_up
        if db.vendor == "postgresql":
            # The session's update and the three writes in one statement (one round trip, atomic).
            if _advance_and_write_at_once(session, reported, report, now):
                return hacp.response(hacp.SUCCESS)
            return _put_param_after_a_race(session, reported, report, write, now)
    with rawsql.write_transaction(db) as cursor:
        seen = session.session_time_seconds
        if _advance(cursor, session, reported, now, db):
            write(cursor, add_seconds=_session_total(seen, reported) - seen, **report)
            return hacp.response(hacp.SUCCESS)
    return _put_param_after_a_race(session, reported, report, write, now)


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
    ctes = [f"advance AS ({_advance_query()} RETURNING 1)"]
    params: list[Any] = [now, True, _session_total(seen, reported), session.pk, seen]
    for number, (query, values) in enumerate(statements):
        ctes.append(f"w{number} AS ({query} AND EXISTS (SELECT 1 FROM advance))")
        params += values
    with rawsql.dbapi_cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT COUNT(*) FROM advance", params)
        return bool(cursor.fetchone()[0])


def _put_param_at_once(session_id: str, put: PutParamReport, now: datetime,
                       db: BaseDatabaseWrapper) -> tuple[OpenSession | None, bool]:
    """PostgreSQL: the session read and, when what it reads lets this report take the short path,
    the session's update and the short path's three writes, all in one statement (one round trip
    for the usual PutParam). Returns the session as read (None: unknown) and whether the report was
    written.

    The statement writes only under the conditions the report would take the short path after a
    separate read: the session usable and past GetParam, an AU without a password, a status no
    better than the stored one (and no "completed" that the AU's mastery score could turn into
    passed or failed), the score the stored one, and the session's time still what was read with
    it (so the time added is computed from what the statement read). Otherwise nothing is written
    and hacp_handle goes on with the session it read, as after a separate read."""
    if not _valid_sid(session_id):
        return None, False
    conditions: list[str] = []
    condition_params: list[Any] = []
    if put.status and STATUS_RANK[put.status] > 0:
        conditions.append("lesson_status = ANY(%s)")
        condition_params.append([word for word, rank in STATUS_RANK.items() if rank >= STATUS_RANK[put.status]])
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
    ctes = [f"s AS ({_session_select()})",
            "go AS (SELECT id, state_id, attempt_id, enrollment_id, session_time_seconds AS seen FROM s "
            f"WHERE usable AND got_params AND au_password = ''{''.join(' AND ' + c for c in conditions)})",
            f"advance AS ({_advance_from_go()})"]
    for number, (query, values) in enumerate(writes):
        ctes.append(f"w{number} AS ({query} AND EXISTS (SELECT 1 FROM advance))")
        params += values
    with rawsql.dbapi_cursor(db) as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT s.*, EXISTS (SELECT 1 FROM advance) FROM s", params)
        row = cursor.fetchone()
    if row is None:
        return None, False
    return _open_session(row), bool(row[14])


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


def _exit_au(session: OpenSession, now: datetime) -> str:
    if not session.put_params:
        return hacp.response(hacp.INVALID_COMMAND)
    if not AiccSession.objects.filter(pk=session.pk, exited_at__isnull=True).update(last_seen_at=now, exited_at=now):
        return hacp.response(hacp.INVALID_SESSION)
    return hacp.response(hacp.SUCCESS)


def _put_other(session: OpenSession, command: str, aicc_data: str, now: datetime) -> str:
    """PutComments, PutObjectives, PutPath, PutPerformance, PutInteractions: their tables (a header
    row, then records) accumulate in the unit state's raw data for the admin's view, newest rows
    last; text that is not a table is kept as one record."""
    key = RECORD_KEYS[command]
    rows = hacp.parse_table(aicc_data, limit=TABLE_ROWS_KEPT)
    if not rows and aicc_data.strip():
        rows = [{"text": aicc_data.strip()[:10_000]}]
    with transaction.atomic():
        if not _touch(session, now):
            return hacp.response(hacp.INVALID_SESSION)
        if rows:
            current = (
                UnitState.objects.select_for_update().filter(pk=session.state_id).values_list("data", flat=True).get()
            )
            table = merge_table((current or {}).get(key), rows)
            unit_state_record(state_id=session.state_id, data={key: table})
    return hacp.response(hacp.SUCCESS)


def merge_table(current: Any, records: list[dict[str, str]]) -> dict[str, list[Any]]:
    """Records added to a stored table `{"columns": [...], "rows": [[...], ...]}` (columns kept in
    the order content sent them, which a JSON object would not keep on every database); a new
    column widens the older rows; only the newest TABLE_ROWS_KEPT rows are kept."""
    valid = isinstance(current, dict) and isinstance(current.get("columns"), list) and isinstance(
        current.get("rows"), list)
    columns = [str(name) for name in current["columns"]] if valid else []
    rows = [list(row) for row in current["rows"] if isinstance(row, list)] if valid else []
    for record in records:
        columns += [name for name in record if name not in columns]
    rows += [[record.get(name, "") for name in columns] for record in records]
    width = len(columns)
    return {"columns": columns, "rows": [row + [""] * (width - len(row)) for row in rows[-TABLE_ROWS_KEPT:]]}
