"""What every academy page shares: who may enter, how refusals look, paging and htmx helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import academy_for_user, can_administer, is_training_admin
from coursebridge.core.errors import DomainError
from coursebridge.web.errors import error_response

ADMIN_PAGE_SIZE = 25


@dataclass(frozen=True)
class Visit:
    """The academy a page is about and the signed-in user looking at it."""

    academy: Academy
    user: User


PageView = Callable[..., HttpResponse]

# Who may open an academy page: any user of the academy, any admin (training admin or group
# admin), or training admins only.
MEMBER, ADMIN, TRAINING_ADMIN = "member", "admin", "training_admin"


def academy_page(level: str = MEMBER) -> Callable[[PageView], PageView]:
    """Resolve /a/<slug>/ to an academy the user may enter (404 otherwise, so another academy's
    existence is not even confirmed) and check the admin level (403 with the reason)."""

    def decorate(view: PageView) -> PageView:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if is_htmx(request):
                    # A fragment request (the session expired mid-search): the whole page signs in.
                    login = redirect_to_login(request.headers.get("HX-Current-URL") or request.get_full_path())
                    return HttpResponse(status=204, headers={"HX-Redirect": login["Location"]})
                return redirect_to_login(request.get_full_path())
            user = cast(User, request.user)
            academy = academy_for_user(user=user, slug=slug)
            if academy is None:
                return error_response(request, 404)
            if level == ADMIN and not can_administer(user=user, academy=academy):
                return error_response(request, 403, "This page is for the academy's administrators.")
            if level == TRAINING_ADMIN and not is_training_admin(user=user, academy=academy):
                return error_response(request, 403, "This page is for the academy's training administrators.")
            return view(request, Visit(academy=academy, user=user), **kwargs)

        return wrapper

    return decorate


def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A service's refusal as an error page with its message (never a 500)."""
    return error_response(request, exc.status, exc.message, exc.field)


def not_found(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404)


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, fragment: str | None = None, status: int = 200
) -> HttpResponse:
    """The whole page, or only `fragment` when htmx asks; the answer varies on HX-Request."""
    chosen = fragment if fragment and is_htmx(request) else template
    response = render(request, chosen, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def paginate(request: HttpRequest, items: Any, per_page: int = ADMIN_PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` address posted with a form, when it points back into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback
