"""The Control Panel's "Connect external content providers" page: OpenSesame on or off, the CIID, the
logo display (custom asks for the Client ID and Client secret, write-only), the synchronized group,
the duplicate policy, the daily sync time, the API and token addresses; Test connection and Sync now
reuse the connection's own buttons. Training admins only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coursebridge.accounts.models import Group
from coursebridge.accounts.selectors import group_tree
from coursebridge.connectors import selectors, services
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame.control_panel import (
    ciid_warning,
    opensesame_connection_of,
    opensesame_save,
)
from coursebridge.connectors.providers.opensesame.duplicates import DEFAULT_POLICY, policy_of
from coursebridge.connectors.providers.opensesame.provider import (
    DEFAULT_API_URL,
    DEFAULT_TOKEN_URL,
    DUPLICATE_CHOICES,
    LOGO_CHOICES,
    LOGO_OPENSESAME,
)
from coursebridge.core.errors import DomainError
from coursebridge.web.forms import GroupChoiceField, add_domain_error
from coursebridge.web.views.common import TRAINING_ADMIN, Visit, academy_page

SECRET_HELP = "Stored encrypted and never shown again; leave blank to keep the stored one."  # noqa: S105 (a help text)


def _secret(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=1000, strip=True, help_text=help_text,
                           widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))


class OpenSesameForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="OpenSesame",
                                 help_text="Yes: courses delivered to your CIID come into the academy and stay in "
                                           "sync. No: nothing is synced; the courses already here stay.")
    ciid = forms.CharField(required=False, max_length=64, label="Customer Integration ID (CIID)",
                           help_text="From your OpenSesame implementation specialist or customer success manager.")
    logo = forms.ChoiceField(choices=LOGO_CHOICES, widget=forms.RadioSelect, label="Logo display",
                             help_text="Are you displaying your organization's logo within your OpenSesame account? "
                                       "The custom option is meant for organizations who white label their academy. "
                                       "If you aren't sure, talk with your OpenSesame representative.")
    client_id = _secret("Client ID", "Custom logo only: from your OpenSesame representative. " + SECRET_HELP)
    client_secret = _secret("Client secret", "Custom logo only: from your OpenSesame representative. " + SECRET_HELP)
    webhook_secret = _secret("Webhook secret", "Signs OpenSesame's delivery notices to the address below, so "
                                               "delivered courses appear moments later. " + SECRET_HELP)
    group = GroupChoiceField(queryset=Group.objects.none(), label="Synchronized group",
                             help_text="Its catalogue and library receive the OpenSesame courses; learners of the "
                                       "group and its subgroups see them.")
    duplicate_policy = forms.ChoiceField(
        choices=DUPLICATE_CHOICES, widget=forms.RadioSelect, label="Duplicates",
        help_text="When a course added through the API is already in the academy as an uploaded OpenSesame AICC "
                  "package (same identifier). Uploading an AICC package by hand always asks.")
    sync_time = forms.TimeField(label="Daily sync time (UTC)",
                                help_text="Once a day the academy checks OpenSesame for changes and additions.",
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    api_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="API address",
                             help_text=f"Empty: OpenSesame's own, {DEFAULT_API_URL}.")
    token_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Token address",
                               help_text=f"Empty: OpenSesame's own, {DEFAULT_TOKEN_URL}.")

    def __init__(self, *args: Any, groups: QuerySet[Group], stored: dict[str, bool] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        for name in ("client_id", "client_secret", "webhook_secret"):
            if stored and stored.get(name):
                self.fields[name].widget.attrs["placeholder"] = "Stored: leave blank to keep it"

    @staticmethod
    def initial_for(connection: Connection | None) -> dict[str, Any]:
        if connection is None:
            return {"enabled": True, "logo": LOGO_OPENSESAME, "duplicate_policy": DEFAULT_POLICY,
                    "sync_time": "05:50"}
        options = connection.options or {}
        return {"enabled": connection.enabled, "ciid": options.get("ciid", ""),
                "logo": options.get("logo", LOGO_OPENSESAME), "group": connection.group_id,
                "duplicate_policy": policy_of(connection), "sync_time": connection.sync_time,
                "api_url": connection.api_url, "token_url": connection.token_url}


RENAMES = {"group_id": "group"}


def _page(request: HttpRequest, visit: Visit, form: OpenSesameForm, connection: Connection | None,
          status: int = 200) -> HttpResponse:
    warning = ""
    if connection is not None:
        warning = ciid_warning(academy=visit.academy, ciid=str((connection.options or {}).get("ciid") or ""))
    webhook = request.build_absolute_uri(reverse("api:opensesame_webhook", args=[visit.academy.slug]))
    return render(request, "connectors/opensesame/control_panel.html", {
        "academy": visit.academy, "form": form, "connection": connection, "ciid_warning": warning,
        "webhook_url": webhook,
        "runs": list(selectors.run_list(connection=connection)[:5]) if connection else [],
        "running": bool(connection and connection.lease_until and connection.lease_until > timezone.now()),
    }, status=status)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def content_providers(request: HttpRequest, visit: Visit) -> HttpResponse:
    connection = opensesame_connection_of(visit.academy)
    groups = group_tree(academy=visit.academy)
    stored = services.credentials_set(connection) if connection else None
    if request.method != "POST":
        form = OpenSesameForm(initial=OpenSesameForm.initial_for(connection), groups=groups, stored=stored)
        return _page(request, visit, form, connection)
    form = OpenSesameForm(request.POST, groups=groups, stored=stored)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = opensesame_save(
                academy=visit.academy, enabled=data["enabled"], ciid=data["ciid"], logo=data["logo"],
                group=data["group"], client_id=data["client_id"], client_secret=data["client_secret"],
                webhook_secret=data["webhook_secret"], duplicate_policy=data["duplicate_policy"],
                sync_time=data["sync_time"], api_url=data["api_url"] or "", token_url=data["token_url"] or "",
            )
        except DomainError as exc:
            add_domain_error(form, exc, RENAMES)
        else:
            messages.success(request, "OpenSesame settings saved." + (
                " Test the connection, then sync now or wait for the daily sync." if data["enabled"] else
                " OpenSesame is off: nothing is synced, the courses already here stay."))
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("web:content_providers", slug=visit.academy.slug)
    return _page(request, visit, form, opensesame_connection_of(visit.academy), status=400)
