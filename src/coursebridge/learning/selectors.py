"""Reads of enrollments, attempts and transcripts, scoped to one academy."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet

from coursebridge.accounts.models import Academy, User
from coursebridge.learning.models import Attempt, Enrollment


def transcript(*, academy: Academy, user: User) -> QuerySet[Enrollment]:
    """Every enrollment of the learner, inactive and archived courses included (the course's
    status_label says which), most recent activity first."""
    return (
        Enrollment.objects.filter(academy=academy, user=user)
        .select_related("course")
        .annotate(attempt_count=Count("attempts"))
        # Never-started enrollments last on every database (PostgreSQL sorts NULL first by default).
        .order_by(F("last_activity_at").desc(nulls_last=True), "-enrolled_at", "-id")
    )


def enrollment_list(
    *, academy: Academy, user_id: int | None = None, course_id: int | None = None, status: str | None = None
) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.filter(academy=academy).select_related("course", "user")
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-enrolled_at", "-id")


def attempt_list(
    *, academy: Academy, enrollment_id: int | None = None, user_id: int | None = None
) -> QuerySet[Attempt]:
    qs = Attempt.objects.filter(academy=academy).select_related("enrollment", "enrollment__course")
    if enrollment_id is not None:
        qs = qs.filter(enrollment_id=enrollment_id)
    if user_id is not None:
        qs = qs.filter(enrollment__user_id=user_id)
    return qs.order_by("-started_at", "-id")
