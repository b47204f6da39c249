"""Writes on programs, steps, sessions and participants, and START from a session's step."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Max

from coursebridge.accounts.models import Academy, Group, User
from coursebridge.catalog.models import Course, CourseStatus
from coursebridge.core.errors import Conflict, DomainError, LaunchRefused
from coursebridge.learning.models import EntryPoint
from coursebridge.learning.services import LAUNCHERS, Launch, launch_course
from coursebridge.programs import selectors
from coursebridge.programs.models import Participant, Program, ProgramStep, Session, StepOrder
from coursebridge.programs.selectors import StepState

MAX_STEPS = 200


def _clean_title(value: str, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{what} needs a {field.replace('_', ' ')}.", field=field)
    if len(text) > 300:
        raise DomainError(f"The {field} is at most 300 characters (it has {len(text)}).", field=field)
    return text


@transaction.atomic
def program_create(
    *, academy: Academy, title: str, description: str = "", order: str = StepOrder.LINEAR, by: User | None = None
) -> Program:
    if order not in StepOrder.values:
        raise DomainError(f"Order is one of {', '.join(StepOrder.values)}.", field="order")
    return Program.objects.create(
        academy=academy, title=_clean_title(title, "title", "A program"), description=(description or "").strip(),
        order=order, created_by=by,
    )


@transaction.atomic
def program_update(*, program: Program, title: str | None = None, description: str | None = None,
                   order: str | None = None) -> Program:
    if title is not None:
        program.title = _clean_title(title, "title", "A program")
    if description is not None:
        program.description = description.strip()
    if order is not None:
        if order not in StepOrder.values:
            raise DomainError(f"Order is one of {', '.join(StepOrder.values)}.", field="order")
        program.order = order
    program.save()
    return program


@transaction.atomic
def program_step_add(*, program: Program, course: Course) -> ProgramStep:
    """Add a course as the program's last step. Native, package and provider courses alike; it must
    be active and launchable, and in the program once."""
    if course.academy_id != program.academy_id:
        raise DomainError("No such course in this academy.", field="course_id")
    if course.status != CourseStatus.ACTIVE:
        raise DomainError(f"'{course.title}' is {course.get_status_display().lower()}: only active courses "
                          "can become steps.", field="course_id")
    if course.kind not in LAUNCHERS:
        raise DomainError(f"Courses of the kind '{course.get_kind_display()}' cannot be launched here.",
                          field="course_id")
    Program.objects.select_for_update().filter(pk=program.pk).first()
    if ProgramStep.objects.filter(program=program, course=course).exists():
        raise Conflict(f"'{course.title}' is already a step of this program.", field="course_id")
    count = ProgramStep.objects.filter(program=program).count()
    if count >= MAX_STEPS:
        raise DomainError(f"A program has at most {MAX_STEPS} steps.", field="course_id")
    last = ProgramStep.objects.filter(program=program).aggregate(m=Max("position"))["m"] or 0
    try:
        with transaction.atomic():
            return ProgramStep.objects.create(academy_id=program.academy_id, program=program, course=course,
                                              position=last + 1)
    except IntegrityError as exc:
        raise Conflict(f"'{course.title}' is already a step of this program.", field="course_id") from exc


@transaction.atomic
def program_step_remove(*, step: ProgramStep) -> None:
    """Remove a step; the ones after it move up. Learners' records in the course are kept."""
    Program.objects.select_for_update().filter(pk=step.program_id).first()
    ProgramStep.objects.filter(pk=step.pk).delete()
    ProgramStep.objects.filter(program_id=step.program_id, position__gt=step.position).update(
        position=F("position") - 1
    )


@transaction.atomic
def program_step_move(*, step: ProgramStep, direction: str) -> ProgramStep:
    """Swap a step with its neighbour: direction "up" or "down". At either end nothing changes."""
    if direction not in ("up", "down"):
        raise DomainError("Direction is up or down.", field="direction")
    Program.objects.select_for_update().filter(pk=step.program_id).first()
    step.refresh_from_db()
    target = step.position - 1 if direction == "up" else step.position + 1
    neighbour = ProgramStep.objects.filter(program_id=step.program_id, position=target).first()
    if neighbour is None:
        return step
    neighbour.position, step.position = step.position, target
    neighbour.save(update_fields=["position"])
    step.save(update_fields=["position"])
    return step


@transaction.atomic
def session_create(*, program: Program, name: str, starts_on: date, ends_on: date) -> Session:
    if ends_on < starts_on:
        raise DomainError(f"The end date ({ends_on:%Y-%m-%d}) is before the start date ({starts_on:%Y-%m-%d}).",
                          field="ends_on")
    return Session.objects.create(academy_id=program.academy_id, program=program,
                                  name=_clean_title(name, "name", "A session"), starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def session_update(*, session: Session, name: str | None = None, starts_on: date | None = None,
                   ends_on: date | None = None) -> Session:
    """Rename or move the dates; moving the end date into the past closes the session."""
    if name is not None:
        session.name = _clean_title(name, "name", "A session")
    session.starts_on = starts_on or session.starts_on
    session.ends_on = ends_on or session.ends_on
    if session.ends_on < session.starts_on:
        raise DomainError(f"The end date ({session.ends_on:%Y-%m-%d}) is before the start date "
                          f"({session.starts_on:%Y-%m-%d}).", field="ends_on")
    session.save()
    return session


@transaction.atomic
def session_participant_add(*, session: Session, user: User | None = None, group: Group | None = None) -> Participant:
    """Add a learner, or a group (its members and its subgroups' members). Adding twice returns the
    existing participant."""
    if (user is None) == (group is None):
        raise DomainError("Add either a user or a group.", field="user_id")
    if user is not None and user.academy_id != session.academy_id:
        raise DomainError("No such user in this academy.", field="user_id")
    if group is not None and group.academy_id != session.academy_id:
        raise DomainError("No such group in this academy.", field="group_id")
    lookup = {"session": session, "user": user} if user is not None else {"session": session, "group": group}
    existing = Participant.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Participant.objects.create(academy_id=session.academy_id, **lookup)
    except IntegrityError:
        return Participant.objects.get(**lookup)


@transaction.atomic
def session_participant_remove(*, participant: Participant) -> None:
    """Remove a participant; what they did stays on their transcript and in the reports."""
    participant.delete()


def session_step_start(*, session: Session, step: ProgramStep, user: User, on: date | None = None) -> Launch:
    """START from a session's step: the learner must take part in the session, the session must be
    open and the step too (in a linear program, every available step before it completed). Then the
    learning launch gate decides, with the session as entry point."""
    if step.program_id != session.program_id:
        raise LaunchRefused("This step is not part of the session's program.")
    if not selectors.is_participant(session=session, user=user):
        raise LaunchRefused(f"You are not a participant of '{session.name}'.")
    view = selectors.session_view(session=session, user=user, on=on)
    if view.state == "upcoming":
        raise LaunchRefused(f"'{session.name}' opens on {session.starts_on:%Y-%m-%d}.")
    if view.state == "closed":
        raise LaunchRefused(
            f"'{session.name}' closed on {session.ends_on:%Y-%m-%d}: its steps cannot be started any more."
        )
    step_view = next(v for v in view.steps if v.step.pk == step.pk)
    # A completed step can be replayed (the launch gate opens a new attempt); the others must be open.
    if step_view.state != StepState.COMPLETED and not step_view.can_start:
        raise LaunchRefused(step_view.reason or "This step cannot be started now.")
    return launch_course(user=user, course=step.course, entry_point=EntryPoint.SESSION, session_id=session.pk)
