"""The admin's view of one learner's attempt at a package course: the attempt's progress, and per
unit what the content recorded, raw tracking data included."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coursebridge.content.attempts import attempt_for_admin, attempt_units
from coursebridge.web.views.common import ADMIN, Visit, academy_page, not_found


@require_GET
@academy_page(ADMIN)
def attempt_detail(request: HttpRequest, visit: Visit, attempt_id: int) -> HttpResponse:
    attempt = attempt_for_admin(academy=visit.academy, actor=visit.user, attempt_id=attempt_id)
    if attempt is None:
        return not_found(request)
    return render(request, "content/attempt_detail.html", {
        "academy": visit.academy,
        "attempt": attempt,
        "learner": attempt.enrollment.user,
        "course": attempt.enrollment.course,
        "units": attempt_units(attempt=attempt),
    })
