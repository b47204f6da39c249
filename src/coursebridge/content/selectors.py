"""Reads of packages and units, each scoped to one academy's course."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course
from coursebridge.content.models import Package, Unit, UnitState
from coursebridge.learning.models import Attempt


def package_current(*, course: Course) -> Package | None:
    """The version the course launches, or None when it has no package."""
    return (
        Package.objects.filter(academy_id=course.academy_id, course=course, is_current=True)
        .select_related("uploaded_by")
        .first()
    )


def package_versions(*, course: Course) -> QuerySet[Package]:
    """Every imported version of the course's package, newest first, with its unit count."""
    return (
        Package.objects.filter(academy_id=course.academy_id, course=course)
        .select_related("uploaded_by")
        .annotate(unit_count=Count("units"))
        .order_by("-version")
    )


def package_units(*, package: Package) -> QuerySet[Unit]:
    return Unit.objects.filter(package=package).order_by("position")


@dataclass(frozen=True)
class UnitRow:
    """A unit on the course page, with the learner's status in their latest attempt ("" for none)."""

    unit: Unit
    status: str


def course_units_for_learner(*, course: Course, user: User) -> list[UnitRow]:
    """The units of the course's current package in launch order, each with what the user's latest
    attempt recorded for it. Two queries, whatever the number of units."""
    package = package_current(course=course)
    if package is None:
        return []
    units = list(package_units(package=package))
    attempt = (
        Attempt.objects.filter(academy_id=course.academy_id, enrollment__course=course, enrollment__user=user)
        .order_by("-started_at", "-id")
        .first()
        if user.is_authenticated
        else None
    )
    statuses: dict[int, str] = {}
    if attempt is not None:
        statuses = dict(
            UnitState.objects.filter(attempt=attempt, unit__in=units).values_list("unit_id", "lesson_status")
        )
    return [UnitRow(unit=unit, status=statuses.get(unit.pk, "")) for unit in units]
