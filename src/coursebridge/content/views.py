"""The learner's player for package courses, the package files it plays, and the SCORM runtime's
commit endpoint.

- player: the course title, the table of contents of the current package (each unit's status in this
  attempt), previous/next for multi-unit packages, and a frame that opens the chosen unit (by default
  the first one not finished) through unit_launch. For a SCORM SCO the page also carries the runtime
  API (window.API for 1.2, window.API_1484_11 for 2004) and its initial values; the SCO, served from
  this origin, finds it in its parent window.
- unit_launch: checks the course again (an archived course is refused), then redirects to the unit:
  an AICC AU to its address with aicc_sid and aicc_url, a SCORM unit to its package file.
- package_file: a file of an imported package, to users of the academy with an attempt at the course
  and to its administrators; anyone else gets 404.
- scorm_commit: the runtime's commits (JSON), answered in JSON; scorm_state: the initial values again,
  when the content initializes.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.core.exceptions import RequestDataTooBig, SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from pydantic import ValidationError

from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import academy_for_user, can_administer
from coursebridge.catalog.models import Course, CourseStatus
from coursebridge.content.aicc_runtime import aicc_launch_url
from coursebridge.content.models import Package, PackageFormat, Unit, UnitState
from coursebridge.content.scorm_runtime import (
    SCORM_FORMATS,
    CommitPayload,
    RuntimeGrant,
    RuntimePost,
    StateRequest,
    runtime_initial,
    runtime_token,
    runtime_token_read,
    scorm_commit,
)
from coursebridge.content.selectors import package_current, package_units
from coursebridge.content.tracking import FINISHED, unit_state_for, unit_state_record
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Attempt
from coursebridge.learning.services import launch_refusal
from coursebridge.web.views.common import Visit, academy_page, int_or_none, not_found

STATUS_LABELS = {
    "not attempted": "Not started", "browsed": "Browsed", "incomplete": "In progress", "completed": "Completed",
    "passed": "Passed", "failed": "Failed",
}
# Content types the platform's MIME table may lack or get wrong; the rest come from mimetypes.
CONTENT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
    ".css": "text/css", ".json": "application/json", ".xml": "application/xml", ".svg": "image/svg+xml",
    ".woff": "font/woff", ".woff2": "font/woff2", ".mp4": "video/mp4", ".webm": "video/webm",
    ".mp3": "audio/mpeg", ".wasm": "application/wasm", ".swf": "application/x-shockwave-flash",
}


def _learner_attempt(*, academy: Academy, user: User, attempt_id: int) -> Attempt | None:
    """The attempt if it is the user's own, in this academy (anyone else's is not found)."""
    return (
        Attempt.objects.filter(academy=academy, pk=attempt_id, enrollment__user=user)
        .select_related("enrollment__course")
        .first()
    )


def _refused_if_archived(
    request: HttpRequest, academy: Academy, course: Course, attempt: Attempt
) -> HttpResponse | None:
    """The launch gate decided at START; a course archived since then is refused at every unit launch."""
    if course.status != CourseStatus.ARCHIVED:
        return None
    message = launch_refusal(course=course, enrollment=attempt.enrollment) or ""
    return _refusal(request, academy, course, message)


def _refusal(request: HttpRequest, academy: Academy, course: Course, message: str) -> HttpResponse:
    return render(request, "web/launch_refused.html", {"academy": academy, "course": course, "message": message},
                  status=403)


def _status_of(state: UnitState | None) -> str:
    """A unit's status for the table of contents; SCORM 2004's success decides first."""
    if state is None:
        return "not attempted"
    if state.success_status in {"passed", "failed"}:
        return state.success_status
    return state.lesson_status


@dataclass(frozen=True)
class TocRow:
    unit: Unit
    status: str
    url: str
    is_current: bool

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.capitalize())


@require_GET
@academy_page()
def player(request: HttpRequest, visit: Visit, attempt_id: int) -> HttpResponse:
    attempt = _learner_attempt(academy=visit.academy, user=visit.user, attempt_id=attempt_id)
    if attempt is None:
        return not_found(request)
    course = attempt.enrollment.course
    refused = _refused_if_archived(request, visit.academy, course, attempt)
    if refused is not None:
        return refused
    package = package_current(course=course)
    units = list(package_units(package=package)) if package is not None else []
    if package is None or not units:
        return _refusal(request, visit.academy, course,
                        f"'{course.title}' has no package to play yet. Ask an administrator to import one.")
    states = {s.unit_id: s for s in UnitState.objects.filter(attempt=attempt, unit__in=units)}
    wanted = request.GET.get("unit")
    if wanted is not None:
        current = next((u for u in units if u.pk == int_or_none(wanted)), None)
        if current is None:
            return not_found(request)
    else:
        current = next((u for u in units if _status_of(states.get(u.pk)) not in FINISHED), units[0])
    index = units.index(current)
    play_url = reverse("web:player", args=[visit.academy.slug, attempt.pk])
    rows = [
        TocRow(unit=u, status=_status_of(states.get(u.pk)), url=f"{play_url}?unit={u.pk}", is_current=u is current)
        for u in units
    ]
    runtime = None
    if package.format in SCORM_FORMATS and current.is_sco and not current.is_remote:
        state = states.get(current.pk) or unit_state_for(attempt=attempt, unit_id=current.pk)
        state.unit = current
        _, token = runtime_token(state=state, user=visit.user)
        runtime = {
            "version": "1.2" if package.format == PackageFormat.SCORM12 else "2004",
            "commitUrl": reverse("web:scorm_commit", args=[visit.academy.slug, attempt.pk, current.pk]),
            "stateUrl": reverse("web:scorm_state", args=[visit.academy.slug, attempt.pk, current.pk]),
            "token": token,
            "unitId": current.pk,
            "initial": runtime_initial(state=state, unit=current, user=visit.user),
        }
    response = render(request, "content/player.html", {
        "academy": visit.academy,
        "course": course,
        "attempt": attempt,
        "package": package,
        "rows": rows,
        "current": rows[index],
        "previous": rows[index - 1] if index > 0 else None,
        "next": rows[index + 1] if index + 1 < len(rows) else None,
        "frame_src": reverse("web:unit_launch", args=[visit.academy.slug, attempt.pk, current.pk]),
        "is_aicc": package.format == PackageFormat.AICC,
        "runtime": runtime,
    })
    # The page holds a launch token: never cached, never framed by another site.
    response["Cache-Control"] = "no-store"
    return response


def _join_launch(base: str, launch: str, parameters: str) -> str:
    """`base` (the unit's file URL or remote address, without query) with the launch's own query and
    fragment and the manifest's item parameters ("?a=1", "a=1" or "#part") merged in."""
    path_and_query, _, fragment = launch.partition("#")
    _, _, query = path_and_query.partition("?")
    extra = parameters.strip()
    if extra.startswith("#"):
        fragment = fragment or extra[1:]
        extra = ""
    extra, _, extra_fragment = extra.lstrip("?&").partition("#")
    fragment = fragment or extra_fragment
    joined = "&".join(part for part in (query, extra) if part)
    return base + (f"?{joined}" if joined else "") + (f"#{fragment}" if fragment else "")


def package_file_url(*, academy: Academy, package: Package, path: str) -> str:
    return reverse("web:package_file", args=[academy.slug, package.pk, path])


def _scorm_launch_url(academy: Academy, package: Package, unit: Unit) -> str:
    path = unit.launch.partition("#")[0].partition("?")[0]
    if unit.is_remote:
        base = path
    else:
        base = package_file_url(academy=academy, package=package, path=path.lstrip("/"))
    return _join_launch(base, unit.launch, unit.parameters)


def _redirect_out(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect to a unit's address: our own path, or an http(s) address of a remote AU."""
    if urlsplit(url).scheme not in {"", "http", "https"}:
        return not_found(request)
    return HttpResponseRedirect(url)


@require_GET
@academy_page()
def unit_launch(request: HttpRequest, visit: Visit, attempt_id: int, unit_id: int) -> HttpResponse:
    attempt = _learner_attempt(academy=visit.academy, user=visit.user, attempt_id=attempt_id)
    if attempt is None:
        return not_found(request)
    course = attempt.enrollment.course
    refused = _refused_if_archived(request, visit.academy, course, attempt)
    if refused is not None:
        return refused
    package = package_current(course=course)
    unit = Unit.objects.filter(package=package, pk=unit_id).first() if package is not None else None
    if package is None or unit is None:
        return not_found(request)
    if package.format == PackageFormat.AICC:
        state = unit_state_for(attempt=attempt, unit_id=unit.pk)
        return _redirect_out(request, aicc_launch_url(request=request, state=state))
    if unit.is_sco and request.headers.get("Sec-Fetch-Dest") == "document":
        # A SCO opened on its own would not find the runtime API: it plays inside the player.
        return HttpResponseRedirect(reverse("web:player", args=[visit.academy.slug, attempt.pk]) + f"?unit={unit.pk}")
    if not unit.is_sco:
        # An asset never talks to the runtime: opening it is all it asks.
        state = unit_state_for(attempt=attempt, unit_id=unit.pk)
        unit_state_record(state_id=state.pk, lesson_status="completed", new_session=True)
    return _redirect_out(request, _scorm_launch_url(visit.academy, package, unit))


def clean_package_path(path: str) -> str | None:
    """The path inside a package, normalised; None when it is empty, absolute or leaves the package."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    if ".." in path.split("/"):
        return None
    normal = posixpath.normpath(path)
    if normal in {".", ""} or normal.startswith(("../", "/")) or normal == "..":
        return None
    return normal


def _content_type(path: str) -> str:
    extension = posixpath.splitext(path)[1].lower()
    return CONTENT_TYPES.get(extension) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _may_read_package(academy: Academy, user: User, package: Package) -> bool:
    if can_administer(user=user, academy=academy):
        return True
    return Attempt.objects.filter(academy=academy, enrollment__course_id=package.course_id,
                                  enrollment__user=user).exists()


@require_safe
@academy_page()
def package_file(request: HttpRequest, visit: Visit, package_id: int, path: str) -> HttpResponse:
    package = Package.objects.filter(academy=visit.academy, pk=package_id).first()
    clean = clean_package_path(path)
    if package is None or not package.storage_prefix or clean is None:
        return not_found(request)
    if not _may_read_package(visit.academy, visit.user, package):
        return not_found(request)
    name = f"{package.storage_prefix.rstrip('/')}/{clean}"
    try:
        handle = default_storage.open(name, "rb")
    except (OSError, SuspiciousFileOperation):  # missing, a folder, or outside the storage
        return not_found(request)
    response = FileResponse(handle, content_type=_content_type(clean))
    response["X-Content-Type-Options"] = "nosniff"
    # Played inside the player's frame, on this site only.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    # A package version's files never change (a new version gets a new folder).
    response["Cache-Control"] = "private, max-age=3600"
    return cast(HttpResponse, response)  # streamed: academy_page's type names plain responses only


def _json_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": field}}, status=status)


def _first_error_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    if not errors:
        return None
    return ".".join(str(part) for part in errors[0]["loc"]) or None


# The runtime posts from the player page with fetch, and on page unload with navigator.sendBeacon,
# which cannot send Django's CSRF header. Instead of the CSRF middleware, every post must carry the
# per-launch token the player page embedded: signed by the server, bound to this unit state, this
# runtime session and this user, and readable only by a page of this origin. A forged cross-site POST
# has the learner's cookie but not the token, so it is refused; the session cookie is still required
# (the token alone does not sign anyone in).

Schema = TypeVar("Schema", bound=RuntimePost)


def _runtime_call(
    request: HttpRequest, slug: str, attempt_id: int, unit_id: int, schema: type[Schema]
) -> tuple[User, UnitState, RuntimeGrant, Schema] | JsonResponse:
    """The learner, unit state, token grant and validated body of a runtime post, or the JSON error."""
    if not request.user.is_authenticated:
        return _json_error(401, "unauthenticated", "Your session has ended. Sign in again, then reload the player.")
    user = cast(User, request.user)
    academy = academy_for_user(user=user, slug=slug)
    attempt = _learner_attempt(academy=academy, user=user, attempt_id=attempt_id) if academy else None
    state = UnitState.objects.filter(attempt=attempt, unit_id=unit_id).first() if attempt else None
    if state is None:
        return _json_error(404, "not_found", "There is nothing at this address.")
    try:
        body: Any = json.loads(request.body)
    except RequestDataTooBig:
        return _json_error(413, "too_large", "The commit is larger than the server accepts.")
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, "malformed_json", "The commit is not valid JSON.")
    try:
        payload = schema.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]["msg"] if exc.errors() else "invalid"
        return _json_error(400, "validation_error", f"The commit is not valid: {first}.", _first_error_field(exc))
    try:
        grant = runtime_token_read(payload.token)
    except DomainError as exc:
        return _json_error(exc.status, exc.code, exc.message, exc.field)
    if grant.state_id != state.pk or grant.user_id != user.pk:
        return _json_error(403, "forbidden", "The launch token belongs to another unit. Reload the page.", "token")
    return user, state, grant, payload


@csrf_exempt
@require_POST
def scorm_commit_view(request: HttpRequest, slug: str, attempt_id: int, unit_id: int) -> HttpResponse:
    call = _runtime_call(request, slug, attempt_id, unit_id, CommitPayload)
    if isinstance(call, JsonResponse):
        return call
    _, state, grant, payload = call
    try:
        result = scorm_commit(state_id=state.pk, session_id=grant.session_id, seq=payload.seq,
                              elements=payload.elements, terminated=payload.terminated)
    except DomainError as exc:
        return _json_error(exc.status, exc.code, exc.message, exc.field)
    saved = result.state
    attempt = Attempt.objects.get(pk=state.attempt_id)
    return JsonResponse({
        "applied": result.applied,
        "seq": result.seq,
        "unit": {
            "id": unit_id,
            "status": _status_of(saved),
            "label": STATUS_LABELS.get(_status_of(saved), _status_of(saved)),
            "progress": saved.progress,
            "total_time_seconds": saved.total_time_seconds,
        },
        "attempt": {
            "status": attempt.status,
            "progress": attempt.progress,
            "score": float(attempt.score) if attempt.score is not None else None,
            "time_spent_seconds": attempt.time_spent_seconds,
        },
    })


@csrf_exempt
@require_POST
def scorm_state_view(request: HttpRequest, slug: str, attempt_id: int, unit_id: int) -> HttpResponse:
    """The runtime's initial values as they are now. The API asks at Initialize: after a reload, the
    page may have been rendered before the previous page's last commit arrived."""
    call = _runtime_call(request, slug, attempt_id, unit_id, StateRequest)
    if isinstance(call, JsonResponse):
        return call
    user, state, _, _ = call
    unit = Unit.objects.select_related("package").get(pk=state.unit_id)
    return JsonResponse({"initial": runtime_initial(state=state, unit=unit, user=user)})
