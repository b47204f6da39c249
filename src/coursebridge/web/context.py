"""The top bar's data: which academy the page is in and which menus the user gets. Computed only
when a template uses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import academy_for_user, can_administer, is_training_admin


@dataclass(frozen=True)
class Navigation:
    academy: Academy | None = None
    can_administer: bool = False
    is_training_admin: bool = False
    is_site_admin: bool = False
    section: str = ""


ADMIN_SECTIONS = {
    "group": "admin", "user": "admin", "membership": "admin", "course": "admin", "category": "admin",
}


def _section(url_name: str) -> str:
    """Which top-bar entry to highlight for a page."""
    if url_name in {"catalogue", "course_detail", "course_start"}:
        return "catalogue"
    if url_name == "transcript":
        return "transcript"
    if url_name.startswith("token"):
        return "account"
    return ADMIN_SECTIONS.get(url_name.split("_", 1)[0], "")


def build_navigation(request: HttpRequest) -> Navigation:
    if not request.user.is_authenticated:
        return Navigation()
    user = cast(User, request.user)
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match else None
    academy = academy_for_user(user=user, slug=slug) if slug else None
    if academy is None and user.academy_id is not None:
        academy = user.academy
    if academy is None:
        return Navigation(is_site_admin=user.is_site_admin)
    return Navigation(
        academy=academy,
        can_administer=can_administer(user=user, academy=academy),
        is_training_admin=is_training_admin(user=user, academy=academy),
        is_site_admin=user.is_site_admin,
        section=_section(match.url_name or "") if match else "",
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav": SimpleLazyObject(lambda: build_navigation(request))}
