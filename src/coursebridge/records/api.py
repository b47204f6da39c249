"""REST endpoints of the course record importer: credit types, course credit offers, imports
(upload, preview, row report, apply), locks and PARS."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from coursebridge.accounts.api import academy_of, require_training_admin
from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course
from coursebridge.core.api import InputSchema, JobOut, PageParams, PatchSchema, paged, paginate, responses
from coursebridge.core.errors import NotFound
from coursebridge.core.jobs import job_payload
from coursebridge.records import exports
from coursebridge.records.importer import import_apply_start, import_create, import_stage_start
from coursebridge.records.locks import import_unlock, lock_is_live
from coursebridge.records.models import ImportLock, ImportRun, ImportScope, LearnerProfile
from coursebridge.records.selectors import course_offers, credit_types, import_run_get, import_runs
from coursebridge.records.services import (
    course_credit_offer_set,
    credit_type_create,
    credit_type_update,
    learner_profile_update,
)

router = Router(tags=["records"])


class CreditTypeOut(Schema):
    id: int
    machine_name: str = Field(description="How files name it in the credit_type column.")
    name: str
    unit: str
    is_default: bool


class CreditTypeIn(InputSchema):
    machine_name: str = Field(max_length=60)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=40)


class CreditTypePatch(PatchSchema):
    """Name and unit; the machine name is fixed once created (files and records use it)."""

    name: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=40)


class OfferOut(Schema):
    credit_type: str
    max_credits: Decimal
    variable_allowed: bool


class OfferIn(InputSchema):
    credit_type: str = Field(max_length=60, description="The credit type's machine name.")
    max_credits: Decimal = Field(gt=0, le=Decimal("9999.99"), decimal_places=2)
    variable_allowed: bool = False


class RunOut(Schema):
    id: int
    importer: str = Field(description="course (counts toward PARS) or global (legacy data, never PARS).")
    course_id: int | None
    file_name: str
    status: str = Field(description="staging, staged, refused, applying, applied, not_applied, cancelled, failed.")
    file_error: str
    warnings: list[str]
    counts: dict[str, int] = Field(description="rows, create, unchanged, held, errors, warnings, new_learners, "
                                               "new_shells.")
    result: dict[str, int] = Field(description="After the apply: what was written.")
    report_url: str


class ApplyIn(InputSchema):
    apply_valid_only: bool = Field(default=False, description="Write the valid rows even when others are refused.")


def _run_out(request: HttpRequest, run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk, "importer": run.scope, "course_id": run.course_id, "file_name": run.file_name,
        "status": run.status, "file_error": run.file_error, "warnings": run.warnings, "counts": run.counts,
        "result": run.result,
        "report_url": request.build_absolute_uri(f"/api/academies/{run.academy.slug}/imports/{run.pk}/report"),
    }


def _course(academy: Any, course_id: int) -> Course:
    course = Course.objects.filter(academy=academy, pk=course_id).first()
    if course is None:
        raise NotFound(f"No course {course_id} in this academy.")
    return course


def _run(academy: Any, run_id: int) -> ImportRun:
    try:
        return import_run_get(academy=academy, run_id=run_id)
    except ImportRun.DoesNotExist:
        raise NotFound(f"No import {run_id} in this academy.") from None


@router.get("/academies/{slug}/credit-types", response=responses(list[CreditTypeOut]), summary="List credit types")
def credit_type_list(request: HttpRequest, slug: str) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return list(credit_types(academy=academy))


@router.post("/academies/{slug}/credit-types", response=responses(CreditTypeOut, 201), summary="Add a credit type")
def credit_type_add(request: HttpRequest, slug: str, payload: CreditTypeIn) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    created = credit_type_create(academy=academy, machine_name=payload.machine_name, name=payload.name,
                                 unit=payload.unit)
    return Status(201, created)


@router.patch("/academies/{slug}/credit-types/{credit_type_id}", response=responses(CreditTypeOut),
              summary="Rename a credit type or change its unit")
def credit_type_change(request: HttpRequest, slug: str, credit_type_id: int, payload: CreditTypePatch) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    credit_type = credit_types(academy=academy).filter(pk=credit_type_id).first()
    if credit_type is None:
        raise NotFound("No such credit type.")
    changes = payload.changes()
    return credit_type_update(credit_type=credit_type, name=changes.get("name", credit_type.name),
                              unit=changes.get("unit", credit_type.unit))


@router.get("/academies/{slug}/courses/{course_id}/credit-offers", response=responses(list[OfferOut]),
            summary="What credit a course offers")
def offer_list(request: HttpRequest, slug: str, course_id: int) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    course = _course(academy, course_id)
    return [{"credit_type": o.credit_type.machine_name, "max_credits": o.max_credits,
             "variable_allowed": o.variable_allowed} for o in course_offers(course=course)]


@router.put("/academies/{slug}/courses/{course_id}/credit-offers", response=responses(OfferOut),
            summary="Set the credit a course offers of one type")
def offer_set(request: HttpRequest, slug: str, course_id: int, payload: OfferIn) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    course = _course(academy, course_id)
    credit_type = credit_types(academy=academy).filter(machine_name=payload.credit_type).first()
    if credit_type is None:
        from coursebridge.core.errors import DomainError

        raise DomainError(f"No credit type '{payload.credit_type}' in this academy.", field="credit_type")
    offer = course_credit_offer_set(course=course, credit_type=credit_type, max_credits=payload.max_credits,
                                    variable_allowed=payload.variable_allowed)
    return {"credit_type": credit_type.machine_name, "max_credits": offer.max_credits,
            "variable_allowed": offer.variable_allowed}


@router.post("/academies/{slug}/imports", response=responses(RunOut, 202), summary="Upload a course record file")
def import_upload(
    request: HttpRequest, slug: str, file: File[UploadedFile], course_id: Form[int | None] = None,
    hold_unknown: Form[bool] = False,
) -> Any:
    """Multipart upload. With `course_id`: the course-level importer; without: the global importer.
    Every row is read and checked by a worker; follow the import until its status is `staged`
    (or `refused`), read the counts and the row report, then apply it."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    course = _course(academy, course_id) if course_id else None
    credit_types(academy=academy)
    run = import_create(academy=academy, scope=ImportScope.COURSE if course else ImportScope.GLOBAL, course=course,
                        by=user, source=file, filename=file.name or "records.csv", hold_unknown=hold_unknown)
    import_stage_start(run=run, by=user)
    run.refresh_from_db()
    return Status(202, _run_out(request, run))


@router.get("/academies/{slug}/imports", response=responses(paged(RunOut)), summary="List imports")
def import_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    body = paginate(request, import_runs(academy=academy), page)
    body["items"] = [_run_out(request, run) for run in body["items"]]
    return body


@router.get("/academies/{slug}/imports/{run_id}", response=responses(RunOut), summary="An import and its counts")
def import_get(request: HttpRequest, slug: str, run_id: int) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return _run_out(request, _run(academy, run_id))


@router.get("/academies/{slug}/imports/{run_id}/report", summary="The row report as CSV",
            response={200: None, **{k: v for k, v in responses(None).items() if k != 200}})
def import_report(request: HttpRequest, slug: str, run_id: int) -> StreamingHttpResponse:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    run = _run(academy, run_id)
    response = StreamingHttpResponse(exports.report_lines(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-report.csv"'
    return response


@router.post("/academies/{slug}/imports/{run_id}/apply", response=responses(JobOut, 202), summary="Apply an import")
def import_apply_endpoint(request: HttpRequest, slug: str, run_id: int, payload: ApplyIn) -> Any:
    """All or nothing by default: refused (400) while rows have errors, unless `apply_valid_only`.
    A second apply while one runs is a 409 saying since when it runs."""
    academy = academy_of(request, slug)
    user = require_training_admin(request, academy)
    job = import_apply_start(run=_run(academy, run_id), by=user, valid_only=payload.apply_valid_only)
    return Status(202, job_payload(job))


class LockOut(Schema):
    id: int
    key: str
    import_id: int | None
    acquired_at: Any
    heartbeat_at: Any
    lease_until: Any
    live: bool


@router.get("/academies/{slug}/import-locks", response=responses(list[LockOut]), summary="Importer locks")
def lock_list(request: HttpRequest, slug: str) -> Any:

    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return [{"id": lock.pk, "key": lock.key, "import_id": lock.run_id, "acquired_at": lock.acquired_at,
             "heartbeat_at": lock.heartbeat_at, "lease_until": lock.lease_until, "live": lock_is_live(lock)}
            for lock in ImportLock.objects.filter(academy=academy)]


@router.post("/academies/{slug}/import-locks/{lock_id}/unlock", response=responses(LockOut),
             summary="Unlock an importer: the running import stops, nothing of it is written")
def lock_unlock(request: HttpRequest, slug: str, lock_id: int) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    lock = ImportLock.objects.filter(academy=academy, pk=lock_id).first()
    if lock is None:
        raise NotFound(f"No lock {lock_id} in this academy.")
    lock = import_unlock(academy=academy, key=lock.key)
    return {"id": lock.pk, "key": lock.key, "import_id": lock.run_id, "acquired_at": lock.acquired_at,
            "heartbeat_at": lock.heartbeat_at, "lease_until": lock.lease_until, "live": False}


@router.get("/academies/{slug}/courses/{course_id}/pars", summary="PARS learner batch file (tab-delimited)",
            response={200: None, **{k: v for k, v in responses(None).items() if k != 200}})
def pars_export(request: HttpRequest, slug: str, course_id: int, year: int | None = None) -> HttpResponse:
    """Learners with credit for the course in the year (default: this year), from course-level
    imports and credit earned here; never from the global importer."""
    academy = academy_of(request, slug)
    year = year or date.today().year
    require_training_admin(request, academy)
    course = _course(academy, course_id)
    response = HttpResponse(exports.pars_batch(academy=academy, course=course, year=year),
                            content_type="text/tab-separated-values; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pars-learners-{course.pk}-{year}.txt"'
    return response





class ProfileIO(Schema):
    license_state: str = Field(default="", max_length=2, description="Two-letter US state of the license.")
    license_id: str = Field(default="", max_length=40)
    npi: str = Field(default="", max_length=10, description="National Provider Identifier: 10 digits.")
    birth_month: int | None = Field(default=None, ge=1, le=12)
    birth_day: int | None = Field(default=None, ge=1, le=31)
    certifying_board: str = Field(default="", max_length=20, description="e.g. ABIM, ABP, ABA.")
    board_id: str = Field(default="", max_length=40)


class ProfileIn(ProfileIO, InputSchema):
    pass


PROFILE_FIELDS = list(ProfileIO.model_fields)


@router.get("/academies/{slug}/users/{user_id}/pars-profile", response=responses(ProfileIO),
            summary="A learner's PARS profile fields")
def profile_get(request: HttpRequest, slug: str, user_id: int) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    user = User.objects.filter(academy=academy, pk=user_id).first()
    if user is None:
        raise NotFound(f"No user {user_id} in this academy.")
    profile = LearnerProfile.objects.filter(user=user).first()
    return {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else {}


@router.put("/academies/{slug}/users/{user_id}/pars-profile", response=responses(ProfileIO),
            summary="Set a learner's PARS profile fields")
def profile_put(request: HttpRequest, slug: str, user_id: int, payload: ProfileIn) -> Any:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    user = User.objects.filter(academy=academy, pk=user_id).first()
    if user is None:
        raise NotFound(f"No user {user_id} in this academy.")
    profile = learner_profile_update(user=user, changes=payload.model_dump())
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}
