"""The learner's pages: catalogue with live search, course presentation, START, transcript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from coursebridge.accounts.selectors import learner_visible_group_ids
from coursebridge.catalog.models import CourseKind
from coursebridge.catalog.selectors import catalogue_search, category_tree
from coursebridge.content.selectors import course_units_for_learner
from coursebridge.core.errors import DomainError, LaunchRefused
from coursebridge.learning.selectors import transcript as transcript_of
from coursebridge.learning.services import launch_course
from coursebridge.records.selectors import credits_by_course
from coursebridge.web import selectors
from coursebridge.web.forms import CatalogueSearchForm
from coursebridge.web.views.common import Visit, academy_page, not_found, refused, render_page

CATALOGUE_PAGE_SIZE = 20


@require_GET
@academy_page()
def academy_home(request: HttpRequest, visit: Visit) -> HttpResponse:
    return redirect("web:catalogue", slug=visit.academy.slug)


@require_GET
@academy_page()
def catalogue(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = CatalogueSearchForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q") or ""
    category_id = form.cleaned_data.get("category")
    page_number = form.cleaned_data.get("page") or 1
    tree = category_tree(academy=visit.academy)
    if category_id is not None and category_id not in {c.pk for c, _ in tree}:
        category_id = None
    result = catalogue_search(
        academy=visit.academy, user=visit.user, query=query, category_id=category_id,
        limit=CATALOGUE_PAGE_SIZE, offset=(page_number - 1) * CATALOGUE_PAGE_SIZE,
    )
    context = {
        "academy": visit.academy,
        "query": query,
        "category_id": category_id,
        "category_name": next((c.name for c, _ in tree if c.pk == category_id), ""),
        "tree": tree,
        "result": result,
        "page_number": page_number,
        "first_shown": result.offset + 1 if result.courses else 0,
        "last_shown": result.offset + len(result.courses),
        "has_groups": bool(learner_visible_group_ids(user=visit.user, academy=visit.academy)),
    }
    return render_page(request, "web/catalogue.html", context, fragment="web/catalogue_results.html")


@require_GET
@academy_page()
def course_detail(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    course = selectors.course_for_presentation(academy=visit.academy, user=visit.user, course_id=course_id)
    if course is None:
        return not_found(request)
    enrollment = selectors.catalogue_enrollment(user=visit.user, course=course)
    categories = list(course.categories.all())
    return render(request, "web/course_detail.html", {
        "academy": visit.academy,
        "course": course,
        "enrollment": enrollment,
        "categories": categories,
        "tags": list(course.tags.all()),
        "blocked_reason": selectors.start_blocked_reason(course=course, enrollment=enrollment),
        "units": course_units_for_learner(course=course, user=visit.user) if course.kind == CourseKind.PACKAGE else [],
    })


@require_POST
@academy_page()
def course_start(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    """START: the launch gate decides; the browser goes where it says."""
    course = selectors.course_for_presentation(academy=visit.academy, user=visit.user, course_id=course_id)
    if course is None:
        return not_found(request)
    try:
        launch = launch_course(user=visit.user, course=course)
    except LaunchRefused as exc:
        return render(request, "web/launch_refused.html", {
            "academy": visit.academy, "course": course, "message": exc.message,
        }, status=403)
    except DomainError as exc:
        return refused(request, exc)
    return HttpResponseRedirect(launch.url)


@require_GET
@academy_page()
def transcript(request: HttpRequest, visit: Visit) -> HttpResponse:
    enrollments = list(transcript_of(academy=visit.academy, user=visit.user))
    credits = credits_by_course(academy=visit.academy, user_id=visit.user.pk)
    return render(request, "web/transcript.html", {
        "academy": visit.academy,
        "enrollments": enrollments,
        "rows": [(e, credits.get(e.course_id, [])) for e in enrollments],
        "catalogue_url": reverse("web:catalogue", kwargs={"slug": visit.academy.slug}),
    })
