"""Writes on courses, categories, tags, lifecycle and placements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from coursebridge.accounts.models import Academy, Group, User
from coursebridge.catalog import search
from coursebridge.catalog.models import (
    PROVIDER_OWNED_FIELDS,
    Category,
    Course,
    CourseKind,
    CourseStatus,
    CourseStatusChange,
    Placement,
    PlacementKind,
    Tag,
    Visibility,
)
from coursebridge.core.errors import Conflict, DomainError

LOCAL_FIELDS = ("visibility",)
_url = URLValidator(schemes=["http", "https"])


def _check_url(value: str, field_name: str) -> None:
    if len(value) > 1000:
        raise DomainError("An address has at most 1000 characters.", field=field_name)
    try:
        _url(value)
    except ValidationError as exc:
        raise DomainError(f"'{value}' is not an http(s) address.", field=field_name) from exc


def _check_title(value: str | None) -> str:
    title = (value or "").strip()
    if not title:
        raise DomainError("A course needs a title.", field="title")
    if len(title) > 300:
        raise DomainError("A course title has at most 300 characters.", field="title")
    return title


def _check_details(duration_minutes: int | None, language: str) -> None:
    if duration_minutes is not None and duration_minutes < 0:
        raise DomainError("A duration cannot be negative.", field="duration_minutes")
    if len(language or "") > 35:
        raise DomainError("A language code has at most 35 characters.", field="language")


def course_refresh_search_text(*, course: Course) -> None:
    names = [c.name for c in course.categories.all()] + [t.name for t in course.tags.all()]
    course.search_text = search.build_search_text(course.title, course.description, names)
    Course.objects.filter(pk=course.pk).update(search_text=course.search_text)


def _categories_of(academy: Academy, ids: Iterable[int]) -> list[Category]:
    wanted = set(ids)
    found = list(Category.objects.filter(academy=academy, pk__in=wanted))
    missing = wanted - {c.pk for c in found}
    if missing:
        raise DomainError(f"No category with id {sorted(missing)[0]} in this academy.", field="category_ids")
    return found


def tags_ensure(*, academy: Academy, names: Iterable[str]) -> list[Tag]:
    clean = sorted({" ".join(n.split()) for n in names if n and n.strip()})
    for name in clean:
        if len(name) > 100:
            raise DomainError(f"Tag '{name[:30]}…' is longer than 100 characters.", field="tags")
    Tag.objects.bulk_create([Tag(academy=academy, name=n) for n in clean], ignore_conflicts=True)
    return list(Tag.objects.filter(academy=academy, name__in=clean))


@transaction.atomic
def course_create(
    *,
    academy: Academy,
    title: str,
    kind: str = CourseKind.WEB_LINK,
    description: str = "",
    launch_url: str = "",
    image_url: str = "",
    duration_minutes: int | None = None,
    language: str = "",
    visibility: str = Visibility.VISIBLE,
    category_ids: Sequence[int] = (),
    tags: Sequence[str] = (),
    groups: Sequence[Group] = (),
    by: User | None = None,
) -> Course:
    """A native course. Web-link courses need an http(s) launch URL. `groups` get it in their
    catalogue and library."""
    if kind != CourseKind.WEB_LINK:
        raise DomainError("Only web-link courses are created here; packages are imported.", field="kind")
    title = _check_title(title)
    if not launch_url:
        raise DomainError("A web-link course needs the address it opens.", field="launch_url")
    _check_url(launch_url, "launch_url")
    if image_url:
        _check_url(image_url, "image_url")
    _check_details(duration_minutes, language)
    if visibility not in Visibility.values:
        raise DomainError(f"Visibility is one of {', '.join(Visibility.values)}.", field="visibility")
    categories = _categories_of(academy, category_ids)
    if any(c.is_provider_owned for c in categories):
        raise DomainError("Provider categories are set by their provider only.", field="category_ids")
    course = Course.objects.create(
        academy=academy, kind=kind, title=title, description=description, launch_url=launch_url,
        image_url=image_url, duration_minutes=duration_minutes, language=language, visibility=visibility,
        status_changed_at=timezone.now(),
    )
    course.categories.set(categories)
    course.tags.set(tags_ensure(academy=academy, names=tags))
    for group in groups:
        placement_add(course=course, group=group, kinds=(PlacementKind.CATALOGUE, PlacementKind.LIBRARY))
    course_refresh_search_text(course=course)
    return course


@transaction.atomic
def course_update(*, course: Course, changes: dict[str, Any], by: User | None = None) -> Course:
    """Change a course. A provider course's provider-owned fields and provider categories are
    refused with the reason; its local fields (tags, local categories, visibility) are accepted."""
    editable = {"title", "description", "launch_url", "image_url", "duration_minutes", "language", "visibility",
                "category_ids", "tags"}
    for name in changes:
        if course.is_from_provider and name in PROVIDER_OWNED_FIELDS:
            raise DomainError(course.read_only_reason, field=name, code="read_only")
        if name not in editable:
            raise DomainError(f"'{name}' cannot be changed.", field=name)
    _check_details(changes.get("duration_minutes", course.duration_minutes), changes.get("language", course.language))
    for name in ("title", "description", "launch_url", "image_url", "duration_minutes", "language", "visibility"):
        if name not in changes:
            continue
        value = changes[name]
        if name == "title":
            value = _check_title(value)
        if name in {"launch_url", "image_url"} and value:
            _check_url(value, name)
        if name == "launch_url" and not value and course.kind == CourseKind.WEB_LINK:
            raise DomainError("A web-link course needs the address it opens.", field="launch_url")
        if name == "visibility" and value not in Visibility.values:
            raise DomainError(f"Visibility is one of {', '.join(Visibility.values)}.", field="visibility")
        setattr(course, name, value)
    course.save()
    if "category_ids" in changes:
        wanted = _categories_of(course.academy, changes["category_ids"])
        if any(c.is_provider_owned for c in wanted) and not course.is_from_provider:
            raise DomainError("Provider categories are set by their provider only.", field="category_ids")
        provider_owned = [c for c in course.categories.all() if c.is_provider_owned]
        wanted_local = [c for c in wanted if not c.is_provider_owned]
        if course.is_from_provider and {c.pk for c in wanted if c.is_provider_owned} - {c.pk for c in provider_owned}:
            raise DomainError(course.read_only_reason, field="category_ids", code="read_only")
        course.categories.set(provider_owned + wanted_local)
    if "tags" in changes:
        course.tags.set(tags_ensure(academy=course.academy, names=changes["tags"]))
    course_refresh_search_text(course=course)
    return course


ALLOWED_TRANSITIONS = {
    (CourseStatus.ACTIVE, CourseStatus.INACTIVE),
    (CourseStatus.ACTIVE, CourseStatus.ARCHIVED),
    (CourseStatus.INACTIVE, CourseStatus.ACTIVE),
    (CourseStatus.INACTIVE, CourseStatus.ARCHIVED),
    (CourseStatus.ARCHIVED, CourseStatus.ACTIVE),
    (CourseStatus.ARCHIVED, CourseStatus.INACTIVE),
}


def _set_status(*, course: Course, to_status: str, reason: str, by: User | None) -> Course:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why: every lifecycle change keeps its reason.", field="reason")
    if course.status == to_status:
        raise Conflict(f"The course is already {course.get_status_display().lower()}.", field="status")
    if (course.status, to_status) not in ALLOWED_TRANSITIONS:
        raise DomainError(f"A course cannot go from {course.status} to {to_status}.", field="status")
    now = timezone.now()
    CourseStatusChange.objects.create(
        course=course, from_status=course.status, to_status=to_status, reason=reason[:500], changed_at=now,
        changed_by=by,
    )
    if to_status == CourseStatus.ARCHIVED:
        course.status_before_archive = course.status
    elif course.status == CourseStatus.ARCHIVED:
        course.status_before_archive = ""
    course.status = to_status
    course.status_reason = reason[:500]
    course.status_changed_at = now
    course.save(update_fields=["status", "status_reason", "status_changed_at", "status_before_archive", "updated_at"])
    return course


@transaction.atomic
def course_archive(*, course: Course, reason: str, by: User | None = None) -> Course:
    """Archived: kept and labelled, nobody can launch it; records stay."""
    return _set_status(course=course, to_status=CourseStatus.ARCHIVED, reason=reason, by=by)


@transaction.atomic
def course_reactivate(*, course: Course, reason: str, by: User | None = None) -> Course:
    """Back exactly as it was before it was archived (or deactivated): placements, categories and
    tags were never touched, so only the status returns."""
    if course.status == CourseStatus.ARCHIVED and course.status_before_archive == CourseStatus.INACTIVE:
        return _set_status(course=course, to_status=CourseStatus.INACTIVE, reason=reason, by=by)
    return _set_status(course=course, to_status=CourseStatus.ACTIVE, reason=reason, by=by)


@transaction.atomic
def course_deactivate(*, course: Course, reason: str, by: User | None = None) -> Course:
    """Inactive: removed or retired by its provider. Gone from search and catalogue, still on
    transcripts; learners who started keep going, new learners cannot launch it."""
    return _set_status(course=course, to_status=CourseStatus.INACTIVE, reason=reason, by=by)


@transaction.atomic
def category_create(*, academy: Academy, name: str, parent: Category | None = None) -> Category:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("A category needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("A category name has at most 200 characters.", field="name")
    if parent is not None and parent.academy_id != academy.pk:
        raise DomainError("The parent category belongs to another academy.", field="parent_id")
    if parent is not None and parent.is_provider_owned:
        raise DomainError(
            f"'{parent.name}' is created and managed by {parent.provider}; it cannot be changed here.",
            field="parent_id",
        )
    if Category.objects.filter(academy=academy, parent=parent, name=name, provider="").exists():
        raise Conflict(f"A category named '{name}' already exists there.", field="name")
    return Category.objects.create(academy=academy, parent=parent, name=name)


def _refuse_provider_category(category: Category) -> None:
    if category.is_provider_owned:
        raise DomainError(
            f"'{category.name}' is created and managed by {category.provider}; it cannot be changed here.",
            field="category", code="read_only",
        )


@transaction.atomic
def category_rename(*, category: Category, name: str) -> Category:
    _refuse_provider_category(category)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("A category needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("A category name has at most 200 characters.", field="name")
    siblings = Category.objects.filter(academy_id=category.academy_id, parent_id=category.parent_id, provider="")
    if siblings.filter(name=name).exclude(pk=category.pk).exists():
        raise Conflict(f"A category named '{name}' already exists there.", field="name")
    category.name = name
    category.save(update_fields=["name"])
    for course in category.courses.all():
        course_refresh_search_text(course=course)
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    _refuse_provider_category(category)
    if category.children.exists():
        raise DomainError("Delete or move its subcategories first.", field="category")
    courses = list(category.courses.all())
    category.delete()
    for course in courses:
        course_refresh_search_text(course=course)


@transaction.atomic
def provider_categories_ensure(*, academy: Academy, provider: str, paths: Iterable[str]) -> dict[str, Category]:
    """Provider paths like "|Business|Leadership" become a provider-owned category tree; returns
    the leaf category of each path."""
    leaves: dict[str, Category] = {}
    existing = {c.external_path: c for c in Category.objects.filter(academy=academy, provider=provider)}
    for raw in sorted(set(paths)):
        names = [part.strip() for part in raw.split("|") if part.strip()]
        parent: Category | None = None
        so_far = ""
        for name in names:
            so_far = f"{so_far}|{name}"
            category = existing.get(so_far)
            if category is None:
                category = Category.objects.create(
                    academy=academy, parent=parent, name=name, provider=provider, external_path=so_far
                )
                existing[so_far] = category
            parent = category
        if parent is not None:
            leaves[raw] = parent
    return leaves


@transaction.atomic
def placement_add(*, course: Course, group: Group, kinds: Sequence[str]) -> None:
    if group.academy_id != course.academy_id:
        raise DomainError("The group belongs to another academy.", field="group_id")
    for kind in kinds:
        if kind not in PlacementKind.values:
            raise DomainError(f"Placement is one of {', '.join(PlacementKind.values)}.", field="kind")
    Placement.objects.bulk_create(
        [Placement(academy_id=course.academy_id, group=group, course=course, kind=k) for k in kinds],
        ignore_conflicts=True,
    )


@transaction.atomic
def placement_remove(*, course: Course, group: Group, kinds: Sequence[str]) -> None:
    Placement.objects.filter(course=course, group=group, kind__in=kinds).delete()


@dataclass
class ProviderCourseRow:
    """One provider course, as a connector's mapping produces it."""

    external_id: str
    title: str
    description: str = ""
    launch_url: str = ""
    image_url: str = ""
    duration_minutes: int | None = None
    language: str = ""
    publisher: str = ""
    content_hash: str = ""
    category_names: list[str] = field(default_factory=list)


UPSERT_FIELDS = [
    "kind", "title", "description", "launch_url", "image_url", "duration_minutes", "language", "publisher",
    "search_text", "content_hash", "updated_at",
]


@transaction.atomic
def course_bulk_upsert(
    *, academy: Academy, provider: str, rows: Sequence[ProviderCourseRow], batch_size: int = 2000
) -> dict[str, int]:
    """Insert or update provider courses by (academy, provider, external_id) in bulk: one statement
    per batch, provider-owned fields only. Local fields (tags, local categories, visibility) and the
    lifecycle are left as they are. Returns {external_id: course id}."""
    if not provider:
        raise DomainError("Provider courses need a provider name.", field="provider")
    # A repeated external id keeps its last row: one statement cannot upsert the same row twice.
    rows = list({row.external_id: row for row in rows}.values())
    now = timezone.now()
    ids: dict[str, int] = {}
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        courses = [
            Course(
                academy=academy, kind=CourseKind.PROVIDER, provider=provider, external_id=row.external_id,
                title=row.title[:300], description=row.description, launch_url=row.launch_url,
                image_url=row.image_url, duration_minutes=row.duration_minutes, language=row.language,
                publisher=row.publisher, content_hash=row.content_hash,
                search_text=search.build_search_text(row.title, row.description, row.category_names),
                status_changed_at=now, created_at=now, updated_at=now,
            )
            for row in batch
        ]
        created = Course.objects.bulk_create(
            courses, update_conflicts=True, unique_fields=["academy", "provider", "external_id"],
            update_fields=UPSERT_FIELDS,
        )
        for course in created:
            ids[course.external_id or ""] = course.pk
        _keep_local_names_searchable(academy=academy, course_ids=[c.pk for c in created])
    return ids


def _keep_local_names_searchable(*, academy: Academy, course_ids: list[int]) -> None:
    """An upsert writes search text from provider data; courses that also carry local tags or local
    categories get those names back, so local fields stay searchable after every sync."""
    tagged = set(Course.tags.through.objects.filter(course_id__in=course_ids).values_list("course_id", flat=True))
    categorised = set(
        Course.categories.through.objects.filter(course_id__in=course_ids, category__provider="").values_list(
            "course_id", flat=True
        )
    )
    for course in Course.objects.filter(academy=academy, pk__in=tagged | categorised).prefetch_related(
        "categories", "tags"
    ):
        course_refresh_search_text(course=course)
