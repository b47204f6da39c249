"""Signing in and out, and where "/" sends each person."""

from __future__ import annotations

from typing import cast

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from coursebridge.accounts.models import User
from coursebridge.web import selectors
from coursebridge.web.errors import error_response


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (the top bar's Sign out button); it lands on the sign-in page."""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Anonymous: sign in. A site admin: the list of academies. Everyone else: their catalogue."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    user = cast(User, request.user)
    if user.is_site_admin:
        return redirect("web:academy_list")
    if user.academy is None:
        return error_response(request, 403, "Your account is not attached to an academy. Ask an administrator.")
    return redirect("web:catalogue", slug=user.academy.slug)


@require_GET
def academy_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    if not cast(User, request.user).is_site_admin:
        return error_response(request, 403, "Only site administrators see every academy.")
    return render(request, "web/academy_list.html", {"academies": selectors.academy_list()})
