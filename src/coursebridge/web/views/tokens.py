"""The signed-in user's personal API tokens: create (the clear token is shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from coursebridge.accounts.services import api_token_create, api_token_revoke
from coursebridge.core.errors import DomainError
from coursebridge.web import selectors
from coursebridge.web.forms import ApiTokenForm, add_domain_error
from coursebridge.web.views.common import Visit, academy_page, not_found


@require_http_methods(["GET", "POST"])
@academy_page()
def token_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    """GET lists; POST creates and shows the clear token on this one answer only."""
    clear_token = ""
    status = 200
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                _, clear_token = api_token_create(user=visit.user, name=form.cleaned_data["name"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 400
            else:
                form = ApiTokenForm()
        else:
            status = 400
    response = render(request, "web/tokens.html", {
        "academy": visit.academy,
        "form": form,
        "clear_token": clear_token,
        "tokens": selectors.api_tokens_of(user=visit.user),
    }, status=status)
    if clear_token:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@academy_page()
def token_revoke(request: HttpRequest, visit: Visit, token_id: int) -> HttpResponse:
    token = selectors.api_token_of(user=visit.user, token_id=token_id)
    if token is None:
        return not_found(request)
    if token.revoked_at is None:
        api_token_revoke(token=token)
        messages.success(request, f"Token '{token.name}' revoked: it no longer opens the API.")
    return redirect("web:token_list", slug=visit.academy.slug)
