"""REST endpoints for enrollments, launches, attempts and transcripts.

Learners see only their own records; group admins those of the users in the subtrees they
administer; training admins the whole academy.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from coursebridge.accounts.api import academy_of, request_user, user_in_scope
from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import can_administer, is_training_admin, users_in_scope
from coursebridge.catalog.api import course_in
from coursebridge.catalog.models import Course, CourseStatus
from coursebridge.catalog.selectors import course_visible_to_learner
from coursebridge.core.api import Id, InputSchema, PageParams, paged, paginate, responses
from coursebridge.core.errors import DomainError, NotFound, PermissionDenied
from coursebridge.learning import selectors, services
from coursebridge.learning.models import Attempt, Enrollment, EntryPoint, LearningStatus, TimeSource

router = Router()


# --- Schemas -----------------------------------------------------------------------------------


def _score(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class ProgressOut(Schema):
    """What enrollments and attempts both report."""

    status: LearningStatus
    progress: int
    score: float | None
    time_spent_seconds: int
    time_source: TimeSource
    first_activity_at: datetime | None
    last_activity_at: datetime | None
    completed_at: datetime | None

    @staticmethod
    def resolve_score(obj: Enrollment | Attempt) -> float | None:
        return _score(obj.score)


class EnrollmentOut(ProgressOut):
    id: int
    user_id: int
    username: str
    course_id: int
    course_title: str
    course_status: CourseStatus
    status_label: str = Field(
        description='The course\'s lifecycle label: "" when active, else "Inactive" or "Archived".'
    )
    entry_point: EntryPoint
    enrolled_at: datetime

    @staticmethod
    def resolve_username(obj: Enrollment) -> str:
        return obj.user.username

    @staticmethod
    def resolve_course_title(obj: Enrollment) -> str:
        return obj.course.title

    @staticmethod
    def resolve_course_status(obj: Enrollment) -> str:
        return obj.course.status

    @staticmethod
    def resolve_status_label(obj: Enrollment) -> str:
        return obj.course.status_label


class EnrollmentIn(InputSchema):
    course_id: Id
    user_id: Id | None = Field(default=None, description="Whom to enroll; yourself when left out.")


class EnrollmentFilters(Schema):
    user_id: Id | None = None
    course_id: Id | None = None
    status: LearningStatus | None = None


class LaunchOut(Schema):
    url: str = Field(description="Where the browser goes to open the course.")
    attempt_id: int


class AttemptOut(ProgressOut):
    id: int
    enrollment_id: int
    user_id: int
    course_id: int
    number: int
    started_at: datetime

    @staticmethod
    def resolve_user_id(obj: Attempt) -> int:
        return obj.enrollment.user_id

    @staticmethod
    def resolve_course_id(obj: Attempt) -> int:
        return obj.enrollment.course_id


class AttemptFilters(Schema):
    enrollment_id: Id | None = None
    user_id: Id | None = None


class TranscriptRowOut(Schema):
    enrollment_id: int
    course_id: int
    course_title: str
    course_status: CourseStatus
    status_label: str = Field(
        description='"" for an active course, else "Inactive" or "Archived", shown next to the title.'
    )
    status: LearningStatus
    progress: int
    score: float | None
    time_spent_seconds: int
    time_source: TimeSource
    attempt_count: int
    enrolled_at: datetime
    first_activity_at: datetime | None
    last_activity_at: datetime | None
    completed_at: datetime | None

    @staticmethod
    def resolve_enrollment_id(obj: Enrollment) -> int:
        return obj.pk

    @staticmethod
    def resolve_course_title(obj: Enrollment) -> str:
        return obj.course.title

    @staticmethod
    def resolve_course_status(obj: Enrollment) -> str:
        return obj.course.status

    @staticmethod
    def resolve_status_label(obj: Enrollment) -> str:
        return obj.course.status_label


# --- Scoping -----------------------------------------------------------------------------------


def _visible_user_ids(academy: Academy, actor: User) -> QuerySet[User] | None:
    """None when the actor sees every learner's records (training admins); else the users they may see."""
    if is_training_admin(user=actor, academy=academy):
        return None
    return users_in_scope(academy=academy, actor=actor)


def _scoped_enrollments(academy: Academy, actor: User, user_id: int | None) -> QuerySet[Enrollment]:
    if not can_administer(user=actor, academy=academy) and user_id is not None and user_id != actor.pk:
        raise PermissionDenied("Learners see only their own enrollments.")
    enrollments = selectors.enrollment_list(academy=academy, user_id=user_id)
    visible = _visible_user_ids(academy, actor)
    if visible is not None:
        enrollments = enrollments.filter(user__in=visible.values("pk"))
    return enrollments


# --- Enrollments and launch --------------------------------------------------------------------


@router.get(
    "/academies/{slug}/enrollments",
    response=responses(paged(EnrollmentOut)),
    tags=["enrollments"],
    summary="List enrollments",
)
def enrollment_list(
    request: HttpRequest, slug: str, filters: Query[EnrollmentFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Newest first. Learners get their own; group admins those of the users they manage."""
    academy = academy_of(request, slug)
    actor = request_user(request)
    enrollments = _scoped_enrollments(academy, actor, filters.user_id)
    if filters.course_id is not None:
        enrollments = enrollments.filter(course_id=filters.course_id)
    if filters.status is not None:
        enrollments = enrollments.filter(status=filters.status)
    return paginate(request, enrollments, page)


@router.post(
    "/academies/{slug}/enrollments",
    response=responses(EnrollmentOut, 201),
    tags=["enrollments"],
    summary="Enroll a learner",
)
def enrollment_create(request: HttpRequest, slug: str, payload: EnrollmentIn) -> Status[Enrollment]:
    """Administrators enroll the users they manage in any active course; learners enroll themselves
    in a course of their catalogue. Enrolling twice returns the existing enrollment."""
    academy = academy_of(request, slug)
    actor = request_user(request)
    target_id = payload.user_id if payload.user_id is not None else actor.pk
    if can_administer(user=actor, academy=academy):
        user = user_in_scope(academy, actor, target_id, field="user_id")
        course = course_in_body(academy, payload.course_id)
    else:
        if target_id != actor.pk:
            raise PermissionDenied("Learners enroll only themselves.")
        user = actor
        course = course_in_body(academy, payload.course_id)
        if not course_visible_to_learner(course=course, user=actor):
            raise DomainError(f"No course {payload.course_id} in your catalogue.", field="course_id")
    enrollment = services.enrollment_create(user=user, course=course)
    return Status(201, selectors.enrollment_list(academy=academy).get(pk=enrollment.pk))


def course_in_body(academy: Academy, course_id: int) -> Course:
    """A course named in a request body: a foreign id is a 400 on course_id."""
    try:
        return course_in(academy, course_id)
    except NotFound as exc:
        raise DomainError(exc.message, field="course_id") from exc


@router.post(
    "/academies/{slug}/courses/{course_id}/launch",
    response=responses(LaunchOut),
    tags=["enrollments"],
    summary="Launch a course",
)
def course_launch(request: HttpRequest, slug: str, course_id: int) -> dict[str, Any]:
    """START for the requesting user: the launch gate checks the course's lifecycle and the user's
    right to it, enrolls when needed, records the attempt and returns where to go. A refusal is a
    403 whose message is written for the learner."""
    academy = academy_of(request, slug)
    user = request_user(request)
    launch = services.launch_course(user=user, course=course_in(academy, course_id))
    return {"url": launch.url, "attempt_id": launch.attempt.pk}


# --- Attempts ----------------------------------------------------------------------------------


def _scoped_attempts(academy: Academy, actor: User) -> QuerySet[Attempt]:
    attempts = selectors.attempt_list(academy=academy)
    if not can_administer(user=actor, academy=academy):
        return attempts.filter(enrollment__user=actor)
    visible = _visible_user_ids(academy, actor)
    if visible is not None:
        attempts = attempts.filter(enrollment__user__in=visible.values("pk"))
    return attempts


@router.get(
    "/academies/{slug}/attempts", response=responses(paged(AttemptOut)), tags=["attempts"], summary="List attempts"
)
def attempt_list(
    request: HttpRequest, slug: str, filters: Query[AttemptFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Newest first. Learners get their own; group admins those of the users they manage."""
    academy = academy_of(request, slug)
    actor = request_user(request)
    if not can_administer(user=actor, academy=academy) and filters.user_id not in (None, actor.pk):
        raise PermissionDenied("Learners see only their own attempts.")
    attempts = _scoped_attempts(academy, actor)
    if filters.enrollment_id is not None:
        attempts = attempts.filter(enrollment_id=filters.enrollment_id)
    if filters.user_id is not None:
        attempts = attempts.filter(enrollment__user_id=filters.user_id)
    return paginate(request, attempts, page)


@router.get(
    "/academies/{slug}/attempts/{attempt_id}",
    response=responses(AttemptOut),
    tags=["attempts"],
    summary="Get an attempt",
)
def attempt_get(request: HttpRequest, slug: str, attempt_id: int) -> Attempt:
    """One attempt: your own, or one of a user you manage."""
    academy = academy_of(request, slug)
    attempt = _scoped_attempts(academy, request_user(request)).filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound(f"No attempt {attempt_id} that you may see.")
    return attempt


# --- Transcripts -------------------------------------------------------------------------------


@router.get(
    "/academies/{slug}/me/transcript",
    response=responses(paged(TranscriptRowOut)),
    tags=["transcripts"],
    summary="My transcript",
)
def my_transcript(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    """Every course you enrolled in, inactive and archived ones included (labelled by `status_label`),
    most recent activity first."""
    academy = academy_of(request, slug)
    return paginate(request, selectors.transcript(academy=academy, user=request_user(request)), page)


@router.get(
    "/academies/{slug}/users/{user_id}/transcript",
    response=responses(paged(TranscriptRowOut)),
    tags=["transcripts"],
    summary="A user's transcript",
)
def user_transcript(request: HttpRequest, slug: str, user_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """Your own, or that of a user you manage."""
    academy = academy_of(request, slug)
    user = user_in_scope(academy, request_user(request), user_id)
    return paginate(request, selectors.transcript(academy=academy, user=user), page)
