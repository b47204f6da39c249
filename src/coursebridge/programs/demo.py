"""The demo's program: a linear onboarding path for the Sales group (and its subgroups), with a
session running now that the demo learner (in EMEA, below Sales) can follow."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from coursebridge.accounts.models import Academy, Group, User
from coursebridge.catalog.models import Course, CourseKind, CourseStatus
from coursebridge.programs.models import Program, StepOrder
from coursebridge.programs.services import program_create, program_step_add, session_create, session_participant_add


def demo_load(*, academy: Academy) -> Program:
    admin = User.objects.get(academy=academy, username="admin")
    sales = Group.objects.get(academy=academy, name="Sales")
    active = Course.objects.filter(academy=academy, status=CourseStatus.ACTIVE).order_by("title", "id")
    steps = [*active.filter(kind=CourseKind.WEB_LINK)[:2], *active.filter(kind=CourseKind.PROVIDER)[:1]]
    program = program_create(
        academy=academy, title="Sales onboarding", order=StepOrder.LINEAR, by=admin,
        description="Three steps for newcomers to the sales team, one of them at a content provider.",
    )
    for course in steps:
        program_step_add(program=program, course=course)
    today = timezone.now().date()
    session = session_create(program=program, name="Spring cohort", starts_on=today - timedelta(days=20),
                             ends_on=today + timedelta(days=40))
    session_participant_add(session=session, group=sales)
    return program


def demo_delete(*, academy: Academy) -> None:
    """Programs hold their courses (a course cannot go while a step names it): they go first."""
    from coursebridge.programs.models import Session

    Session.objects.filter(academy=academy).delete()
    Program.objects.filter(academy=academy).delete()
