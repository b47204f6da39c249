"""Reads of the records app, each scoped to one academy."""

from __future__ import annotations

from django.db.models import QuerySet

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course
from coursebridge.records.models import (
    CourseCertificate,
    CourseCreditOffer,
    CourseShell,
    CreditRecord,
    CreditType,
    ImportLock,
    ImportRun,
    StagedRow,
)
from coursebridge.records.services import credit_types_ensure


def credit_types(*, academy: Academy) -> QuerySet[CreditType]:
    """The academy's credit types; the five defaults are created on the first read."""
    credit_types_ensure(academy=academy)
    return CreditType.objects.filter(academy=academy).order_by("-is_default", "name")


def credit_type_get(*, academy: Academy, machine_name: str) -> CreditType:
    credit_types_ensure(academy=academy)
    return CreditType.objects.get(academy=academy, machine_name=machine_name)


def course_offers(*, course: Course) -> QuerySet[CourseCreditOffer]:
    return CourseCreditOffer.objects.filter(academy_id=course.academy_id, course=course).select_related("credit_type")


def import_runs(*, academy: Academy, scope: str | None = None, course: Course | None = None) -> QuerySet[ImportRun]:
    qs = ImportRun.objects.filter(academy=academy).select_related("course", "created_by")
    if scope:
        qs = qs.filter(scope=scope)
    if course is not None:
        qs = qs.filter(course=course)
    return qs.order_by("-created_at", "-id")


def import_run_get(*, academy: Academy, run_id: int) -> ImportRun:
    return ImportRun.objects.select_related("course", "academy").get(academy=academy, pk=run_id)


def import_locks(*, academy: Academy) -> QuerySet[ImportLock]:
    return ImportLock.objects.filter(academy=academy).select_related("run", "run__course", "run__created_by")


def run_report_rows(*, run: ImportRun) -> QuerySet[StagedRow]:
    """Rows with something to say (errors, warnings, notes), in file order."""
    return StagedRow.objects.filter(run=run).exclude(messages=[]).order_by("number")


def is_shell(*, course: Course) -> bool:
    return CourseShell.objects.filter(academy_id=course.academy_id, course=course).exists()


def course_certificate(*, course: Course) -> CourseCertificate | None:
    return CourseCertificate.objects.filter(academy_id=course.academy_id, course=course).first()


def credits_of(*, academy: Academy, user_id: int, course_id: int) -> QuerySet[CreditRecord]:
    return CreditRecord.objects.filter(academy=academy, user_id=user_id, course_id=course_id).select_related(
        "credit_type"
    ).order_by("credit_type__name")


def credits_by_course(*, academy: Academy, user_id: int) -> dict[int, list[CreditRecord]]:
    """The learner's credit records, per course, for the transcript."""
    found: dict[int, list[CreditRecord]] = {}
    for record in CreditRecord.objects.filter(academy=academy, user_id=user_id).select_related(
            "credit_type").order_by("course_id", "credit_type__name"):
        found.setdefault(record.course_id, []).append(record)
    return found
