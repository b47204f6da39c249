"""Reads behind the admin's view of a learner's attempt: the attempt, and what each unit of it
recorded, with the raw tracking data laid out as tables. Scoped to one academy and to the learners
the admin may see."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import users_in_scope
from coursebridge.content.models import AiccSession, Unit, UnitState
from coursebridge.learning.models import Attempt

# What the admin's page shows of long values (suspend data can be large).
TEXT_SHOWN = 4000


def attempt_for_admin(*, academy: Academy, actor: User, attempt_id: int) -> Attempt | None:
    """The attempt if it belongs to the academy and its learner is one the actor administers
    (anyone in the academy for training admins, members of their subtrees for group admins)."""
    attempt = (
        Attempt.objects.filter(academy=academy, pk=attempt_id)
        .select_related("enrollment__user", "enrollment__course")
        .first()
    )
    if attempt is None:
        return None
    if not users_in_scope(academy=academy, actor=actor).filter(pk=attempt.enrollment.user_id).exists():
        return None
    return attempt


@dataclass
class DataTable:
    """Rows of records with the same columns (PutInteractions and the like, SCORM interactions)."""

    name: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class RawData:
    """A unit state's raw tracking data: single values as (name, value) pairs, tables apart."""

    values: list[tuple[str, str]] = field(default_factory=list)
    tables: list[DataTable] = field(default_factory=list)


@dataclass
class UnitReport:
    unit: Unit
    state: UnitState | None
    sessions: list[AiccSession]
    raw: RawData

    @property
    def suspend_data_shown(self) -> str:
        return self.state.suspend_data[:TEXT_SHOWN] if self.state else ""

    @property
    def suspend_data_cut(self) -> bool:
        return bool(self.state) and len(self.state.suspend_data) > TEXT_SHOWN  # type: ignore[union-attr]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "…"


def raw_data_layout(data: dict[str, Any]) -> RawData:
    """Lay raw data out for reading: stored tables and lists of records become tables (records'
    columns in order of first appearance), nested objects flatten into dotted names, everything
    else is one value."""
    layout = RawData()

    def visit(name: str, value: Any) -> None:
        if _is_table(value):
            layout.tables.append(DataTable(
                name=name, columns=[_text(column) for column in value["columns"]],
                rows=[[_text(cell) for cell in row] for row in value["rows"]],
            ))
        elif isinstance(value, dict) and value:
            for key in sorted(value, key=str):
                visit(f"{name}.{key}" if name else str(key), value[key])
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            columns: list[str] = []
            for item in value:
                columns += [str(key) for key in item if str(key) not in columns]
            rows = [[_text(item.get(column, "")) for column in columns] for item in value]
            layout.tables.append(DataTable(name=name, columns=columns, rows=rows))
        else:
            layout.values.append((name, _text(value)))

    for key in sorted(data or {}, key=str):
        visit(str(key), data[key])
    return layout


def _is_table(value: Any) -> bool:
    """A table as the HACP tables are stored: {"columns": [...], "rows": [[...], ...]}."""
    return (
        isinstance(value, dict) and set(value) == {"columns", "rows"} and isinstance(value["columns"], list)
        and isinstance(value["rows"], list) and all(isinstance(row, list) for row in value["rows"])
    )


def attempt_units(*, attempt: Attempt) -> list[UnitReport]:
    """Every unit the attempt recorded something in, then the units of the course's current package
    it has not opened yet, in package and launch order."""
    states = list(
        UnitState.objects.filter(attempt=attempt, academy_id=attempt.academy_id)
        .select_related("unit__package")
        .prefetch_related(Prefetch("aicc_sessions", queryset=AiccSession.objects.order_by("created_at", "id")))
    )
    by_unit = {state.unit_id: state for state in states}
    current = Unit.objects.filter(
        package__course_id=attempt.enrollment.course_id, package__is_current=True,
        package__academy_id=attempt.academy_id,
    ).select_related("package")
    units = {state.unit_id: state.unit for state in states}
    for unit in current:
        units.setdefault(unit.pk, unit)
    ordered = sorted(units.values(), key=lambda u: (u.package.version, u.position, u.pk))
    reports = []
    for unit in ordered:
        state = by_unit.get(unit.pk)
        reports.append(UnitReport(
            unit=unit,
            state=state,
            sessions=list(state.aicc_sessions.all()) if state else [],
            raw=raw_data_layout(state.data) if state else RawData(),
        ))
    return reports
