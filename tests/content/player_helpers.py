"""SCORM package courses made directly in the database, with their files in the default storage, and
the learner's attempt as START records it: what the player, runtime and SCORM browser tests share."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from coursebridge.accounts.models import Group, User
from coursebridge.catalog.models import Course, CourseKind
from coursebridge.content.models import Package, Unit
from coursebridge.learning.models import Attempt
from coursebridge.learning.services import launch_course
from tests.factories import CourseFactory

# The real packages of the shared test data (next to the project, never copied into it).
TESTDATA = Path(settings.BASE_DIR).parent / "shared" / "testdata" / "packages"


def scorm_course(
    group: Group,
    *,
    format: str = "scorm12",
    units: int = 1,
    assets: int = 0,
    mastery: Decimal | None = None,
    files: dict[str, str | bytes] | None = None,
    title: str | None = None,
    completion_threshold: Decimal | None = None,
) -> tuple[Course, Package, list[Unit]]:
    """A SCORM package course in the group's catalogue: `units` SCOs (sco1/index.html...) then
    `assets` assets, each with a small page stored under the package's prefix (plus `files`)."""
    course = CourseFactory(
        academy=group.academy,
        kind=CourseKind.PACKAGE,
        launch_url="",
        placed_in=group,
        **({"title": title} if title else {}),
    )
    package = Package.objects.create(
        academy=group.academy,
        course=course,
        format=format,
        identifier=f"com.example.{course.pk}",
        title=course.title,
        storage_prefix=f"packages/{group.academy_id}/{course.pk}/",
    )
    made = []
    stored: dict[str, str | bytes] = dict(files or {})
    for position in range(units + assets):
        folder = f"sco{position + 1}" if position < units else f"asset{position + 1 - units}"
        made.append(
            Unit.objects.create(
                package=package,
                position=position,
                identifier=f"item-{position + 1}",
                title=f"Lesson {position + 1}",
                launch=f"{folder}/index.html",
                is_sco=position < units,
                mastery_score=mastery,
                completion_threshold=completion_threshold if position < units else None,
            )
        )
        stored.setdefault(f"{folder}/index.html", f"<!doctype html><title>Lesson {position + 1}</title>")
    for name, content in stored.items():
        data = content.encode() if isinstance(content, str) else content
        default_storage.save(f"{package.storage_prefix}{name}", ContentFile(data))
    return course, package, made


def started(learner: User, course: Course) -> Attempt:
    """The attempt START opens (through the launch gate)."""
    return launch_course(user=learner, course=course).attempt


def runtime_config(html: str) -> dict:
    """The runtime JSON a player page embeds, or {} when it has none."""
    match = re.search(r'<script id="scorm-runtime" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)) if match else {}
