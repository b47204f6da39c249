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

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, unquote, urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from coursebridge.content import hacp
from coursebridge.content.hacp_put_param import (
    put_param,
    put_param_at_once,
    put_param_in_one_transaction,
    read_put_param,
)
from coursebridge.content.hacp_sessions import SESSION_IDLE, OpenSession, find_session, sid_hash
from coursebridge.content.models import AiccSession, Unit, UnitState
from coursebridge.content.tracking import unit_state_record
from coursebridge.core import rawsql

__all__ = ["SESSION_IDLE", "SESSION_KEPT", "aicc_launch_url", "aicc_sessions_purge", "hacp_handle", "launch_address",
           "learner_data", "merge_table", "new_session", "sid_hash"]

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
    if report is not None and not report.keyword_groups:
        # The usual PutParam with its session's read: on PostgreSQL a bookmark or the clock in one
        # statement, on SQLite anything the SQL paths write in one transaction. What is not written
        # goes on below with the session read.
        write_at_once = put_param_at_once if db.vendor == "postgresql" else put_param_in_one_transaction
        session, written = write_at_once(request.session_id, report, now, db)
        if written:
            return hacp.response(hacp.SUCCESS)
    else:
        session = find_session(request.session_id, now, db)
    if session is None or not session.usable:
        return hacp.response(hacp.INVALID_SESSION)
    if not _password_accepted(session, request.au_password):
        return hacp.response(hacp.INVALID_PASSWORD)
    if request.command == hacp.GETPARAM:
        return _get_param(session, now)
    if not session.got_params:
        return hacp.response(hacp.INVALID_COMMAND)
    if report is not None:
        return put_param(session, report, now, db)
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
