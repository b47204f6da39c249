"""REST endpoints of programs and sessions.

Training admins build programs (ordered course steps) and run them as sessions with participants;
learners list their sessions, see each step's state and launch a step.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from coursebridge.accounts.api import academy_of, group_in, request_user, require_training_admin, user_in_scope
from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import CourseKind, CourseStatus
from coursebridge.core.api import Id, InputSchema, PageParams, PatchSchema, paged, paginate, responses
from coursebridge.core.errors import DomainError, NotFound
from coursebridge.learning.api import course_in_body
from coursebridge.learning.models import LearningStatus
from coursebridge.programs import selectors, services
from coursebridge.programs.models import Participant, Program, ProgramStep, Session, StepOrder

router = Router()


# --- Schemas -----------------------------------------------------------------------------------


class StepOut(Schema):
    id: int
    position: int
    course_id: int
    course_title: str
    course_kind: CourseKind
    course_provider: str
    course_status: CourseStatus

    @staticmethod
    def resolve_course_title(obj: ProgramStep) -> str:
        return obj.course.title

    @staticmethod
    def resolve_course_kind(obj: ProgramStep) -> str:
        return obj.course.kind

    @staticmethod
    def resolve_course_provider(obj: ProgramStep) -> str:
        return obj.course.provider

    @staticmethod
    def resolve_course_status(obj: ProgramStep) -> str:
        return obj.course.status


class ProgramOut(Schema):
    id: int
    title: str
    description: str
    order: StepOrder
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: Program) -> list[ProgramStep]:
        return list(selectors.program_steps(program=obj))


class ProgramIn(InputSchema):
    title: str
    description: str = ""
    order: StepOrder = StepOrder.LINEAR


class ProgramPatch(PatchSchema):
    """Only the fields sent change."""

    title: str | None = None
    description: str | None = None
    order: StepOrder | None = None


class StepIn(InputSchema):
    course_id: Id


class StepMoveIn(InputSchema):
    direction: Literal["up", "down"]


class SessionOut(Schema):
    id: int
    program_id: int
    program_title: str
    name: str
    starts_on: date
    ends_on: date
    state: str = Field(description="upcoming, open or closed (after the end date).")

    @staticmethod
    def resolve_program_title(obj: Session) -> str:
        return obj.program.title

    @staticmethod
    def resolve_state(obj: Session) -> str:
        return selectors.session_state(obj)


class SessionIn(InputSchema):
    program_id: Id
    name: str
    starts_on: date
    ends_on: date


class ParticipantOut(Schema):
    id: int
    user_id: int | None
    group_id: int | None


class ParticipantIn(InputSchema):
    user_id: Id | None = Field(default=None, description="A learner; or give group_id instead.")
    group_id: Id | None = Field(default=None, description="A group: its members and its subgroups' members.")


class StepStateOut(Schema):
    step_id: int
    position: int
    course_id: int
    course_title: str
    course_status: CourseStatus
    state: str = Field(description="locked, open, in_progress, completed, unavailable, not_yet_open or closed.")
    reason: str = Field(description="Why the step cannot be started now; empty when it can.")
    status: LearningStatus | None = Field(description="The learner's status in the course for this session.")
    progress: int
    counted: bool = Field(description="Whether the step counts in the session's progress.")


class SessionProgressOut(Schema):
    session: SessionOut
    program_order: StepOrder
    done: int
    counted: int
    percent: int
    completed: bool
    steps: list[StepStateOut]


class StepLaunchOut(Schema):
    url: str
    attempt_id: int


def _progress(view: selectors.SessionView) -> dict[str, Any]:
    return {
        "session": view.session, "program_order": view.session.program.order, "done": view.done,
        "counted": view.counted, "percent": view.percent, "completed": view.completed,
        "steps": [
            {"step_id": s.step.pk, "position": s.step.position, "course_id": s.course.pk,
             "course_title": s.course.title, "course_status": s.course.status, "state": s.state,
             "reason": s.reason, "status": s.enrollment.status if s.enrollment else None,
             "progress": s.progress, "counted": s.counted}
            for s in view.steps
        ],
    }


# --- Lookups -------------------------------------------------------------------------------------


def program_in(academy: Academy, program_id: int, *, field: str | None = None) -> Program:
    program = selectors.program_get(academy=academy, program_id=program_id)
    if program is None:
        if field:
            raise DomainError(f"No program {program_id} in this academy.", field=field)
        raise NotFound(f"No program {program_id} in this academy.")
    return program


def session_in(academy: Academy, session_id: int) -> Session:
    session = selectors.session_get(academy=academy, session_id=session_id)
    if session is None:
        raise NotFound(f"No session {session_id} in this academy.")
    return session


def my_session(academy: Academy, user: User, session_id: int) -> Session:
    session = selectors.session_get(academy=academy, session_id=session_id)
    if session is None or not selectors.is_participant(session=session, user=user):
        raise NotFound(f"No session {session_id} that you take part in.")
    return session


# --- Programs (training admins) -------------------------------------------------------------------


@router.get("/academies/{slug}/programs", response=responses(paged(ProgramOut)), tags=["programs"],
            summary="List programs")
def program_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return paginate(request, selectors.program_list(academy=academy), page)


@router.post("/academies/{slug}/programs", response=responses(ProgramOut, 201), tags=["programs"],
             summary="Create a program")
def program_create(request: HttpRequest, slug: str, payload: ProgramIn) -> Status[Program]:
    """A template of ordered steps; `order` linear (each step opens once the one before is completed)
    or free. Add steps next."""
    academy = academy_of(request, slug)
    actor = require_training_admin(request, academy)
    program = services.program_create(academy=academy, title=payload.title, description=payload.description,
                                      order=payload.order, by=actor)
    return Status(201, program)


@router.get("/academies/{slug}/programs/{program_id}", response=responses(ProgramOut), tags=["programs"],
            summary="Get a program with its steps")
def program_get(request: HttpRequest, slug: str, program_id: int) -> Program:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return program_in(academy, program_id)


@router.patch("/academies/{slug}/programs/{program_id}", response=responses(ProgramOut), tags=["programs"],
              summary="Change a program")
def program_change(request: HttpRequest, slug: str, program_id: int, payload: ProgramPatch) -> Program:
    """Rename the program, change its description or switch it between linear and free order; its
    sessions follow at once (completions never change, only which steps are locked)."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return services.program_update(program=program_in(academy, program_id), **payload.changes())


@router.post("/academies/{slug}/programs/{program_id}/steps", response=responses(StepOut, 201),
             tags=["programs"], summary="Add a step")
def step_add(request: HttpRequest, slug: str, program_id: int, payload: StepIn) -> Status[ProgramStep]:
    """The course becomes the program's last step: a native, package or provider course, active."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    program = program_in(academy, program_id)
    step = services.program_step_add(program=program, course=course_in_body(academy, payload.course_id))
    return Status(201, step)


@router.delete("/academies/{slug}/programs/{program_id}/steps/{step_id}", response=responses(None, 204),
               tags=["programs"], summary="Remove a step")
def step_remove(request: HttpRequest, slug: str, program_id: int, step_id: int) -> Status[None]:
    """The steps after it move up; learners' records in the course are kept."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    step = ProgramStep.objects.filter(academy=academy, program_id=program_id, pk=step_id).first()
    if step is None:
        raise NotFound(f"No step {step_id} in program {program_id}.")
    services.program_step_remove(step=step)
    return Status(204, None)


@router.post("/academies/{slug}/programs/{program_id}/steps/{step_id}/move", response=responses(StepOut),
             tags=["programs"], summary="Move a step up or down")
def step_move(request: HttpRequest, slug: str, program_id: int, step_id: int, payload: StepMoveIn) -> ProgramStep:
    """Swap the step with the one before ("up") or after ("down"); at either end nothing changes."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    step = ProgramStep.objects.filter(academy=academy, program_id=program_id, pk=step_id).first()
    if step is None:
        raise NotFound(f"No step {step_id} in program {program_id}.")
    return services.program_step_move(step=step, direction=payload.direction)


# --- Sessions (training admins) ----------------------------------------------------------------------


@router.get("/academies/{slug}/sessions", response=responses(paged(SessionOut)), tags=["programs"],
            summary="List sessions")
def session_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return paginate(request, selectors.session_list(academy=academy), page)


@router.post("/academies/{slug}/sessions", response=responses(SessionOut, 201), tags=["programs"],
             summary="Create a session")
def session_create(request: HttpRequest, slug: str, payload: SessionIn) -> Status[Session]:
    """A dated run of a program: learners start steps from `starts_on` to `ends_on` (UTC days)."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    program = program_in(academy, payload.program_id, field="program_id")
    session = services.session_create(program=program, name=payload.name, starts_on=payload.starts_on,
                                      ends_on=payload.ends_on)
    return Status(201, session)


@router.get("/academies/{slug}/sessions/{session_id}", response=responses(SessionOut), tags=["programs"],
            summary="Get a session")
def session_get(request: HttpRequest, slug: str, session_id: int) -> Session:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return session_in(academy, session_id)


@router.get("/academies/{slug}/sessions/{session_id}/participants", response=responses(paged(ParticipantOut)),
            tags=["programs"], summary="List a session's participants")
def participant_list(request: HttpRequest, slug: str, session_id: int, page: Query[PageParams]) -> dict[str, Any]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return paginate(request, selectors.session_participants(session=session_in(academy, session_id)), page)


@router.post("/academies/{slug}/sessions/{session_id}/participants", response=responses(ParticipantOut, 201),
             tags=["programs"], summary="Add a participant")
def participant_add(request: HttpRequest, slug: str, session_id: int, payload: ParticipantIn) -> Status[Participant]:
    """A learner (`user_id`) or a group (`group_id`, with its subgroups). Adding twice returns the
    existing participant."""
    academy = academy_of(request, slug)
    actor = require_training_admin(request, academy)
    session = session_in(academy, session_id)
    user = user_in_scope(academy, actor, payload.user_id, field="user_id") if payload.user_id else None
    group = group_in(academy, payload.group_id, field="group_id") if payload.group_id else None
    return Status(201, services.session_participant_add(session=session, user=user, group=group))


@router.delete("/academies/{slug}/sessions/{session_id}/participants/{participant_id}",
               response=responses(None, 204), tags=["programs"], summary="Remove a participant")
def participant_remove(request: HttpRequest, slug: str, session_id: int, participant_id: int) -> Status[None]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    participant = Participant.objects.filter(academy=academy, session_id=session_id, pk=participant_id).first()
    if participant is None:
        raise NotFound(f"No participant {participant_id} in session {session_id}.")
    services.session_participant_remove(participant=participant)
    return Status(204, None)


# --- Learners ----------------------------------------------------------------------------------------


@router.get("/academies/{slug}/me/sessions", response=responses(paged(SessionProgressOut)), tags=["programs"],
            summary="My program sessions")
def my_sessions(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    """The sessions you take part in (directly or through a group), with your progress in each."""
    academy = academy_of(request, slug)
    user = request_user(request)
    body = paginate(request, selectors.sessions_of_learner(academy=academy, user=user), page)
    body["items"] = [_progress(selectors.session_view(session=s, user=user)) for s in body["items"]]
    return body


@router.get("/academies/{slug}/me/sessions/{session_id}", response=responses(SessionProgressOut),
            tags=["programs"], summary="My progress in a session")
def my_session_progress(request: HttpRequest, slug: str, session_id: int) -> dict[str, Any]:
    academy = academy_of(request, slug)
    user = request_user(request)
    return _progress(selectors.session_view(session=my_session(academy, user, session_id), user=user))


@router.post("/academies/{slug}/me/sessions/{session_id}/steps/{step_id}/launch", response=responses(StepLaunchOut),
             tags=["programs"], summary="Launch a session's step")
def my_step_launch(request: HttpRequest, slug: str, session_id: int, step_id: int) -> dict[str, Any]:
    """START from a step: refused (403 with the reason) before the start date, after the end date, on
    a locked step of a linear program or an unavailable course."""
    academy = academy_of(request, slug)
    user = request_user(request)
    session = my_session(academy, user, session_id)
    step = ProgramStep.objects.filter(academy=academy, program_id=session.program_id, pk=step_id).first()
    if step is None:
        raise NotFound(f"No step {step_id} in this session.")
    launch = services.session_step_start(session=session, step=step, user=user)
    return {"url": launch.url, "attempt_id": launch.attempt.pk}
