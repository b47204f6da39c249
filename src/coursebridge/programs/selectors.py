"""Reads of programs and sessions, scoped to one academy, and where a learner stands in a session.

A step's state is computed from the learner's enrollment in its course under the session's entry
key, each time it is read: archiving a course, completing a step or the session's end date change
what the learner sees without any stored progress to keep in step."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from coursebridge.accounts.models import Academy, Membership, User
from coursebridge.catalog.models import Course, CourseStatus
from coursebridge.learning.models import Enrollment, EntryPoint, LearningStatus
from coursebridge.learning.services import enrollment_entry_key, launch_refusal
from coursebridge.programs.models import Participant, Program, ProgramStep, Session, StepOrder

# Participants whose enrollments are read in one query (bounded IN lists on every database).
ENROLLMENT_CHUNK = 500
# A step counts as done when its enrollment completed or passed; a failed one may be tried again.
DONE_STATUSES = frozenset({LearningStatus.COMPLETED, LearningStatus.PASSED})


class StepState:
    LOCKED = "locked"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    UNAVAILABLE = "unavailable"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"

    LABELS = {
        "locked": "Locked", "open": "To do", "in_progress": "In progress", "completed": "Completed",
        "unavailable": "Unavailable", "not_yet_open": "Not open yet", "closed": "Closed",
    }


@dataclass(frozen=True)
class StepView:
    step: ProgramStep
    course: Course
    state: str
    reason: str  # why the step cannot be started now ("" when it can)
    enrollment: Enrollment | None
    counted: bool  # part of the session's progress

    @property
    def label(self) -> str:
        return StepState.LABELS[self.state]

    @property
    def can_start(self) -> bool:
        return self.state in (StepState.OPEN, StepState.IN_PROGRESS)

    @property
    def progress(self) -> int:
        return self.enrollment.progress if self.enrollment else 0


@dataclass(frozen=True)
class SessionView:
    session: Session
    steps: list[StepView]
    done: int
    counted: int
    state: str  # "upcoming", "open" or "closed"

    @property
    def percent(self) -> int:
        return self.done * 100 // self.counted if self.counted else 0

    @property
    def completed(self) -> bool:
        # An empty program (or one whose every step became unavailable) is never "completed".
        return self.counted > 0 and self.done == self.counted


def today() -> date:
    return timezone.now().date()


def program_list(*, academy: Academy) -> QuerySet[Program]:
    return Program.objects.filter(academy=academy).annotate(
        step_count=Count("steps", distinct=True), session_count=Count("sessions", distinct=True)
    ).order_by("title", "id")


def program_get(*, academy: Academy, program_id: int) -> Program | None:
    return Program.objects.filter(academy=academy, pk=program_id).first()


def program_steps(*, program: Program) -> QuerySet[ProgramStep]:
    return ProgramStep.objects.filter(program=program).select_related("course").order_by("position")


def session_list(*, academy: Academy, program_id: int | None = None) -> QuerySet[Session]:
    qs = Session.objects.filter(academy=academy).select_related("program").annotate(
        participant_count=Count("participants")
    )
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    return qs.order_by("-starts_on", "-id")


def session_get(*, academy: Academy, session_id: int) -> Session | None:
    return Session.objects.filter(academy=academy, pk=session_id).select_related("program").first()


def session_participants(*, session: Session) -> QuerySet[Participant]:
    return Participant.objects.filter(session=session).select_related("user", "group").order_by("id")


def _membership_condition(user: User) -> Q:
    """Sessions whose participant groups contain one of the user's groups (or an ancestor of it)."""
    paths = list(Membership.objects.filter(user=user).values_list("group__path", flat=True))
    ids: set[int] = set()
    for path in paths:
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return Q(participants__group_id__in=sorted(ids)) if ids else Q(pk__in=[])


def sessions_of_learner(*, academy: Academy, user: User) -> QuerySet[Session]:
    """Sessions the user takes part in, directly or through a group of theirs (or a parent group)."""
    if user.academy_id != academy.pk:
        return Session.objects.none()
    condition = Q(participants__user=user) | _membership_condition(user)
    ids = Session.objects.filter(condition, academy=academy).values("pk")
    return Session.objects.filter(pk__in=ids).select_related("program").order_by("-starts_on", "-id")


def is_participant(*, session: Session, user: User) -> bool:
    return sessions_of_learner(academy=session.academy, user=user).filter(pk=session.pk).exists()


def session_participant_users(*, session: Session) -> QuerySet[User]:
    """Every learner of the session: users added directly and members of the added groups' subtrees."""
    group_paths = list(
        Participant.objects.filter(session=session, group__isnull=False).values_list("group__path", flat=True)
    )
    condition = Q(pk__in=Participant.objects.filter(session=session, user__isnull=False).values("user_id"))
    for path in group_paths:
        condition |= Q(memberships__group__path__startswith=path)
    return User.objects.filter(condition, academy_id=session.academy_id).distinct().order_by("username")


def session_state(session: Session, on: date | None = None) -> str:
    day = on or today()
    if day < session.starts_on:
        return "upcoming"
    if day > session.ends_on:
        return "closed"
    return "open"


def session_view(*, session: Session, user: User, on: date | None = None) -> SessionView:
    """Where the learner stands: each step's state and why, and the session's progress.

    Rules (docs/program-sessions.md): a step is done when the learner's enrollment in its course
    for this session completed or passed; done steps stay done whatever happens to the course. A
    step whose course became archived or inactive (and that the learner may no longer open) is
    unavailable, shows why, and leaves the progress count; in a linear program it no longer holds
    back the steps after it. Before the start date nothing opens; after the end date the session is
    closed."""
    steps = list(program_steps(program=session.program))
    key = enrollment_entry_key(EntryPoint.SESSION, session.pk)
    enrollments = {
        e.course_id: e
        for e in Enrollment.objects.filter(user=user, entry_key=key, course_id__in=[s.course_id for s in steps])
    }
    return _session_view(session, steps, enrollments, session_state(session, on))


def _session_view(session: Session, steps: list[ProgramStep], enrollments: dict[int, Enrollment],
                  state: str) -> SessionView:
    """The rules of `session_view` on steps and one learner's enrollments (course id -> enrollment)
    already read: no query."""
    linear = session.program.order == StepOrder.LINEAR
    views: list[StepView] = []
    blocked_by = ""
    done = counted = 0
    for step in steps:
        course = step.course
        enrollment = enrollments.get(course.pk)
        finished = enrollment is not None and enrollment.status in DONE_STATUSES
        refusal = None if finished else launch_refusal(course=course, enrollment=enrollment, subject="This course")
        if finished:
            views.append(StepView(step, course, StepState.COMPLETED, "", enrollment, True))
            done += 1
            counted += 1
            continue
        if refusal:
            views.append(StepView(step, course, StepState.UNAVAILABLE, refusal, enrollment, False))
            continue
        counted += 1
        if state == "upcoming":
            step_state, reason = StepState.NOT_YET_OPEN, f"The session opens on {session.starts_on:%Y-%m-%d}."
        elif state == "closed":
            step_state, reason = StepState.CLOSED, f"The session closed on {session.ends_on:%Y-%m-%d}."
        elif linear and blocked_by:
            step_state, reason = StepState.LOCKED, f"Complete '{blocked_by}' first."
        elif enrollment is not None and enrollment.first_activity_at is not None:
            step_state, reason = StepState.IN_PROGRESS, ""
        else:
            step_state, reason = StepState.OPEN, ""
        views.append(StepView(step, course, step_state, reason, enrollment, True))
        if not blocked_by:
            blocked_by = course.title
    return SessionView(session=session, steps=views, done=done, counted=counted, state=state)


def session_learner_rows(*, session: Session, on: date | None = None) -> list[tuple[User, SessionView]]:
    """Every participant with their progress (for the admin's session page), in three reads whatever
    the number of participants and steps: the steps with their courses, the participants, and the
    session's enrollments in the steps' courses (read in chunks of participants); each learner's view
    is then worked out in memory with the rules of `session_view`."""
    steps = list(program_steps(program=session.program))
    users = list(session_participant_users(session=session))
    key = enrollment_entry_key(EntryPoint.SESSION, session.pk)
    course_ids = [s.course_id for s in steps]
    by_user: dict[int, dict[int, Enrollment]] = defaultdict(dict)
    if course_ids:
        user_ids = [u.pk for u in users]
        for start in range(0, len(user_ids), ENROLLMENT_CHUNK):
            for enrollment in Enrollment.objects.filter(
                academy_id=session.academy_id, entry_key=key, course_id__in=course_ids,
                user_id__in=user_ids[start:start + ENROLLMENT_CHUNK],
            ):
                by_user[enrollment.user_id][enrollment.course_id] = enrollment
    state = session_state(session, on)
    return [(user, _session_view(session, steps, by_user.get(user.pk, {}), state)) for user in users]


def courses_for_steps(*, academy: Academy) -> QuerySet[Course]:
    """Courses an admin may add to a program: active ones of every kind."""
    return Course.objects.filter(academy=academy, status=CourseStatus.ACTIVE).order_by("title", "id")
