"""REST endpoints for content packages: import one as a course, read a course's package and units."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from coursebridge.accounts.api import academy_of, group_in, request_user, require_training_admin
from coursebridge.catalog.api import CourseOut, course_for_reader
from coursebridge.catalog.models import Course
from coursebridge.content import selectors
from coursebridge.content.models import Package, PackageFormat, Unit
from coursebridge.content.services import DuplicatePackage, ImportResult, package_import
from coursebridge.core.api import ERROR_RESPONSES, ErrorDetail, Id, InputSchema
from coursebridge.core.errors import NotFound

router = Router()


# --- Schemas -----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    position: int = Field(description="Launch order, from 1.")
    identifier: str = Field(description="The AU's System_ID or the SCORM item identifier.")
    title: str
    launch: str = Field(description="A path inside the package, or an absolute address for a remote AU.")
    is_remote: bool
    is_sco: bool = Field(description="false for a SCORM asset, which does not talk to the runtime.")
    parameters: str
    mastery_score: Decimal | None
    max_score: Decimal | None
    max_time_allowed: str
    time_limit_action: str


class PackageVersionOut(Schema):
    id: int
    version: int
    is_current: bool = Field(description="The version the course launches; older ones keep their attempts' data.")
    format: PackageFormat
    identifier: str = Field(description="AICC Course_ID or SCORM manifest identifier: duplicates are found by it.")
    title: str
    schema_version: str
    file_count: int
    size_bytes: int
    unit_count: int
    warnings: list[str]
    uploaded_by: str | None = Field(description="The username of who imported it; null from the command line.")
    created_at: datetime

    @staticmethod
    def resolve_uploaded_by(obj: Package) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by is not None else None

    @staticmethod
    def resolve_unit_count(obj: Package) -> int:
        count = getattr(obj, "unit_count", None)
        return int(count) if count is not None else obj.units.count()


class PackageOut(PackageVersionOut):
    units: list[UnitOut]

    @staticmethod
    def resolve_units(obj: Package) -> list[Unit]:
        return list(selectors.package_units(package=obj))


class CoursePackageOut(Schema):
    course_id: int
    package: PackageOut = Field(description="The current version, which START launches.")
    versions: list[PackageVersionOut] = Field(description="Every imported version, newest first.")


class PackageImportOut(Schema):
    outcome: Literal["created", "replaced", "copied", "skipped"] = Field(
        description="created: a new course; replaced: a new version of the existing course; copied: a second "
        "course titled '… (copy)'; skipped: nothing changed, the existing course is returned."
    )
    course: CourseOut
    package: PackageOut


class PackageImportForm(InputSchema):
    group_id: Id | None = Field(default=None, description="The group whose catalogue and library get the course.")
    on_duplicate: Literal["skip", "replace", "copy"] | None = Field(
        default=None,
        description="What to do when the academy already has a package with the same identifier. Without it, "
        "such an import answers 409 naming the existing course.",
    )


class DuplicateDetail(ErrorDetail):
    existing_course_id: int = Field(description="The course that already holds this package.")


class DuplicateOut(Schema):
    error: DuplicateDetail


# --- Endpoints ---------------------------------------------------------------------------------


def _import_body(result: ImportResult) -> dict[str, Any]:
    course = Course.objects.prefetch_related("categories", "tags").get(pk=result.course.pk)
    return {"outcome": result.outcome, "course": course, "package": result.package}


@router.post(
    "/academies/{slug}/packages",
    response={201: PackageImportOut, 200: PackageImportOut, **ERROR_RESPONSES, 409: DuplicateOut},
    tags=["packages"],
    summary="Import a content package",
)
def package_import_view(
    request: HttpRequest, slug: str, file: File[UploadedFile], form: Form[PackageImportForm]
) -> Any:
    """Upload an AICC (.crs/.au/.des/.cst) or SCORM 1.2/2004 package as a zip (multipart field `file`).
    It becomes a package course with its units; 201 with the course and its package. A package the
    parsers refuse answers 400 with their reason (code not_a_zip, zip_bomb, unsafe_path, malformed_xml,
    missing_launch, unknown_format, not_supported…) and nothing is stored. When the academy already
    has a package with the same identifier, send `on_duplicate`; without it: 409, code duplicate,
    naming the existing course (`existing_course_id`). `skip` answers 200 with the existing course.
    Training admins only."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    group = group_in(academy, form.group_id, field="group_id") if form.group_id is not None else None
    try:
        result = package_import(
            academy=academy, source=file, filename=file.name or "package.zip", by=user, group=group,
            on_duplicate=form.on_duplicate,
        )
    except DuplicatePackage as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "field": exc.field,
                       "existing_course_id": exc.existing_course.pk}},
            status=409,
        )
    return Status(200 if result.outcome == "skipped" else 201, _import_body(result))


@router.get(
    "/academies/{slug}/courses/{course_id}/package",
    response={200: CoursePackageOut, **ERROR_RESPONSES},
    tags=["packages"],
    summary="Get a course's package and units",
)
def course_package(request: HttpRequest, slug: str, course_id: int) -> dict[str, Any]:
    """The package the course launches, with its units in launch order, and every version imported
    (a replaced version stays, with the units its attempts used). Readable by whoever may read the
    course."""
    academy = academy_of(request, slug)
    course = course_for_reader(academy, request_user(request), course_id)
    package = selectors.package_current(course=course)
    if package is None:
        raise NotFound(f"Course {course_id} has no package: it is not an imported package course.")
    return {"course_id": course.pk, "package": package, "versions": list(selectors.package_versions(course=course))}
