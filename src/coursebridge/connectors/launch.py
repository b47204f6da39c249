"""Provider courses launch through their provider: START records the attempt, then the browser
goes to the address the provider gives (by default the course's own URL at the provider)."""

from __future__ import annotations

from coursebridge.catalog.models import CourseKind
from coursebridge.core.errors import LaunchRefused
from coursebridge.learning.models import Attempt
from coursebridge.learning.services import register_launcher


def provider_launch_url(attempt: Attempt) -> str:
    from coursebridge.connectors.registry import PROVIDERS

    course = attempt.enrollment.course
    provider = PROVIDERS.get(course.provider)
    url = provider.launch_url(attempt=attempt) if provider else course.launch_url
    if not url:
        raise LaunchRefused(f"'{course.title}' has no address at its provider. Ask an administrator to sync it.")
    return url


def register() -> None:
    register_launcher(CourseKind.PROVIDER, provider_launch_url)
