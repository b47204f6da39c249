"""Admin: the group tree. Group admins see and change only their own subtrees."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.selectors import administered_group_paths
from coursebridge.accounts.services import group_create, group_delete, group_rename
from coursebridge.core.errors import DomainError
from coursebridge.web import selectors
from coursebridge.web.forms import NameForm
from coursebridge.web.views.common import ADMIN, Visit, academy_page, not_found


def _tree_page(request: HttpRequest, visit: Visit, *, failed: dict[str, Any] | None = None) -> HttpResponse:
    groups = selectors.group_tree_with_counts(academy=visit.academy, actor=visit.user)
    top = min((g.depth for g in groups), default=0)
    own_roots = set(administered_group_paths(user=visit.user, academy=visit.academy))
    rows = [
        {
            "group": g,
            "indent": g.depth - top,
            # A group admin's own group stays: deleting it would remove their own role with it.
            "may_delete": g.parent_id is not None and g.path not in own_roots,
        }
        for g in groups
    ]
    return render(request, "web/admin/groups.html", {
        "academy": visit.academy, "rows": rows, "failed": failed or {},
    }, status=400 if failed else 200)


@require_GET
@academy_page(ADMIN)
def group_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    return _tree_page(request, visit)


@require_POST
@academy_page(ADMIN)
def group_add_child(request: HttpRequest, visit: Visit, group_id: int) -> HttpResponse:
    parent = selectors.administered_group(academy=visit.academy, actor=visit.user, group_id=group_id)
    if parent is None:
        return not_found(request)
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            child = group_create(parent=parent, name=form.cleaned_data["name"])
        except DomainError as exc:
            return _tree_page(request, visit, failed={"group_id": parent.pk, "action": "add", "message": exc.message,
                                                      "value": form.cleaned_data["name"]})
        messages.success(request, f"Group '{child.name}' created under '{parent.name}'.")
        return redirect("web:group_list", slug=visit.academy.slug)
    return _tree_page(request, visit, failed={"group_id": parent.pk, "action": "add",
                                              "message": "A group needs a name.", "value": ""})


@require_POST
@academy_page(ADMIN)
def group_rename_view(request: HttpRequest, visit: Visit, group_id: int) -> HttpResponse:
    group = selectors.administered_group(academy=visit.academy, actor=visit.user, group_id=group_id)
    if group is None:
        return not_found(request)
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            group_rename(group=group, name=form.cleaned_data["name"])
        except DomainError as exc:
            return _tree_page(request, visit, failed={"group_id": group.pk, "action": "rename",
                                                      "message": exc.message, "value": form.cleaned_data["name"]})
        messages.success(request, f"Group renamed to '{group.name}'.")
        return redirect("web:group_list", slug=visit.academy.slug)
    return _tree_page(request, visit, failed={"group_id": group.pk, "action": "rename",
                                              "message": "A group needs a name.", "value": ""})


@require_http_methods(["GET", "POST"])
@academy_page(ADMIN)
def group_delete_view(request: HttpRequest, visit: Visit, group_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    group = selectors.administered_group(academy=visit.academy, actor=visit.user, group_id=group_id)
    if group is None:
        return not_found(request)
    error = ""
    if group.path in administered_group_paths(user=visit.user, academy=visit.academy):
        error = "You administer this group: ask a training administrator to delete it."
    elif request.method == "POST":
        name = group.name
        try:
            group_delete(group=group)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"Group '{name}' deleted.")
            return redirect("web:group_list", slug=visit.academy.slug)
    return render(request, "web/admin/confirm_delete.html", {
        "academy": visit.academy,
        "kind": "group",
        "name": group.name,
        "consequence": "Its memberships and its catalogue and library placements are deleted with it.",
        "error": error,
        "cancel_url": reverse("web:group_list", kwargs={"slug": visit.academy.slug}),
    }, status=400 if error and request.method == "POST" else 200)

