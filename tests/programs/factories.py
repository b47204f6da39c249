"""Programs, sessions and learning records for the program and report tests, through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime

from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course
from coursebridge.learning.models import Enrollment, EntryPoint, LearningStatus, TimeSource
from coursebridge.learning.services import attempt_record_progress, launch_course
from coursebridge.programs.models import Program, Session, StepOrder
from coursebridge.programs.services import program_create, program_step_add, session_create

OPEN_FROM = date(2020, 1, 1)
OPEN_UNTIL = date(2099, 12, 31)


def program_with(courses: list[Course], *, title: str = "Onboarding", order: str = StepOrder.LINEAR) -> Program:
    program = program_create(academy=courses[0].academy, title=title, order=order)
    for course in courses:
        program_step_add(program=program, course=course)
    return program


def open_session(program: Program, *, name: str = "Spring cohort", starts_on: date = OPEN_FROM,
                 ends_on: date = OPEN_UNTIL) -> Session:
    return session_create(program=program, name=name, starts_on=starts_on, ends_on=ends_on)


def complete_in_session(user: User, course: Course, session: Session) -> Enrollment:
    """START from the session, then the content reports completion."""
    attempt = launch_course(user=user, course=course, entry_point=EntryPoint.SESSION, session_id=session.pk).attempt
    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED, progress=100)
    return Enrollment.objects.get(pk=attempt.enrollment_id)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def enrollment(user: User, course: Course, *, status: str = LearningStatus.NOT_STARTED, progress: int = 0,
               seconds: int = 0, source: str = TimeSource.MEASURED, first: datetime | None = None,
               last: datetime | None = None, completed: datetime | None = None, score: float | None = None,
               entry_key: str = "catalogue") -> Enrollment:
    """An enrollment in a given state, written directly (the report tests need exact dates)."""
    entry_point = EntryPoint.SESSION if entry_key.startswith("session:") else EntryPoint.CATALOGUE
    return Enrollment.objects.create(
        academy_id=course.academy_id, user=user, course=course, status=status, progress=progress,
        time_spent_seconds=seconds, time_source=source, first_activity_at=first, last_activity_at=last,
        completed_at=completed, score=score, entry_point=entry_point, entry_key=entry_key,
    )
