"""Tracking writes from content (HACP or the SCORM runtime) land here: the unit's state for the
attempt is updated under a row lock, then rolled up into the attempt and the transcript.

A completion is never lost: a finished status is never replaced by a lesser one (a retry, a reload or
a second tab reporting "incomplete" after "completed" changes nothing), and the time of every
session is added, never overwritten."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.utils import timezone

from coursebridge.content.models import Package, Unit, UnitState
from coursebridge.core import libpq, rawsql
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Attempt, Enrollment, LearningStatus, TimeSource
from coursebridge.learning.services import attempt_lock_query, attempt_progress_statements, attempt_record_progress

_STATE_FIELDS = ("lesson_status", "success_status", "exit_mode", "location", "suspend_data", "score_raw", "score_max",
                 "score_min", "score_scaled", "progress", "total_time_seconds", "data", "sessions")
# Normalised lesson statuses, from least to most finished.
STATUS_RANK = {"not attempted": 0, "browsed": 1, "incomplete": 2, "failed": 3, "completed": 4, "passed": 5}
FINISHED = {"completed", "passed", "failed"}
SUCCESS_RANK = {"": 0, "unknown": 0, "failed": 1, "passed": 2}


def unit_state_for(*, attempt: Attempt, unit_id: int) -> UnitState:
    state, _ = UnitState.objects.get_or_create(
        attempt=attempt, unit_id=unit_id, defaults={"academy_id": attempt.academy_id}
    )
    return state


def _merge_status(current: str, reported: str) -> str:
    if reported not in STATUS_RANK:
        raise DomainError(f"Unknown lesson status '{reported}'.", field="lesson_status")
    return reported if STATUS_RANK[reported] >= STATUS_RANK[current] else current


def _percent(state: UnitState | _StateRow) -> Decimal | None:
    """The unit's score as a percentage: scaled, else raw over max, else raw."""
    if state.score_scaled is not None:
        return state.score_scaled * 100
    if state.score_raw is None:
        return None
    if state.score_max:
        low = state.score_min or Decimal(0)
        if state.score_max > low:
            return (state.score_raw - low) * 100 / (state.score_max - low)
    return state.score_raw


@transaction.atomic
def unit_state_record(
    *,
    state_id: int,
    lesson_status: str | None = None,
    success_status: str | None = None,
    exit_mode: str | None = None,
    location: str | None = None,
    suspend_data: str | None = None,
    score_raw: Decimal | None = None,
    score_max: Decimal | None = None,
    score_min: Decimal | None = None,
    score_scaled: Decimal | None = None,
    progress: int | None = None,
    add_seconds: int = 0,
    data: dict[str, Any] | None = None,
    new_session: bool = False,
) -> UnitState:
    """Record what a unit reported, then roll the attempt up. `add_seconds` is the session time of
    this report (added to the total); `data` merges raw elements for the admin's view."""
    state = UnitState.objects.select_for_update().get(pk=state_id)
    before = _roll_up_inputs(state)
    loaded = {name: getattr(state, name) for name in _STATE_FIELDS}
    if add_seconds < 0:
        raise DomainError("Session time cannot be negative.", field="session_time")
    if progress is not None and not 0 <= progress <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", field="progress")
    if lesson_status:
        state.lesson_status = _merge_status(state.lesson_status, lesson_status)
    if success_status is not None:
        if success_status not in SUCCESS_RANK:
            raise DomainError(f"Unknown success status '{success_status}'.", field="success_status")
        if SUCCESS_RANK[success_status] >= SUCCESS_RANK[state.success_status]:
            state.success_status = success_status
    if exit_mode is not None:
        state.exit_mode = exit_mode[:20]
    if location is not None:
        state.location = location[:1000]
    if suspend_data is not None:
        state.suspend_data = suspend_data
    for name, value in (("score_raw", score_raw), ("score_max", score_max), ("score_min", score_min),
                        ("score_scaled", score_scaled)):
        if value is not None:
            setattr(state, name, value)
    if state.lesson_status in {"completed", "passed"}:
        state.progress = 100
    elif progress is not None:
        state.progress = max(state.progress, progress)
    state.total_time_seconds += add_seconds
    if data:
        state.data = {**state.data, **data}
    if new_session:
        state.sessions += 1
    # Only the columns that changed are written (the raw data can be large).
    state.save(update_fields=[name for name in _STATE_FIELDS if getattr(state, name) != loaded[name]] + ["updated_at"])
    if _roll_up_inputs(state) == before:
        _add_time(attempt_id=state.attempt_id, seconds=add_seconds)
    else:
        _roll_up(attempt_id=state.attempt_id)
    return state


def without_roll_up_statements(
    *,
    state_id: int | rawsql.Fragment,
    attempt_id: int | rawsql.Fragment,
    enrollment_id: int | rawsql.Fragment,
    exit_mode: str | None,
    location: str | None,
    suspend_data: str | None,
    add_seconds: int | rawsql.Fragment,
    data: dict[str, str],
    now: datetime,
    db: BaseDatabaseWrapper | None = None,
) -> list[tuple[str, list[Any]]]:
    """The statements (with `%s` placeholders, each ending in its WHERE clause) that record a
    report changing nothing the attempt's status, progress and score are computed from (the caller
    has checked: no better status, no new score), which is what most reports are: a bookmark,
    suspend data, the clock. Same result as unit_state_record, in three statements and no read: the
    unit state's bookmark, suspend data and exit are set, its time and the attempt's and the
    enrollment's grow by `add_seconds` (added by the database, so concurrent reports all count),
    and the raw elements in `data` (text values) are merged into the stored ones by the database.
    The ids and the seconds may be fragments of SQL (on PostgreSQL the statements become CTEs of
    one statement that reads the session and computes them).

    HACP PutParam is the busiest request content sends, several times a minute per learner; the
    ORM's statements cost several times a minimal request, so these are written in SQL and run on
    the DB-API connection, on PostgreSQL as one statement with the session's own update (see
    docs/decisions/0007-hacp-hot-path.md)."""
    if isinstance(add_seconds, int) and add_seconds < 0:
        raise DomainError("Session time cannot be negative.", field="session_time")
    db = db or rawsql.database()
    when = rawsql.datetime_value(now, db)
    state_params = [None if exit_mode is None else exit_mode[:20], None if location is None else location[:1000],
                    suspend_data]
    seconds = rawsql.bind(add_seconds, state_params)
    state_params += [json.dumps(data), when]
    state = rawsql.bind(state_id, state_params)
    return [
        (_state_update_query(db.vendor, "", seconds, state), state_params),
        *_add_time_statements(attempt_id=attempt_id, enrollment_id=enrollment_id, seconds=add_seconds, when=when),
    ]


def _add_time_statements(*, attempt_id: int | rawsql.Fragment, enrollment_id: int | rawsql.Fragment,
                         seconds: int | rawsql.Fragment, when: object) -> list[tuple[str, list[Any]]]:
    # As _add_time: the attempt's time is the sum of its units', the enrollment's of its attempts'.
    attempt_params: list[Any] = []
    attempt_seconds = rawsql.bind(seconds, attempt_params)
    attempt_params += [_MEASURED, when]
    attempt = rawsql.bind(attempt_id, attempt_params)
    enrollment_params: list[Any] = []
    enrollment_seconds = rawsql.bind(seconds, enrollment_params)
    enrollment_params.append(when)
    enrollment = rawsql.bind(enrollment_id, enrollment_params)
    attempt_query, enrollment_query = _add_time_queries(attempt_seconds, attempt, enrollment_seconds, enrollment)
    return [(attempt_query, attempt_params), (enrollment_query, enrollment_params)]


_MEASURED = TimeSource.MEASURED.value


@functools.cache
def _add_time_queries(attempt_seconds: str, attempt: str, enrollment_seconds: str, enrollment: str) -> tuple[str, str]:
    """The two updates of _add_time_statements, written once for each set of placeholders (or fragments)."""
    return (
        f"UPDATE {Attempt._meta.db_table} SET time_spent_seconds = time_spent_seconds + {attempt_seconds}, "
        f"time_source = %s, last_activity_at = %s WHERE id = {attempt}",
        f"UPDATE {Enrollment._meta.db_table} SET time_spent_seconds = time_spent_seconds + {enrollment_seconds}, "
        f"last_activity_at = %s WHERE id = {enrollment}",
    )


@functools.cache
def _state_update_query(vendor: str, rolled_up: str, seconds: str = "%s", state: str = "%s") -> str:
    """The unit state's update of both SQL paths; `rolled_up` sets the roll-up's own columns first;
    `seconds` and `state` are the placeholders (or SQL fragments) of the time added and the row."""
    merge = "COALESCE(data, '{}'::jsonb) || %s::jsonb" if vendor == "postgresql" else "json_patch(data, %s)"
    return (
        f"UPDATE {UnitState._meta.db_table} SET {rolled_up}exit_mode = COALESCE(%s, exit_mode), "
        "location = COALESCE(%s, location), suspend_data = COALESCE(%s, suspend_data), "
        f"total_time_seconds = total_time_seconds + {seconds}, data = {merge}, updated_at = %s WHERE id = {state}"
    )


def unit_state_record_without_roll_up(cursor: Any, **report: Any) -> None:
    """Run without_roll_up_statements(**report) on a DB-API cursor, inside the caller's transaction."""
    db = report.pop("db", None) or rawsql.database()
    for query, params in without_roll_up_statements(db=db, **report):
        cursor.execute(rawsql.sql(query, db), params)


def unit_state_record_in_sql(
    cursor: Any, *, attempt_id: int, enrollment_id: int, db: BaseDatabaseWrapper | None = None, **report: Any
) -> None:
    """unit_state_record for what an HACP PutParam reports (status, exit, bookmark, suspend data,
    score, time, text raw elements: `report` holds roll_up_writes' other arguments), rolled up the
    same way, in plain SQL on a DB-API cursor inside the caller's transaction: what the roll-up
    reads is read and locked (roll_up_reads), then the unit state is written and the attempt and
    the enrollment rolled up (roll_up_writes; a report that changes nothing they are computed from
    only adds its time). Same rules, same result as the ORM path (tests pin it), at a tenth of its
    cost (docs/decisions/0007-hacp-hot-path.md)."""
    db = db or rawsql.database()
    rows = []
    for query, params in roll_up_reads(attempt_id=attempt_id, enrollment_id=enrollment_id, db=db):
        cursor.execute(query, params)
        rows.append(cursor.fetchall())
    for query, params in roll_up_writes(rows, attempt_id=attempt_id, enrollment_id=enrollment_id, db=db, **report):
        cursor.execute(query, params)


def roll_up_reads(*, attempt_id: int, enrollment_id: int, db: BaseDatabaseWrapper) -> list[tuple[str, list[Any]]]:
    """What the SQL roll-up reads, in the driver's placeholders and in this order: the attempt's
    unit states (locked), the SCOs of the course's current package, the attempt's status and
    progress (locked). Their rows, in the same order, are what roll_up_writes takes."""
    return [
        (_states_query(db.vendor), [attempt_id]),
        (rawsql.sql(_SCO_QUERY, db), [enrollment_id]),
        (attempt_lock_query(db.vendor), [attempt_id]),
    ]


# How the rows of roll_up_reads' statements are read from PostgreSQL's text format (libpq.pipeline).
ROLL_UP_READ_COLUMNS: tuple[tuple[libpq.Column, ...], ...] = (
    (int, int, libpq.read_text, libpq.read_text, int, libpq.read_decimal, libpq.read_decimal, libpq.read_decimal,
     libpq.read_decimal, int),
    (int,),
    (libpq.read_text, int),
)


def roll_up_writes(
    rows: Sequence[Sequence[Sequence[Any]]],
    *,
    state_id: int,
    attempt_id: int,
    enrollment_id: int,
    lesson_status: str | None,
    exit_mode: str | None,
    location: str | None,
    suspend_data: str | None,
    score_raw: Decimal | None,
    score_max: Decimal | None,
    score_min: Decimal | None,
    add_seconds: int,
    data: dict[str, str],
    now: datetime,
    db: BaseDatabaseWrapper,
) -> list[tuple[str, list[Any]]]:
    """The statements (in the driver's placeholders) that write the report onto what roll_up_reads
    read (`rows`): the unit state merged as unit_state_record merges it, then either the time added
    to the attempt and the enrollment, or the attempt's status, progress and score rolled up from
    its unit states and the enrollment from its attempts."""
    if add_seconds < 0:
        raise DomainError("Session time cannot be negative.", field="session_time")
    state_rows, sco_rows, attempt_rows = rows
    states = [
        _StateRow(id=row[0], unit_id=row[1], lesson_status=row[2], success_status=row[3], progress=row[4],
                  score_raw=_score(row[5]), score_max=_score(row[6]), score_min=_score(row[7]),
                  score_scaled=_score(row[8]), total_time_seconds=row[9])
        for row in state_rows
    ]
    state = next(row for row in states if row.id == state_id)
    before = _roll_up_inputs(state)
    if lesson_status:
        state.lesson_status = _merge_status(state.lesson_status, lesson_status)
    for name, value in (("score_raw", score_raw), ("score_max", score_max), ("score_min", score_min)):
        if value is not None:
            setattr(state, name, value)
    if state.lesson_status in {"completed", "passed"}:
        state.progress = 100
    state.total_time_seconds += add_seconds
    when = rawsql.datetime_value(now, db)
    ops = db.ops
    writes: list[tuple[str, list[Any]]] = [(
        rawsql.sql(_state_update_query(db.vendor, _ROLLED_UP_SET), db),
        [state.lesson_status, state.progress, *(None if value is None else ops.adapt_decimalfield_value(value, 9, 4)
                                                for value in (state.score_raw, state.score_max, state.score_min)),
         None if exit_mode is None else exit_mode[:20], None if location is None else location[:1000],
         suspend_data, add_seconds, json.dumps(data), when, state_id],
    )]
    if _roll_up_inputs(state) == before:
        return writes + [(rawsql.sql(query, db), params) for query, params in _add_time_statements(
            attempt_id=attempt_id, enrollment_id=enrollment_id, seconds=add_seconds, when=when)]
    status, progress, score = _attempt_values(states, {row[0] for row in sco_rows})
    (status_now, progress_now), = attempt_rows
    return writes + attempt_progress_statements(
        status_now=status_now, progress_now=progress_now, attempt_id=attempt_id, enrollment_id=enrollment_id,
        status=status, progress=progress, score=score, time_spent_seconds=sum(s.total_time_seconds for s in states),
        time_source=TimeSource.MEASURED.value, now=now, db=db,
    )

_ROLLED_UP_SET = "lesson_status = %s, progress = %s, score_raw = %s, score_max = %s, score_min = %s, "
_SCORE_PLACES = Decimal("0.0001")
_SCO_QUERY = (
    f"SELECT u.id FROM {Unit._meta.db_table} u JOIN {Package._meta.db_table} p ON p.id = u.package_id "
    f"WHERE p.course_id = (SELECT course_id FROM {Enrollment._meta.db_table} WHERE id = %s) "
    "AND p.is_current AND u.is_sco"
)


@functools.cache
def _states_query(vendor: str) -> str:
    # Every unit state of the attempt is locked, so the roll-up reads a consistent set: a
    # concurrent report on another unit of the attempt waits until this one has rolled up.
    lock = " ORDER BY id FOR UPDATE" if vendor == "postgresql" else ""  # SQLite: one writer at a time
    return rawsql.sql(
        "SELECT id, unit_id, lesson_status, success_status, progress, score_raw, score_max, score_min, "
        f"score_scaled, total_time_seconds FROM {UnitState._meta.db_table} WHERE attempt_id = %s{lock}"
    )


def _score(value: object) -> Decimal | None:
    """A score column as a plain cursor reads it (SQLite answers with an int or a float), as the ORM
    would give it: four decimal places."""
    return None if value is None else Decimal(str(value)).quantize(_SCORE_PLACES)


def _roll_up_inputs(state: UnitState | _StateRow) -> tuple[object, ...]:
    """What the attempt's status, progress and score are computed from (its time is a plain sum)."""
    return (state.lesson_status, state.success_status, state.progress, state.score_raw, state.score_max,
            state.score_min, state.score_scaled)


def _add_time(*, attempt_id: int, seconds: int) -> None:
    """The roll-up of a report that changed nothing but time (a bookmark, suspend data, the clock):
    the attempt's time is the sum of its units' and the enrollment's the sum of its attempts', so
    both add the seconds, in two plain updates instead of a full roll-up."""
    # START sets both first activities; a report only moves the last one.
    changes: dict[str, Any] = {"last_activity_at": timezone.now()}
    if seconds:
        changes["time_spent_seconds"] = F("time_spent_seconds") + seconds
    enrollment_id = Attempt.objects.filter(pk=attempt_id).values_list("enrollment_id", flat=True).get()
    Attempt.objects.filter(pk=attempt_id).update(time_source=TimeSource.MEASURED, **changes)
    Enrollment.objects.filter(pk=enrollment_id).update(**changes)


def _roll_up(*, attempt_id: int) -> None:
    """The attempt shows its units: finished when every SCO is, with their mean score and total time."""
    attempt = Attempt.objects.select_related("enrollment").get(pk=attempt_id)
    # Only what the roll-up reads: not the raw data and suspend data of every unit.
    states = list(UnitState.objects.filter(attempt_id=attempt_id).only(*_ROLL_UP_FIELDS))
    package_units = list(
        Package.objects.filter(course_id=attempt.enrollment.course_id, is_current=True).values_list(
            "units__id", "units__is_sco"
        )
    )
    sco_ids = {uid for uid, is_sco in package_units if uid is not None and is_sco}
    status, progress, score = _attempt_values(states, sco_ids)
    attempt.time_source = TimeSource.MEASURED  # saved with the progress below
    attempt_record_progress(
        attempt=attempt,
        status=status if status != LearningStatus.IN_PROGRESS or attempt.status not in _DONE else None,
        progress=progress,
        score=score,
        time_spent_seconds=sum(s.total_time_seconds for s in states),
    )


@dataclass(slots=True)
class _StateRow:
    """What a roll-up reads of a unit state, as the SQL path reads it."""

    id: int
    unit_id: int
    lesson_status: str
    success_status: str
    progress: int
    score_raw: Decimal | None
    score_max: Decimal | None
    score_min: Decimal | None
    score_scaled: Decimal | None
    total_time_seconds: int


def _attempt_values(states: Sequence[UnitState | _StateRow], sco_ids: set[int]) -> tuple[str, int, float | None]:
    """The attempt's status, progress and score from its unit states and the package's SCOs."""
    by_unit = {s.unit_id: s for s in states}
    scos = [by_unit[uid] for uid in sco_ids if uid in by_unit]
    finished = [s for s in scos if _finished(s)]
    if sco_ids and len(finished) == len(sco_ids):
        if any(_outcome(s) == "failed" for s in finished):
            status = LearningStatus.FAILED
        elif all(_outcome(s) == "passed" for s in finished):
            status = LearningStatus.PASSED
        else:
            status = LearningStatus.COMPLETED
    else:
        status = LearningStatus.IN_PROGRESS
    if sco_ids:
        progress = int(sum(100 if _finished(s) else s.progress for s in scos) / len(sco_ids))
    else:
        progress = max((s.progress for s in states), default=0)
    percents = [p for p in (_percent(s) for s in scos) if p is not None]
    score = float(sum(percents) / len(percents)) if percents else None
    if score is not None:
        score = max(-9999.0, min(9999.0, round(score, 2)))
    return status, progress, score


_DONE = {LearningStatus.COMPLETED, LearningStatus.PASSED, LearningStatus.FAILED}
_ROLL_UP_FIELDS = ("unit_id", "lesson_status", "success_status", "progress", "score_raw", "score_max", "score_min",
                   "score_scaled", "total_time_seconds")


def _finished(state: UnitState | _StateRow) -> bool:
    return state.lesson_status in FINISHED or state.success_status in {"passed", "failed"}


def _outcome(state: UnitState | _StateRow) -> str:
    """passed / failed / completed for a finished unit; SCORM 2004's success status decides first."""
    if state.success_status in {"passed", "failed"}:
        return state.success_status
    return state.lesson_status
