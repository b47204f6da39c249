"""Admin: the category tree. Provider categories are listed with their provider and stay as they are."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.catalog.selectors import category_tree
from coursebridge.catalog.services import category_create, category_delete, category_rename
from coursebridge.core.errors import DomainError
from coursebridge.web import selectors
from coursebridge.web.forms import CategoryCreateForm, NameForm, add_domain_error
from coursebridge.web.views.common import TRAINING_ADMIN, Visit, academy_page, not_found


def _tree_page(request: HttpRequest, visit: Visit, *, create_form: CategoryCreateForm | None = None,
               failed: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "web/admin/categories.html", {
        "academy": visit.academy,
        "tree": category_tree(academy=visit.academy),
        "create_form": create_form or CategoryCreateForm(parents=selectors.local_categories(academy=visit.academy)),
        "failed": failed or {},
    }, status=status)


@require_GET
@academy_page(TRAINING_ADMIN)
def category_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    return _tree_page(request, visit)


@require_POST
@academy_page(TRAINING_ADMIN)
def category_new(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = CategoryCreateForm(request.POST, parents=selectors.local_categories(academy=visit.academy))
    if form.is_valid():
        try:
            category = category_create(academy=visit.academy, name=form.cleaned_data["name"],
                                       parent=form.cleaned_data["parent"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Category '{category.name}' created.")
            return redirect("web:category_list", slug=visit.academy.slug)
    return _tree_page(request, visit, create_form=form, status=400)


@require_POST
@academy_page(TRAINING_ADMIN)
def category_rename_view(request: HttpRequest, visit: Visit, category_id: int) -> HttpResponse:
    category = selectors.category_in_academy(academy=visit.academy, category_id=category_id)
    if category is None:
        return not_found(request)
    form = NameForm(request.POST)
    message = "A category needs a name."
    if form.is_valid():
        try:
            category_rename(category=category, name=form.cleaned_data["name"])
        except DomainError as exc:
            message = exc.message
        else:
            messages.success(request, f"Category renamed to '{category.name}'.")
            return redirect("web:category_list", slug=visit.academy.slug)
    return _tree_page(request, visit, failed={"category_id": category.pk, "message": message,
                                              "value": request.POST.get("name", "")}, status=400)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def category_delete_view(request: HttpRequest, visit: Visit, category_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    category = selectors.category_in_academy(academy=visit.academy, category_id=category_id)
    if category is None:
        return not_found(request)
    error = ""
    if request.method == "POST":
        name = category.name
        try:
            category_delete(category=category)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"Category '{name}' deleted.")
            return redirect("web:category_list", slug=visit.academy.slug)
    elif category.is_provider_owned:
        error = f"'{category.name}' comes from {category.provider}, which manages it: it cannot be deleted here."
    return render(request, "web/admin/confirm_delete.html", {
        "academy": visit.academy,
        "kind": "category",
        "name": category.name,
        "consequence": "Courses keep existing; they simply lose this category.",
        "error": error,
        "cancel_url": reverse("web:category_list", kwargs={"slug": visit.academy.slug}),
    }, status=400 if error and request.method == "POST" else 200)
