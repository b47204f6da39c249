"""REST endpoints for categories, courses, their lifecycle and placements, and the learner's catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from coursebridge.accounts.api import academy_of, group_in, request_user, require_admin, require_training_admin
from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import can_administer
from coursebridge.catalog import selectors, services
from coursebridge.catalog.exports import course_export_start
from coursebridge.catalog.models import (
    PROVIDER_OWNED_FIELDS,
    Category,
    Course,
    CourseKind,
    CourseStatus,
    CourseStatusChange,
    Placement,
    PlacementKind,
    Visibility,
)
from coursebridge.core.api import (
    Id,
    InputSchema,
    JobOut,
    PageParams,
    PatchSchema,
    page_body,
    page_bounds,
    paged,
    paginate,
    responses,
)
from coursebridge.core.errors import DomainError, NotFound, PermissionDenied
from coursebridge.core.jobs import job_payload

router = Router()

MINUTES_MAX = 2_147_483_647  # the column's largest value


# --- Schemas -----------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    depth: int = Field(description="0 for top-level categories.")
    provider: str = Field(description="The provider that created and manages it; empty for the academy's own.")
    is_provider_owned: bool = Field(description="true: set by its provider, cannot be renamed or deleted here.")
    external_path: str


class CategoryIn(InputSchema):
    name: str = Field(max_length=200)
    parent_id: Id | None = None


class CategoryPatch(InputSchema):
    name: str = Field(max_length=200)


class CourseOut(Schema):
    id: int
    kind: CourseKind
    title: str
    description: str
    provider: str = Field(description="The content provider that owns the course; empty for native courses.")
    external_id: str | None
    launch_url: str
    image_url: str
    duration_minutes: int | None
    language: str
    publisher: str
    visibility: Visibility
    status: CourseStatus
    status_label: str = Field(description='"" when active, else "Inactive" or "Archived".')
    status_reason: str
    status_changed_at: datetime | None
    category_ids: list[int]
    tags: list[str]
    read_only_fields: list[str] = Field(description="Fields its provider owns: a PATCH of them is refused.")
    read_only_reason: str = Field(description="Why those fields cannot be changed here.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_category_ids(obj: Course) -> list[int]:
        return sorted(c.pk for c in obj.categories.all())

    @staticmethod
    def resolve_tags(obj: Course) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_read_only_fields(obj: Course) -> list[str]:
        return list(PROVIDER_OWNED_FIELDS) if obj.is_from_provider else []


class CourseIn(InputSchema):
    title: str = Field(max_length=300)
    launch_url: str = Field(max_length=1000, description="The http(s) address the course opens.")
    description: str = ""
    image_url: str = Field(default="", max_length=1000)
    duration_minutes: int | None = Field(default=None, ge=0, le=MINUTES_MAX)
    language: str = Field(default="", max_length=35)
    visibility: Visibility = Visibility.VISIBLE
    category_ids: list[Id] = []
    tags: list[str] = []
    group_ids: list[Id] = Field(default=[], description="Groups whose catalogue and library get the course.")


class CoursePatch(PatchSchema):
    """Only the fields sent change; null is refused except for duration_minutes (clears it). On a
    provider course the provider-owned fields are refused (400, code read_only); tags, local
    categories and visibility stay editable."""

    nullable = frozenset({"duration_minutes"})

    title: str | None = Field(default=None, max_length=300)
    description: str | None = None
    launch_url: str | None = Field(default=None, max_length=1000)
    image_url: str | None = Field(default=None, max_length=1000)
    duration_minutes: int | None = Field(default=None, ge=0, le=MINUTES_MAX)
    language: str | None = Field(default=None, max_length=35)
    visibility: Visibility | None = None
    category_ids: list[Id] | None = None
    tags: list[str] | None = None


class CourseFilters(Schema):
    status: CourseStatus | None = None
    q: str = Field(default="", description="Part of the title, or an exact external id or provider.")
    provider: str | None = Field(default=None, description='A provider name; "" for native courses only.')
    kind: CourseKind | None = None


class CatalogueFilters(Schema):
    q: str = Field(default="", description="Words to find; each matches as a word prefix.")
    category_id: Id | None = Field(default=None, description="This category and the ones below it.")


class ReasonIn(InputSchema):
    reason: str = Field(max_length=500, description="Why: kept with the status change and shown to administrators.")


class StatusChangeOut(Schema):
    id: int
    from_status: CourseStatus
    to_status: CourseStatus
    reason: str
    changed_at: datetime
    changed_by_id: int | None
    changed_by: str | None = Field(description="The username of who made the change; null for syncs.")

    @staticmethod
    def resolve_changed_by(obj: CourseStatusChange) -> str | None:
        return obj.changed_by.username if obj.changed_by is not None else None


class PlacementIn(InputSchema):
    group_id: Id
    kinds: list[PlacementKind] = Field(
        default=[PlacementKind.CATALOGUE, PlacementKind.LIBRARY],
        description="catalogue: learners of the group and its subgroups find it; library: authors build "
        "programs from it.",
    )


class PlacementOut(Schema):
    id: int
    group_id: int
    group_name: str
    kind: PlacementKind

    @staticmethod
    def resolve_group_name(obj: Placement) -> str:
        return obj.group.name


# --- Helpers -----------------------------------------------------------------------------------


def course_in(academy: Academy, course_id: int) -> Course:
    course = Course.objects.filter(academy=academy, pk=course_id).first()
    if course is None:
        raise NotFound(f"No course {course_id} in this academy.")
    return course


def course_for_reader(academy: Academy, user: User, course_id: int) -> Course:
    """Administrators read every course; learners those in their catalogue or that they are
    enrolled in. Anything else is a 404, as if it did not exist."""
    course = course_in(academy, course_id)
    if can_administer(user=user, academy=academy):
        return course
    if selectors.course_visible_to_learner(course=course, user=user) and course.status == CourseStatus.ACTIVE:
        return course
    if course.enrollments.filter(user=user).exists():
        return course
    raise NotFound(f"No course {course_id} in your catalogue.")


def _category_in(academy: Academy, category_id: int, *, field: str | None = None) -> Category:
    category = Category.objects.filter(academy=academy, pk=category_id).first()
    if category is None:
        if field:
            raise DomainError(f"No category {category_id} in this academy.", field=field)
        raise NotFound(f"No category {category_id} in this academy.")
    return category


def _with_relations(courses: QuerySet[Course]) -> QuerySet[Course]:
    return courses.prefetch_related("categories", "tags")


# --- Categories --------------------------------------------------------------------------------


@router.get(
    "/academies/{slug}/categories",
    response=responses(paged(CategoryOut)),
    tags=["categories"],
    summary="List categories",
)
def category_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    """The category tree in tree order, with each category's depth. Provider categories are marked
    `is_provider_owned` and name their provider. Every member of the academy may read it."""
    academy = academy_of(request, slug)
    rows = [
        {
            "id": c.pk,
            "name": c.name,
            "parent_id": c.parent_id,
            "depth": depth,
            "provider": c.provider,
            "is_provider_owned": c.is_provider_owned,
            "external_path": c.external_path,
        }
        for c, depth in selectors.category_tree(academy=academy)
    ]
    return paginate(request, rows, page)


@router.post(
    "/academies/{slug}/categories",
    response=responses(CategoryOut, 201),
    tags=["categories"],
    summary="Create a category",
)
def category_create(request: HttpRequest, slug: str, payload: CategoryIn) -> Status[dict[str, Any]]:
    """A category of the academy's own, top-level or under `parent_id` (not under a provider's)."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    parent = _category_in(academy, payload.parent_id, field="parent_id") if payload.parent_id is not None else None
    category = services.category_create(academy=academy, name=payload.name, parent=parent)
    return Status(201, _category_row(academy, category))


def _category_row(academy: Academy, category: Category) -> dict[str, Any]:
    depth = next((d for c, d in selectors.category_tree(academy=academy) if c.pk == category.pk), 0)
    return {
        "id": category.pk,
        "name": category.name,
        "parent_id": category.parent_id,
        "depth": depth,
        "provider": category.provider,
        "is_provider_owned": category.is_provider_owned,
        "external_path": category.external_path,
    }


@router.patch(
    "/academies/{slug}/categories/{category_id}",
    response=responses(CategoryOut),
    tags=["categories"],
    summary="Rename a category",
)
def category_rename(request: HttpRequest, slug: str, category_id: int, payload: CategoryPatch) -> dict[str, Any]:
    """Provider categories are refused (400, code read_only) with the reason."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    category = services.category_rename(category=_category_in(academy, category_id), name=payload.name)
    return _category_row(academy, category)


@router.delete(
    "/academies/{slug}/categories/{category_id}",
    response=responses(None, 204),
    tags=["categories"],
    summary="Delete a category",
)
def category_delete(request: HttpRequest, slug: str, category_id: int) -> Status[None]:
    """A category without subcategories; its courses simply lose it. Provider categories are refused."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    services.category_delete(category=_category_in(academy, category_id))
    return Status(204, None)


# --- Courses -----------------------------------------------------------------------------------


@router.get(
    "/academies/{slug}/courses",
    response=responses(paged(CourseOut)),
    tags=["courses"],
    summary="List courses (administrators)",
)
def course_list(
    request: HttpRequest, slug: str, filters: Query[CourseFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Every course of the academy, whatever its lifecycle, for administrators. Learners search the
    catalogue instead: GET /api/academies/{slug}/catalogue."""
    academy = academy_of(request, slug)
    user = request_user(request)
    if not can_administer(user=user, academy=academy):
        raise PermissionDenied(f"Learners find courses in the catalogue: /api/academies/{academy.slug}/catalogue.")
    courses = selectors.course_list(academy=academy, status=filters.status, query=filters.q.strip())
    if filters.provider is not None:
        courses = courses.filter(provider=filters.provider)
    if filters.kind is not None:
        courses = courses.filter(kind=filters.kind)
    return paginate(request, _with_relations(courses), page)


CataloguePage: type[Schema] = create_model(
    "CataloguePage",
    __base__=paged(CourseOut),
    __doc__="One page of the catalogue's search results.",
    count_is_capped=(bool, Field(description="true: the query matched more than 1,000 courses; count stops there.")),
)


@router.get(
    "/academies/{slug}/catalogue",
    response=responses(CataloguePage),
    tags=["catalogue"],
    summary="Search the catalogue",
)
def catalogue(
    request: HttpRequest, slug: str, filters: Query[CatalogueFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """What the requesting user finds as a learner: active, visible courses placed in the catalogue of
    one of their groups (or of an ancestor), matching every word of `q`, best matches first. A query
    that matches more than 1,000 courses answers the 1,000 most recently added ones, `count` is then
    1000 and `count_is_capped` is true: refine the query to see others."""
    academy = academy_of(request, slug)
    limit, offset = page_bounds(page)
    if filters.category_id is not None:
        _category_in(academy, filters.category_id, field="category_id")
    found = selectors.catalogue_search(
        academy=academy,
        user=request_user(request),
        query=filters.q,
        category_id=filters.category_id,
        limit=limit,
        offset=offset,
    )
    return {**page_body(request, found.courses, found.total, limit, offset), "count_is_capped": found.capped}


@router.post(
    "/academies/{slug}/courses",
    response=responses(CourseOut, 201),
    tags=["courses"],
    summary="Create a web-link course",
)
def course_create(request: HttpRequest, slug: str, payload: CourseIn) -> Status[Course]:
    """A native course that opens an http(s) address. Packages are imported, provider courses synced."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    groups = [group_in(academy, gid, field="group_ids") for gid in payload.group_ids]
    course = services.course_create(
        academy=academy,
        title=payload.title,
        launch_url=payload.launch_url,
        description=payload.description,
        image_url=payload.image_url,
        duration_minutes=payload.duration_minutes,
        language=payload.language,
        visibility=payload.visibility,
        category_ids=payload.category_ids,
        tags=payload.tags,
        groups=groups,
        by=user,
    )
    return Status(201, course)


@router.get(
    "/academies/{slug}/courses/{course_id}", response=responses(CourseOut), tags=["courses"], summary="Get a course"
)
def course_get(request: HttpRequest, slug: str, course_id: int) -> Course:
    """Administrators read any course; learners the ones in their catalogue or that they are enrolled in.
    A provider course lists `read_only_fields` with the `read_only_reason`."""
    academy = academy_of(request, slug)
    return course_for_reader(academy, request_user(request), course_id)


@router.patch(
    "/academies/{slug}/courses/{course_id}", response=responses(CourseOut), tags=["courses"], summary="Change a course"
)
def course_update(request: HttpRequest, slug: str, course_id: int, payload: CoursePatch) -> Course:
    """Only the fields sent change. A provider-owned field of a provider course is refused with
    400, code `read_only`, the field named and the course's `read_only_reason` as the message."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    course = course_in(academy, course_id)
    return services.course_update(course=course, changes=payload.changes(), by=user)


def _lifecycle(request: HttpRequest, slug: str, course_id: int, reason: str, change: Any) -> Course:
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    return change(course=course_in(academy, course_id), reason=reason, by=user)


@router.post(
    "/academies/{slug}/courses/{course_id}/archive",
    response=responses(CourseOut),
    tags=["courses"],
    summary="Archive a course",
)
def course_archive(request: HttpRequest, slug: str, course_id: int, payload: ReasonIn) -> Course:
    """Archived: kept and labelled on transcripts; nobody can launch it. Records stay."""
    return _lifecycle(request, slug, course_id, payload.reason, services.course_archive)


@router.post(
    "/academies/{slug}/courses/{course_id}/reactivate",
    response=responses(CourseOut),
    tags=["courses"],
    summary="Reactivate a course",
)
def course_reactivate(request: HttpRequest, slug: str, course_id: int, payload: ReasonIn) -> Course:
    """Back exactly as before it was archived or deactivated: placements, categories and tags were kept."""
    return _lifecycle(request, slug, course_id, payload.reason, services.course_reactivate)


@router.post(
    "/academies/{slug}/courses/{course_id}/deactivate",
    response=responses(CourseOut),
    tags=["courses"],
    summary="Deactivate a course",
)
def course_deactivate(request: HttpRequest, slug: str, course_id: int, payload: ReasonIn) -> Course:
    """Inactive: gone from catalogue and search, still on transcripts; learners who started it go on."""
    return _lifecycle(request, slug, course_id, payload.reason, services.course_deactivate)


@router.get(
    "/academies/{slug}/courses/{course_id}/status-changes",
    response=responses(paged(StatusChangeOut)),
    tags=["courses"],
    summary="List a course's lifecycle changes",
)
def course_status_changes(request: HttpRequest, slug: str, course_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """Every lifecycle change with its reason, newest first."""
    academy = academy_of(request, slug)
    require_admin(request, academy)
    course = course_in(academy, course_id)
    changes = (
        CourseStatusChange.objects.filter(course=course).select_related("changed_by").order_by("-changed_at", "-id")
    )
    return paginate(request, changes, page)


@router.get(
    "/academies/{slug}/courses/{course_id}/placements",
    response=responses(paged(PlacementOut)),
    tags=["courses"],
    summary="List a course's placements",
)
def placement_list(request: HttpRequest, slug: str, course_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """The groups whose catalogue or library holds the course."""
    academy = academy_of(request, slug)
    require_admin(request, academy)
    course = course_in(academy, course_id)
    return paginate(request, _placements_of(course), page)


def _placements_of(course: Course) -> QuerySet[Placement]:
    """The course's placements in the order the API lists them: by group in tree order, then kind."""
    return Placement.objects.filter(course=course).select_related("group").order_by("group__path", "kind")


@router.post(
    "/academies/{slug}/courses/{course_id}/placements",
    response=responses(paged(PlacementOut)),
    tags=["courses"],
    summary="Place a course in a group",
)
def placement_add(
    request: HttpRequest, slug: str, course_id: int, payload: PlacementIn, page: Query[PageParams]
) -> dict[str, Any]:
    """Put the course in the group's catalogue and/or library (already there is fine). Returns the
    course's placements."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    course = course_in(academy, course_id)
    group = group_in(academy, payload.group_id, field="group_id")
    services.placement_add(course=course, group=group, kinds=[str(k) for k in payload.kinds])
    return paginate(request, _placements_of(course), page)


@router.delete(
    "/academies/{slug}/courses/{course_id}/placements",
    response=responses(paged(PlacementOut)),
    tags=["courses"],
    summary="Remove a course from a group",
)
def placement_remove(
    request: HttpRequest, slug: str, course_id: int, payload: PlacementIn, page: Query[PageParams]
) -> dict[str, Any]:
    """Take the course out of the group's catalogue and/or library. Returns the remaining placements."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    course = course_in(academy, course_id)
    group = group_in(academy, payload.group_id, field="group_id")
    services.placement_remove(course=course, group=group, kinds=[str(k) for k in payload.kinds])
    return paginate(request, _placements_of(course), page)


class ExportIn(InputSchema):
    status: CourseStatus | None = Field(default=None, description="Only courses in this lifecycle state.")


@router.post(
    "/academies/{slug}/course-exports",
    response=responses(JobOut, status=202),
    tags=["courses"],
    summary="Export the course list as CSV",
)
def course_export(request: HttpRequest, slug: str, payload: ExportIn) -> Status[Any]:
    """Start a background job that writes every course (or those in `status`) to a CSV file that opens
    cleanly in Excel. Follow it with `GET /api/jobs/{job_id}`; when it succeeded, `download_url` gives
    the file."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    job = course_export_start(academy=academy, by=user, status=str(payload.status or ""))
    return Status(202, job_payload(job))
