"""The SCORM runtime, server side: what the player's API (static content/scorm-api.js) commits becomes
one content.tracking.unit_state_record call.

- A commit is validated at the edge (CommitPayload), then element by element against the data model
  of the unit's SCORM version (vocabularies, types, lengths: suspend data 4,096 characters in 1.2 and
  64,000 in 2004). Every element that passes is kept in the unit state's raw data for the admin.
- Status: SCORM 1.2 lesson_status (with the mastery score deciding passed/failed for a "completed"
  unit that has a score); SCORM 2004 completion_status and success_status (with the scaled passing
  score deciding success when the unit has one and the content set a scaled score).
- Time: the content reports the time of its current session (1.2 HHHH:MM:SS.SS, 2004 ISO 8601
  duration); a runtime session (one page load of the player) is counted once: only the increase over
  what that session already reported is added, however often it commits.
- Order: every commit carries the sequence number of its runtime session; a commit with a number at or
  below the last one applied for that session is acknowledged and ignored, so a late beacon from the
  page unload cannot undo what a later commit recorded. A finished status is never downgraded
  anyway (content.tracking).
- The player page gets a per-launch token (signed: unit state, runtime session, user); the commit
  endpoint needs it and the learner's own session cookie.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from django.core import signing
from django.db import transaction
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coursebridge.accounts.models import User
from coursebridge.content.models import PackageFormat, Unit, UnitState
from coursebridge.content.scorm_datamodel import (
    SUCCESS_2004,
    format_duration_2004,
    format_timespan_12,
    parse_duration_2004,
    parse_timespan_12,
    validate_elements,
)
from coursebridge.content.tracking import unit_state_record
from coursebridge.core.errors import DomainError, PermissionDenied

SCORM_FORMATS = frozenset({PackageFormat.SCORM12, PackageFormat.SCORM2004})
SIGNING_NAMESPACE = "coursebridge.content.scorm-runtime"
TOKEN_MAX_AGE = 48 * 3600  # a player page left open longer than two days must be reloaded
# The raw-data key holding, per runtime session, the last sequence number applied, the session
# seconds already counted and when it last committed. Only the latest sessions are kept: older ones
# can no longer commit (their token has expired long before that many sessions follow).
RUNTIME_KEY = "runtime_sessions"
SESSIONS_KEPT = 50
# One runtime session counts for at most a day: a player left open on a desk is not learning time.
MAX_SESSION_SECONDS = 24 * 3600
MAX_ELEMENTS = 5000
# What the score columns hold (max_digits=9, decimal_places=4): larger scores stay in the raw data only.
SCORE_STEP = Decimal("0.0001")
SCORE_LIMIT = Decimal("100000")


# --- The edge -----------------------------------------------------------------------------------------

ElementName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ElementValue = Annotated[str, StringConstraints(max_length=64000)]


class RuntimePost(BaseModel):
    """Every post of scorm-api.js carries the per-launch token of its page."""

    model_config = ConfigDict(extra="forbid", strict=True)

    token: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class CommitPayload(RuntimePost):
    """A commit: the sequence number of this commit in its runtime session, and the elements set
    since the last acknowledged commit."""

    seq: Annotated[int, Field(ge=1, le=2**31 - 1)]
    elements: Annotated[dict[ElementName, ElementValue], Field(max_length=MAX_ELEMENTS)]
    terminated: bool = False


class StateRequest(RuntimePost):
    """What scorm-api.js posts at Initialize to read the unit state as it is then: the token only."""


@dataclass(frozen=True)
class RuntimeGrant:
    """What a per-launch token carries."""

    state_id: int
    session_id: str
    user_id: int


def runtime_token(*, state: UnitState, user: User) -> tuple[str, str]:
    """A new runtime session on the unit state: (session id, signed token for the commit endpoint)."""
    session_id = secrets.token_hex(12)
    token = signing.dumps({"s": state.pk, "r": session_id, "u": user.pk}, salt=SIGNING_NAMESPACE, compress=False)
    return session_id, token


def runtime_token_read(token: str) -> RuntimeGrant:
    try:
        value = signing.loads(token, salt=SIGNING_NAMESPACE, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise PermissionDenied("This player page has expired. Reload the page to continue.", field="token") from exc
    except signing.BadSignature as exc:
        raise PermissionDenied("The launch token is not valid. Reload the page to continue.", field="token") from exc
    try:
        return RuntimeGrant(state_id=int(value["s"]), session_id=str(value["r"]), user_id=int(value["u"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermissionDenied("The launch token is not valid. Reload the page to continue.", field="token") from exc


# --- From elements to a tracking write ------------------------------------------------------------


@dataclass(frozen=True)
class UnitRules:
    """What the package says about a unit that changes how its status is read."""

    mastery_score: Decimal | None = None  # SCORM 1.2 adlcp:masteryscore, 0-100
    scaled_passing_score: Decimal | None = None  # SCORM 2004, -1..1
    completion_threshold: Decimal | None = None  # SCORM 2004, 0..1


@dataclass(frozen=True)
class Record:
    """The unit_state_record arguments a commit comes to, and the session time it reports."""

    lesson_status: str | None = None
    success_status: str | None = None
    exit_mode: str | None = None
    location: str | None = None
    suspend_data: str | None = None
    score_raw: Decimal | None = None
    score_max: Decimal | None = None
    score_min: Decimal | None = None
    score_scaled: Decimal | None = None
    progress: int | None = None
    session_seconds: int | None = None

    def arguments(self) -> dict[str, Any]:
        return {
            "lesson_status": self.lesson_status, "success_status": self.success_status,
            "exit_mode": self.exit_mode, "location": self.location, "suspend_data": self.suspend_data,
            "score_raw": self.score_raw, "score_max": self.score_max, "score_min": self.score_min,
            "score_scaled": self.score_scaled, "progress": self.progress,
        }


def _score(value: str | None) -> Decimal | None:
    """A score the columns can hold, or None (blank, or too large: then only the raw data has it)."""
    if not value:
        return None
    try:
        number = Decimal(value).quantize(SCORE_STEP, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return number if abs(number) < SCORE_LIMIT else None


def _seconds(value: Decimal) -> int:
    return int(min(value, Decimal(MAX_SESSION_SECONDS)))


# Elements stored in a column of their own, by version: (element, column).
COLUMNS: dict[str, dict[str, str]] = {
    PackageFormat.SCORM12: {
        "cmi.core.lesson_location": "location", "cmi.suspend_data": "suspend_data",
        "cmi.core.score.raw": "score_raw", "cmi.core.score.max": "score_max", "cmi.core.score.min": "score_min",
    },
    PackageFormat.SCORM2004: {
        "cmi.location": "location", "cmi.suspend_data": "suspend_data", "cmi.score.raw": "score_raw",
        "cmi.score.max": "score_max", "cmi.score.min": "score_min", "cmi.score.scaled": "score_scaled",
    },
}
SCORE_COLUMNS = frozenset({"score_raw", "score_max", "score_min", "score_scaled"})


def record_of(
    *, version: str, elements: Mapping[str, str], rules: UnitRules, current_raw: Decimal | None = None,
    current_scaled: Decimal | None = None,
) -> Record:
    """The tracking write of validated elements. `current_raw` / `current_scaled` are the scores the
    unit already has, for the mastery rules when this commit sets a status without a score."""
    values: dict[str, Any] = {}
    for element, column in COLUMNS[version].items():
        if element in elements:
            value = elements[element]
            values[column] = _score(value) if column in SCORE_COLUMNS else value
    if version == PackageFormat.SCORM12:
        status = elements.get("cmi.core.lesson_status")
        raw = values["score_raw"] if values.get("score_raw") is not None else current_raw
        if status == "completed" and rules.mastery_score is not None and raw is not None:
            status = "passed" if raw >= rules.mastery_score else "failed"
        values["lesson_status"] = status
        exit_value = elements.get("cmi.core.exit")
        session = elements.get("cmi.core.session_time")
        seconds = _seconds(parse_timespan_12(session)) if session else None
    else:
        completion = elements.get("cmi.completion_status")
        measure = elements.get("cmi.progress_measure")
        if rules.completion_threshold is not None and measure:
            # With a completion threshold, the progress measure decides (SCORM 2004 RTE 4.2.4).
            completion = "completed" if Decimal(measure) >= rules.completion_threshold else "incomplete"
        values["lesson_status"] = completion if completion in {"completed", "incomplete", "not attempted"} else None
        success = elements.get("cmi.success_status")
        scaled = values.get("score_scaled") if "score_scaled" in values else current_scaled
        if rules.scaled_passing_score is not None and scaled is not None:
            success = "passed" if scaled >= rules.scaled_passing_score else "failed"
        values["success_status"] = success
        if measure:
            values["progress"] = int((Decimal(measure) * 100).to_integral_value(rounding=ROUND_HALF_UP))
        exit_value = elements.get("cmi.exit")
        if exit_value == "timeout":
            exit_value = "time-out"
        session = elements.get("cmi.session_time")
        seconds = _seconds(parse_duration_2004(session)) if session else None
    values["exit_mode"] = exit_value
    return Record(session_seconds=seconds, **values)


def unit_rules(unit: Unit) -> UnitRules:
    """The unit's mastery score is a percentage: SCORM 1.2 adlcp:masteryscore as is; for SCORM 2004
    the import stored the primary objective's minNormalizedMeasure times 100, the scaled passing
    score divided back here."""
    if unit.package.format == PackageFormat.SCORM2004:
        return UnitRules(
            scaled_passing_score=None if unit.mastery_score is None else unit.mastery_score / 100,
            completion_threshold=unit.completion_threshold,
        )
    return UnitRules(mastery_score=unit.mastery_score)


# --- The commit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitResult:
    state: UnitState
    applied: bool
    seq: int


def scorm_commit(
    *, state_id: int, session_id: str, seq: int, elements: Mapping[str, str], terminated: bool = False
) -> CommitResult:
    """Apply one commit of a runtime session to the unit state (and through it the attempt and the
    transcript). Ignored, and reported so, when the session already applied this sequence number or a
    later one. Raises DomainError (400) naming the element at fault; nothing is written then."""
    with transaction.atomic():
        state = (
            UnitState.objects.select_for_update().select_related("unit__package").filter(pk=state_id).first()
        )
        if state is None:
            raise DomainError("This unit's tracking record no longer exists.", field="token")
        version = state.unit.package.format
        if version not in SCORM_FORMATS:
            raise DomainError("This unit is not a SCORM unit.", field="token")
        sessions: dict[str, dict[str, int]] = dict((state.data or {}).get(RUNTIME_KEY) or {})
        now = int(time.time())
        seen = sessions.get(session_id)
        if seen is not None and seq <= seen["seq"]:
            return CommitResult(state=state, applied=False, seq=seen["seq"])
        validate_elements(version=version, elements=elements)
        record = record_of(
            version=version, elements=elements, rules=unit_rules(state.unit), current_raw=state.score_raw,
            current_scaled=state.score_scaled,
        )
        counted = seen["seconds"] if seen is not None else 0
        seen_ended = bool(seen.get("ended")) if seen is not None else False
        reported = record.session_seconds
        total = max(counted, reported) if reported is not None else counted
        sessions[session_id] = {"seq": seq, "seconds": total, "at": now, "ended": int(terminated or seen_ended)}
        for stale in sorted(sessions, key=lambda key: sessions[key].get("at", 0))[:-SESSIONS_KEPT]:
            del sessions[stale]
        state = unit_state_record(
            state_id=state.pk,
            add_seconds=total - counted,
            data={**elements, RUNTIME_KEY: sessions},
            new_session=seen is None,
            **record.arguments(),
        )
    return CommitResult(state=state, applied=True, seq=seq)


# --- What the player hands the API at launch ----------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    """A decimal as content expects it: 80, 0.75 (no trailing zeros, no exponent)."""
    if value is None:
        return None
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _entry(state: UnitState) -> str:
    if state.exit_mode == "suspend":
        return "resume"
    if state.sessions == 0 and not state.location and not state.suspend_data:
        return "ab-initio"
    return ""


def _kept(data: Mapping[str, Any], prefixes: tuple[str, ...]) -> dict[str, str]:
    """Elements of earlier sessions the content reads back (objectives, interactions, comments)."""
    return {k: v for k, v in data.items() if k.startswith(prefixes) and isinstance(v, str)}


def learner_name(user: User) -> str:
    """SCORM's "Last, First"."""
    if user.last_name and user.first_name:
        return f"{user.last_name}, {user.first_name}"
    return user.last_name or user.first_name or user.username


def runtime_initial(*, state: UnitState, unit: Unit, user: User) -> dict[str, str]:
    """The data model's values at Initialize, by element name; elements left out are not initialised
    (SCORM 2004 answers them with error 403)."""
    data = state.data or {}
    values: dict[str, str | None]
    if unit.package.format == PackageFormat.SCORM12:
        values = {
            "cmi.core.student_id": user.username,
            "cmi.core.student_name": learner_name(user),
            "cmi.core.lesson_location": state.location[:255],
            "cmi.core.credit": "credit",
            "cmi.core.lesson_status": state.lesson_status,
            "cmi.core.entry": _entry(state),
            "cmi.core.score.raw": _text(state.score_raw) or "",
            "cmi.core.score.min": _text(state.score_min) or "",
            "cmi.core.score.max": _text(state.score_max) or "",
            "cmi.core.total_time": format_timespan_12(state.total_time_seconds),
            "cmi.core.lesson_mode": "normal",
            "cmi.suspend_data": state.suspend_data,
            "cmi.launch_data": unit.core_vendor,
            "cmi.comments": str(data.get("cmi.comments", "")),
            "cmi.comments_from_lms": "",
            "cmi.student_data.mastery_score": _text(unit.mastery_score) or "",
            "cmi.student_data.max_time_allowed": unit.max_time_allowed,
            "cmi.student_data.time_limit_action": unit.time_limit_action,
            **_kept(data, ("cmi.objectives.", "cmi.interactions.")),
        }
    else:
        completion = {"completed": "completed", "passed": "completed", "failed": "completed",
                      "incomplete": "incomplete", "browsed": "incomplete"}.get(state.lesson_status)
        if completion is None:
            completion = "not attempted" if "cmi.completion_status" in data else "unknown"
        rules = unit_rules(unit)
        values = {
            "cmi.learner_id": user.username,
            "cmi.learner_name": learner_name(user),
            "cmi.credit": "credit",
            "cmi.mode": "normal",
            "cmi.entry": _entry(state),
            "cmi.completion_status": completion,
            "cmi.success_status": state.success_status if state.success_status in SUCCESS_2004 else "unknown",
            "cmi.location": state.location or None,
            "cmi.suspend_data": state.suspend_data or None,
            "cmi.launch_data": unit.core_vendor,
            "cmi.total_time": format_duration_2004(state.total_time_seconds),
            "cmi.score.scaled": _text(state.score_scaled),
            "cmi.score.raw": _text(state.score_raw),
            "cmi.score.min": _text(state.score_min),
            "cmi.score.max": _text(state.score_max),
            "cmi.progress_measure": _text(Decimal(state.progress) / 100) if "cmi.progress_measure" in data else None,
            "cmi.scaled_passing_score": _text(rules.scaled_passing_score),
            "cmi.completion_threshold": _text(rules.completion_threshold),
            "cmi.max_time_allowed": unit.max_time_allowed or None,
            "cmi.time_limit_action": unit.time_limit_action or "continue,no message",
            **_kept(data, ("cmi.objectives.", "cmi.interactions.", "cmi.comments_from_learner.",
                           "cmi.learner_preference.")),
        }
    return {name: value for name, value in values.items() if value is not None}
