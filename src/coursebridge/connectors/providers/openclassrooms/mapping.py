"""Pure: an OpenClassrooms payload becomes course fields and a content hash, or a statistic."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from coursebridge.catalog.services import ProviderCourseRow
from coursebridge.connectors.providers.base import CatalogItem, StatisticRow
from coursebridge.connectors.providers.openclassrooms.schemas import Course, LearnerStatistic

PROVIDER = "openclassrooms"
PUBLISHER = "OpenClassrooms"
# Every other status archives the course; one of these brings it back.
AVAILABLE_STATUSES = frozenset({"active", "coming-soon", "pre-registration"})
CATEGORY_ROOT = "OpenClassrooms"

# Course field <- payload field; the overrides below handle the rest.
FIELD_MAP = {
    "title": "title",
    "description": "description",
    "duration_minutes": "duration_minutes",
    "language": "language",
}


def content_hash(row: ProviderCourseRow, status: str) -> str:
    """A stable digest of every mapped field (and the remote status): equal hash, nothing to write."""
    payload = {
        "external_id": row.external_id, "title": row.title, "description": row.description,
        "launch_url": row.launch_url, "image_url": row.image_url, "duration_minutes": row.duration_minutes,
        "language": row.language, "publisher": row.publisher, "categories": sorted(row.category_names),
        "status": status,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def category_path(name: str) -> str:
    return f"|{CATEGORY_ROOT}|{' '.join(name.replace('|', ' ').split())}"


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'item'}: {first['msg']}"


def course_item(raw: dict[str, Any]) -> CatalogItem:
    """One catalogue item; an item that does not validate comes back with its error."""
    external_id = str(raw.get("id") or "")[:200] if isinstance(raw, dict) else ""
    try:
        course = Course.model_validate(raw)
    except ValidationError as exc:
        return CatalogItem(external_id=external_id, row=None, error=_problem(exc))
    fields = {target: getattr(course, source) for target, source in FIELD_MAP.items()}
    names = [" ".join(c.split()) for c in course.categories if c.strip()]
    row = ProviderCourseRow(
        external_id=course.id,
        title=" ".join(fields["title"].split())[:300],
        description=fields["description"],
        launch_url=str(course.url),
        image_url=str(course.image_url) if course.image_url else "",
        duration_minutes=fields["duration_minutes"],
        language=fields["language"],
        publisher=PUBLISHER,
        category_names=[CATEGORY_ROOT, *names],
    )
    status = course.status.strip().lower()
    row.content_hash = content_hash(row, status)
    return CatalogItem(
        external_id=course.id, row=row, available=status in AVAILABLE_STATUSES, remote_status=status,
        category_paths=[category_path(n) for n in names] or [f"|{CATEGORY_ROOT}"],
    )


def statistic_row(raw: dict[str, Any]) -> StatisticRow | str:
    """A statistic, or the reason it cannot be read. Time is the course's theoretical duration
    times progress: an estimate, never measured."""
    try:
        stat = LearnerStatistic.model_validate(raw)
    except ValidationError as exc:
        return _problem(exc)
    email = stat.user_email.strip().lower()
    if "@" not in email:
        return "user_email: not an email address"
    seconds = round(stat.theoretical_duration_minutes * 60 * stat.progress / 100)
    return StatisticRow(email=email, course_external_id=stat.course_id, progress=stat.progress, time_seconds=seconds)
