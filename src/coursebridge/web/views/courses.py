"""Admin: courses. The list with lifecycle actions, web-link course creation, and the edit page
where a provider's fields stay read-only with the reason next to them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.selectors import group_tree
from coursebridge.catalog.exports import course_export_start
from coursebridge.catalog.models import Course, CourseStatus, PlacementKind
from coursebridge.catalog.selectors import course_get
from coursebridge.catalog.selectors import course_list as courses_of
from coursebridge.catalog.services import (
    course_archive,
    course_create,
    course_deactivate,
    course_reactivate,
    course_update,
    placement_add,
    placement_remove,
)
from coursebridge.connectors.registry import provider_get
from coursebridge.connectors.selectors import course_origin
from coursebridge.core.errors import DomainError
from coursebridge.web import selectors
from coursebridge.web.forms import AdminListForm, CourseCreateForm, CourseForm, ReasonForm, add_domain_error, ids_from
from coursebridge.web.views.common import (
    TRAINING_ADMIN,
    Visit,
    academy_page,
    is_htmx,
    not_found,
    paginate,
    render_page,
    safe_next,
)

LIFECYCLE_ACTIONS: dict[str, dict[str, Any]] = {
    "archive": {
        "service": course_archive, "label": "Archive", "done": "archived",
        "explain": "Archived courses keep their records and their label, and nobody can launch them.",
        "from": {CourseStatus.ACTIVE, CourseStatus.INACTIVE},
    },
    "deactivate": {
        "service": course_deactivate, "label": "Deactivate", "done": "deactivated",
        "explain": "Inactive courses leave the catalogue and search; learners who started can finish.",
        "from": {CourseStatus.ACTIVE},
    },
    "reactivate": {
        "service": course_reactivate, "label": "Reactivate", "done": "reactivated",
        "explain": "The course returns exactly as it was: placements, categories and tags were kept.",
        "from": {CourseStatus.INACTIVE, CourseStatus.ARCHIVED},
    },
}


def actions_for(course: Course) -> list[dict[str, str]]:
    return [{"name": name, "label": spec["label"]} for name, spec in LIFECYCLE_ACTIONS.items()
            if course.status in spec["from"]]


def _row_context(visit: Visit, course: Course) -> dict[str, Any]:
    return {"academy": visit.academy, "course": course, "actions": actions_for(course)}


@require_GET
@academy_page(TRAINING_ADMIN)
def course_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = AdminListForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q") or ""
    status = form.cleaned_data.get("status") or None
    page = paginate(request, courses_of(academy=visit.academy, status=status, query=query))
    rows = [{"course": c, "actions": actions_for(c)} for c in page.object_list]
    return render(request, "web/admin/courses.html", {
        "academy": visit.academy, "form": form, "page": page, "rows": rows, "query": query,
        "status": status or "", "statuses": CourseStatus.choices,
    })


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def course_lifecycle(request: HttpRequest, visit: Visit, course_id: int, action: str) -> HttpResponse:
    """Archive, deactivate or reactivate, always with a reason. With htmx the form opens inside
    the list row and the answer is the updated row; without, it is a page of its own."""
    spec = LIFECYCLE_ACTIONS[action]
    try:
        course = course_get(academy=visit.academy, course_id=course_id)
    except Course.DoesNotExist:
        return not_found(request)
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                spec["service"](course=course, reason=form.cleaned_data["reason"], by=visit.user)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if is_htmx(request):
                    response = render(request, "web/admin/course_row.html", _row_context(visit, course))
                    response["HX-Retarget"] = f"#course-{course.pk}"
                    response["HX-Reswap"] = "outerHTML"
                    return response
                messages.success(request, f"'{course.title}' {spec['done']}.")
                return redirect(safe_next(request, reverse("web:course_list", kwargs={"slug": visit.academy.slug})))
        status = 400
    context = {
        "academy": visit.academy, "course": course, "form": form, "action": action, "spec": spec,
        "post_url": reverse(f"web:course_{action}", kwargs={"slug": visit.academy.slug, "course_id": course.pk}),
        "next": safe_next(request, ""),
    }
    return render_page(request, "web/admin/course_lifecycle.html", context,
                       fragment="web/admin/course_lifecycle_form.html", status=status)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def course_new(request: HttpRequest, visit: Visit) -> HttpResponse:
    kwargs: dict[str, Any] = {
        "categories": selectors.local_categories(academy=visit.academy),
        "groups": group_tree(academy=visit.academy),
    }
    status = 200
    if request.method == "POST":
        form = CourseCreateForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                course = course_create(academy=visit.academy, by=visit.user, **form.service_kwargs())
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"Course '{course.title}' created.")
                return redirect("web:course_edit", slug=visit.academy.slug, course_id=course.pk)
        status = 400
    else:
        form = CourseCreateForm(**kwargs)
    return render(request, "web/admin/course_new.html", {"academy": visit.academy, "form": form}, status=status)


def _provider_label(name: str) -> str:
    try:
        return provider_get(name).label
    except DomainError:  # a provider no longer installed: its name is all there is
        return name


def _edit_page(request: HttpRequest, visit: Visit, course: Course, form: CourseForm, status: int = 200,
               placement_error: str = "") -> HttpResponse:
    origin = course_origin(academy=visit.academy, course_id=course.pk) if course.is_from_provider else None
    placed = selectors.course_placements(course=course)
    groups = [
        {"group": g, "catalogue": (g.pk, PlacementKind.CATALOGUE) in placed,
         "library": (g.pk, PlacementKind.LIBRARY) in placed}
        for g in group_tree(academy=visit.academy)
    ]
    return render(request, "web/admin/course_edit.html", {
        "academy": visit.academy,
        "course": course,
        "form": form,
        "provider_categories": [c for c in course.categories.all() if c.is_provider_owned],
        "history": selectors.course_status_history(course=course),
        "origin": origin,
        "origin_provider": _provider_label(origin.connection.provider) if origin else "",
        "groups": groups,
        "actions": actions_for(course),
        "placement_error": placement_error,
    }, status=status)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def course_edit(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    try:
        course = course_get(academy=visit.academy, course_id=course_id)
    except Course.DoesNotExist:
        return not_found(request)
    categories = selectors.local_categories(academy=visit.academy)
    initial = CourseForm.initial_for(course)
    if request.method != "POST":
        return _edit_page(request, visit, course, CourseForm(initial=initial, categories=categories, course=course))
    form = CourseForm(request.POST, initial=initial, categories=categories, course=course)
    if form.is_valid():
        changes = form.changes()
        try:
            if changes:
                course_update(course=course, changes=changes, by=visit.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Course saved." if changes else "Nothing to save: no field changed.")
            return redirect("web:course_edit", slug=visit.academy.slug, course_id=course.pk)
    course.refresh_from_db()
    return _edit_page(request, visit, course, form, status=400)


@require_POST
@academy_page(TRAINING_ADMIN)
def course_placements(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    """Catalogue and library ticks per group; what changed is added or removed."""
    try:
        course = course_get(academy=visit.academy, course_id=course_id)
    except Course.DoesNotExist:
        return not_found(request)
    groups = {g.pk: g for g in group_tree(academy=visit.academy)}
    wanted = {
        kind: ids_from(request.POST.getlist(kind)) for kind in (PlacementKind.CATALOGUE, PlacementKind.LIBRARY)
    }
    unknown = set().union(*wanted.values()) - set(groups)
    if unknown:
        form = CourseForm(initial=CourseForm.initial_for(course), course=course,
                          categories=selectors.local_categories(academy=visit.academy))
        return _edit_page(request, visit, course, form, status=400,
                          placement_error="One of the groups does not exist in this academy any more.")
    placed = selectors.course_placements(course=course)
    with transaction.atomic():
        for group_id, group in groups.items():
            for kind, ids in wanted.items():
                if group_id in ids and (group_id, kind) not in placed:
                    placement_add(course=course, group=group, kinds=[kind])
                elif group_id not in ids and (group_id, kind) in placed:
                    placement_remove(course=course, group=group, kinds=[kind])
    messages.success(request, "Placements saved.")
    return redirect("web:course_edit", slug=visit.academy.slug, course_id=course.pk)


@require_POST
@academy_page(TRAINING_ADMIN)
def course_export(request: HttpRequest, visit: Visit) -> HttpResponse:
    """Start a CSV export of the course list (with the status filter in force) as a background job;
    the page shows its progress bar, then its download link."""
    status = request.POST.get("status") or ""
    if status and status not in CourseStatus.values:
        return render_page(request, "web/admin/course_export.html", {
            "academy": visit.academy, "error": f"Unknown status '{status}'.",
        }, fragment="web/admin/_course_export_job.html", status=400)
    job = course_export_start(academy=visit.academy, by=visit.user, status=status)
    if is_htmx(request):
        return render(request, "web/admin/_course_export_job.html", {"job": job})
    return redirect("core:job-status", job_id=job.pk)
