"""Pure: an OpenSesame content item becomes course fields, provider-owned category paths and a
content hash."""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from django.utils.html import strip_tags
from pydantic import ValidationError

from coursebridge.catalog.services import ProviderCourseRow
from coursebridge.connectors.providers.base import CatalogItem
from coursebridge.connectors.providers.opensesame.schemas import Course

PROVIDER = "opensesame"
LABEL = "OpenSesame"
DURATION_RE = re.compile(r"^\s*(\d{1,6}):([0-5]?\d):([0-5]?\d)(?:\.\d+)?\s*$")
MAX_TITLE = 300
MAX_PATH = 480


def duration_minutes(value: str | None) -> int | None:
    """"HH:MM:SS" as whole minutes, rounded up (a 30-second course takes a minute); None when absent
    or unreadable."""
    match = DURATION_RE.match(value or "")
    if not match:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    return math.ceil(total / 60) if total else None


def category_path(raw: str) -> str | None:
    """"|Business|Leadership" with each name's whitespace collapsed; None when it names nothing."""
    names = [" ".join(part.split())[:200] for part in raw.split("|")]
    names = [name for name in names if name]
    if not names:
        return None
    return ("|" + "|".join(names))[:MAX_PATH]


def description_of(course: Course) -> str:
    text = (course.descriptionText or "").strip()
    if not text and course.descriptionHtml:
        text = " ".join(strip_tags(course.descriptionHtml).split())
    return text


def content_hash(row: ProviderCourseRow, *, paths: list[str], languages: list[str], active: bool) -> str:
    """A stable digest of every mapped field and the active flag: equal hash, nothing to write."""
    payload = {
        "external_id": row.external_id, "title": row.title, "description": row.description,
        "launch_url": row.launch_url, "image_url": row.image_url, "duration_minutes": row.duration_minutes,
        "languages": languages, "publisher": row.publisher, "categories": sorted(paths), "active": active,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "item"
    return f"{where}: {first['msg']}"


def course_item(raw: Any) -> CatalogItem:
    """One content item; an item that does not validate comes back with its error (and its id when
    it has one, so the record says which course could not be read)."""
    external_id = ""
    if isinstance(raw, dict):
        raw_id = raw.get("id")
        external_id = (str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool)
                       else "")[:200]
    else:
        return CatalogItem(external_id="", row=None, error="the item is not a JSON object")
    try:
        course = Course.model_validate(raw)
    except ValidationError as exc:
        return CatalogItem(external_id=external_id, row=None, error=_problem(exc))
    paths = sorted({p for p in (category_path(c) for c in course.categories) if p})
    languages = [" ".join(language.split())[:35] for language in course.languages if language.strip()]
    names = sorted({name for path in paths for name in path.split("|") if name})
    image = course.imageUrl or course.thumbnailUrl
    row = ProviderCourseRow(
        external_id=course.id,
        title=" ".join(course.title.split())[:MAX_TITLE] or course.id,
        description=description_of(course),
        launch_url=str(course.aiccLaunchUrl)[:1000],
        image_url=str(image)[:1000] if image else "",
        duration_minutes=duration_minutes(course.duration),
        language=languages[0] if languages else "",
        publisher=" ".join((course.publisherName or "").split())[:200],
        category_names=names,
    )
    row.content_hash = content_hash(row, paths=paths, languages=languages, active=course.active)
    return CatalogItem(
        external_id=course.id, row=row, available=course.active,
        remote_status="active" if course.active else "inactive", category_paths=paths,
    )
