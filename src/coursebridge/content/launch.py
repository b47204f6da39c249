"""How package courses launch behind the learning gate (see learning.services.register_launcher)."""

from __future__ import annotations

from coursebridge.catalog.models import CourseKind
from coursebridge.core.errors import LaunchRefused
from coursebridge.learning.models import Attempt


def launch_package(attempt: Attempt) -> str:
    """The address START opens for a package course: the player page of the attempt, which lists the
    units and opens the first one not finished (AICC units go to their AU with aicc_sid/aicc_url,
    SCORM units play in the frame that provides the runtime API)."""
    from django.urls import reverse

    course = attempt.enrollment.course
    if not course.packages.filter(is_current=True).exists():
        raise LaunchRefused(f"'{course.title}' has no package to play yet. Ask an administrator to import one.")
    return reverse("web:player", args=[course.academy.slug, attempt.pk])


def register() -> None:
    from coursebridge.learning.services import register_launcher

    register_launcher(CourseKind.PACKAGE, launch_package)
