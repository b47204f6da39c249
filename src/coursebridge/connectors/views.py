"""Admin pages of the connections: the list, the form (write-only credentials), Test connection
saying exactly what failed, Sync now with a progress bar, the run history and the statistics kept
aside. Training admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.selectors import group_tree
from coursebridge.connectors import selectors, services
from coursebridge.connectors.forms import ConnectionForm
from coursebridge.connectors.models import Connection, RunTrigger
from coursebridge.connectors.registry import PROVIDERS, provider_get
from coursebridge.core.errors import DomainError
from coursebridge.core.models import Job
from coursebridge.web.forms import add_domain_error
from coursebridge.web.views.common import TRAINING_ADMIN, Visit, academy_page, is_htmx, not_found, paginate, render_page

RENAMES = {"group_id": "group"}


def _connection(visit: Visit, connection_id: int) -> Connection | None:
    try:
        return selectors.connection_get(academy=visit.academy, connection_id=connection_id)
    except Connection.DoesNotExist:
        return None


@require_GET
@academy_page(TRAINING_ADMIN)
def connection_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    connections = list(selectors.connection_list(academy=visit.academy))
    rows = [{"connection": c, "label": provider_get(c.provider).label, "last_run": selectors.last_run(connection=c),
             "running": bool(c.lease_until and c.lease_until > timezone.now())} for c in connections]
    taken = {c.provider for c in connections}
    available = [p for name, p in sorted(PROVIDERS.items()) if name not in taken]
    return render(request, "connectors/connection_list.html", {
        "academy": visit.academy, "rows": rows, "available": available,
    })


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def connection_new(request: HttpRequest, visit: Visit) -> HttpResponse:
    name = request.POST.get("provider") or request.GET.get("provider") or ""
    if name not in PROVIDERS:
        name = next(iter(sorted(PROVIDERS)), "")
    provider = provider_get(name)
    groups = group_tree(academy=visit.academy)
    status = 200
    if request.method == "POST":
        form = ConnectionForm(request.POST, provider=provider, groups=groups)
        if form.is_valid():
            try:
                connection = services.connection_create(
                    academy=visit.academy, provider=provider.name, group=form.cleaned_data["group"],
                    credentials=form.credentials(), api_url=form.cleaned_data["api_url"] or "",
                    token_url=form.cleaned_data["token_url"] or "", sync_time=form.cleaned_data["sync_time"],
                    enabled=form.cleaned_data["enabled"],
                )
            except DomainError as exc:
                add_domain_error(form, exc, RENAMES)
            else:
                messages.success(request, f"{provider.label} is connected. Test the connection, then sync now "
                                          "or wait for the daily sync.")
                return redirect("web:connection_edit", slug=visit.academy.slug, connection_id=connection.pk)
        status = 400
    else:
        form = ConnectionForm(provider=provider, groups=groups, initial={"sync_time": "05:50", "enabled": True})
    return render(request, "connectors/connection_form.html", {
        "academy": visit.academy, "form": form, "provider": provider, "connection": None,
    }, status=status)


def _detail(request: HttpRequest, visit: Visit, connection: Connection, form: ConnectionForm,
            status: int = 200) -> HttpResponse:
    return render(request, "connectors/connection_form.html", {
        "academy": visit.academy, "form": form, "provider": provider_get(connection.provider),
        "connection": connection, "runs": list(selectors.run_list(connection=connection)[:10]),
        "unmatched_count": selectors.unmatched_list(connection=connection).count(),
        "running": bool(connection.lease_until and connection.lease_until > timezone.now()),
    }, status=status)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def connection_edit(request: HttpRequest, visit: Visit, connection_id: int) -> HttpResponse:
    connection = _connection(visit, connection_id)
    if connection is None:
        return not_found(request)
    provider = provider_get(connection.provider)
    kwargs: dict[str, Any] = {"provider": provider, "groups": group_tree(academy=visit.academy),
                              "connection": connection, "stored": services.credentials_set(connection)}
    if request.method != "POST":
        return _detail(request, visit, connection, ConnectionForm(initial=ConnectionForm.initial_for(connection),
                                                                  **kwargs))
    form = ConnectionForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            services.connection_update(connection=connection, changes={
                "group": form.cleaned_data["group"], "credentials": form.credentials(),
                "api_url": form.cleaned_data["api_url"] or "", "token_url": form.cleaned_data["token_url"] or "",
                "sync_time": form.cleaned_data["sync_time"], "enabled": form.cleaned_data["enabled"],
            })
        except DomainError as exc:
            add_domain_error(form, exc, RENAMES)
        else:
            messages.success(request, "Connection saved.")
            return redirect("web:connection_edit", slug=visit.academy.slug, connection_id=connection.pk)
    connection.refresh_from_db()
    return _detail(request, visit, connection, form, status=400)


@require_POST
@academy_page(TRAINING_ADMIN)
def connection_test(request: HttpRequest, visit: Visit, connection_id: int) -> HttpResponse:
    connection = _connection(visit, connection_id)
    if connection is None:
        return not_found(request)
    try:
        context = {"ok": True, "message": services.connection_test(connection=connection)}
    except DomainError as exc:
        context = {"ok": False, "message": exc.message}
    if is_htmx(request):
        return render(request, "connectors/_test_result.html", context)
    (messages.success if context["ok"] else messages.error)(request, str(context["message"]))
    return redirect("web:connection_edit", slug=visit.academy.slug, connection_id=connection.pk)


@require_POST
@academy_page(TRAINING_ADMIN)
def connection_sync(request: HttpRequest, visit: Visit, connection_id: int) -> HttpResponse:
    connection = _connection(visit, connection_id)
    if connection is None:
        return not_found(request)
    job: Job | None = None
    error = ""
    try:
        job = services.sync_start(connection=connection, trigger=RunTrigger.MANUAL,
                                  full=request.POST.get("full") == "1", by=visit.user)
    except DomainError as exc:
        error = exc.message
    if is_htmx(request):
        return render(request, "connectors/_sync_job.html", {"job": job, "error": error, "academy": visit.academy,
                                                             "connection": connection})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Sync started: the run history shows it when it ends.")
    return redirect("web:connection_edit", slug=visit.academy.slug, connection_id=connection.pk)


@require_GET
@academy_page(TRAINING_ADMIN)
def connection_runs(request: HttpRequest, visit: Visit, connection_id: int) -> HttpResponse:
    connection = _connection(visit, connection_id)
    if connection is None:
        return not_found(request)
    page = paginate(request, selectors.run_list(connection=connection))
    return render_page(request, "connectors/connection_runs.html", {
        "academy": visit.academy, "connection": connection, "provider": provider_get(connection.provider),
        "page": page, "record_errors": list(selectors.record_errors(connection=connection)[:50]),
    })


@require_GET
@academy_page(TRAINING_ADMIN)
def connection_unmatched(request: HttpRequest, visit: Visit, connection_id: int) -> HttpResponse:
    connection = _connection(visit, connection_id)
    if connection is None:
        return not_found(request)
    page = paginate(request, selectors.unmatched_list(connection=connection))
    return render(request, "connectors/connection_unmatched.html", {
        "academy": visit.academy, "connection": connection, "provider": provider_get(connection.provider),
        "page": page,
    })


