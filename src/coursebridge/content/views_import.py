"""Admin: import a package from the browser.

The upload posts the file with its group; a small script sends it with XMLHttpRequest to draw the
upload's progress (without JavaScript it is a plain form post). When the academy already has the
package, the page asks what to do, naming the course; the uploaded file waits on the server under
a random token kept in the admin's session, so the answer does not upload it again. It is removed
once answered, when another upload replaces it, or after a day.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from coursebridge.accounts.models import Group
from coursebridge.accounts.selectors import group_tree
from coursebridge.catalog.models import Course
from coursebridge.content.services import (
    DUPLICATE_CHOICES,
    DuplicatePackage,
    ImportResult,
    package_import,
)
from coursebridge.core.errors import DomainError
from coursebridge.web.forms import GroupChoiceField, add_domain_error
from coursebridge.web.views.common import TRAINING_ADMIN, Visit, academy_page

SESSION_KEY = "content_pending_imports"
PENDING_LIFETIME_SECONDS = 24 * 3600
CHUNK_SIZE = 1024 * 1024
CHOICE_LABELS = {
    "skip": "Skip: keep the course as it is",
    "replace": "Replace it with a new version",
    "copy": "Keep both: import a copy",
}


class PackageImportForm(forms.Form):
    file = forms.FileField(
        label="Package", help_text="A zip file: AICC (.crs, .au, .des, .cst) or SCORM 1.2 / 2004 (imsmanifest.xml).",
        error_messages={"required": "Choose the package file to upload."},
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    group = GroupChoiceField(
        queryset=Group.objects.none(), required=False, empty_label="No group: place it later",
        help_text="The course goes into this group's catalogue and library.",
    )

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    token = forms.CharField(max_length=64)
    choice = forms.ChoiceField(choices=[(c, CHOICE_LABELS[c]) for c in DUPLICATE_CHOICES])


# --- Uploads waiting for an answer ------------------------------------------------------------------


def pending_dir() -> Path:
    path = Path(settings.VAR_DIR) / "pending-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pending_path(token: str) -> Path:
    return pending_dir() / f"{token}.zip"


def _sweep_stale() -> None:
    cutoff = time.time() - PENDING_LIFETIME_SECONDS
    for leftover in pending_dir().glob("*.zip"):
        if leftover.stat().st_mtime < cutoff:
            leftover.unlink(missing_ok=True)


def _keep_pending(request: HttpRequest, visit: Visit, upload: UploadedFile, group: Group | None) -> str:
    """Copy the upload (in chunks) where it waits for the answer; the session remembers it. A former
    upload of this session still waiting is dropped: one question at a time."""
    _forget_all(request)
    _sweep_stale()
    token = secrets.token_urlsafe(24)
    with _pending_path(token).open("wb") as target:
        upload.seek(0)
        for chunk in upload.chunks(CHUNK_SIZE):
            target.write(chunk)
    request.session[SESSION_KEY] = {
        token: {"academy": visit.academy.pk, "filename": upload.name or "package.zip",
                "group": group.pk if group else None},
    }
    return token


def _pending(request: HttpRequest, visit: Visit, token: str) -> dict[str, Any] | None:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("academy") != visit.academy.pk or not _pending_path(token).is_file():
        return None
    return dict(entry)


def _forget_all(request: HttpRequest) -> None:
    for token in request.session.get(SESSION_KEY, {}):
        _pending_path(token).unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


# --- Pages ------------------------------------------------------------------------------------------


def _wants_fragment(request: HttpRequest) -> bool:
    """The page's script posted the upload and swaps the answer into the page itself."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _answer(request: HttpRequest, visit: Visit, template: str, context: dict[str, Any], status: int = 200
            ) -> HttpResponse:
    context = {"academy": visit.academy, "card": template, **context}
    if _wants_fragment(request):
        return render(request, template, context, status=status)
    return render(request, "content/import.html", context, status=status)


def _done(request: HttpRequest, visit: Visit, result: ImportResult) -> HttpResponse:
    course, package = result.course, result.package
    text = {
        "created": f"'{course.title}' imported with {package.units.count()} unit(s). Check its details and "
                   "placements below.",
        "replaced": f"'{course.title}' now launches version {package.version} of its package. Attempts made "
                    "with earlier versions keep their records.",
        "copied": f"Imported as a separate course: '{course.title}'.",
        "skipped": f"Skipped: '{course.title}' keeps its package. Nothing changed.",
    }[result.outcome]
    messages.success(request, text)
    for warning in package.warnings if result.outcome != "skipped" else []:
        messages.warning(request, f"Note from the package check: {warning}")
    target = reverse("web:course_edit", kwargs={"slug": visit.academy.slug, "course_id": course.pk})
    if _wants_fragment(request):
        return JsonResponse({"redirect": target})
    return redirect(target)


def _question(request: HttpRequest, visit: Visit, token: str, filename: str, existing: Course,
              message: str) -> HttpResponse:
    return _answer(request, visit, "content/import_question.html", {
        "token": token, "filename": filename, "existing": existing, "message": message,
        "choices": [(c, CHOICE_LABELS[c]) for c in DUPLICATE_CHOICES],
    })


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def package_import_page(request: HttpRequest, visit: Visit) -> HttpResponse:
    groups = group_tree(academy=visit.academy)
    if request.method != "POST":
        return _answer(request, visit, "content/import_form.html", {"form": PackageImportForm(groups=groups)})
    form = PackageImportForm(request.POST, request.FILES, groups=groups)
    if not form.is_valid():
        return _answer(request, visit, "content/import_form.html", {"form": form}, status=400)
    upload: UploadedFile = form.cleaned_data["file"]
    group: Group | None = form.cleaned_data["group"]
    try:
        result = package_import(
            academy=visit.academy, source=upload, filename=upload.name or "package.zip", by=visit.user, group=group
        )
    except DuplicatePackage as exc:
        token = _keep_pending(request, visit, upload, group)
        return _question(request, visit, token, upload.name or "package.zip", exc.existing_course, exc.message)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _answer(request, visit, "content/import_form.html", {"form": form}, status=400)
    return _done(request, visit, result)


@require_POST
@academy_page(TRAINING_ADMIN)
def package_import_decide(request: HttpRequest, visit: Visit) -> HttpResponse:
    """The answer to the duplicate question, for the upload waiting under the posted token."""
    groups = group_tree(academy=visit.academy)
    decision = DecisionForm(request.POST)
    pending = _pending(request, visit, decision.data.get("token", "")) if decision.is_valid() else None
    if pending is None:
        return _answer(request, visit, "content/import_form.html", {
            "form": PackageImportForm(groups=groups),
            "notice": "This upload is no longer waiting for an answer. Upload the package again.",
        }, status=400)
    token = decision.cleaned_data["token"]
    group = groups.filter(pk=pending["group"]).first() if pending["group"] else None
    try:
        result = package_import(
            academy=visit.academy, source=_pending_path(token), filename=pending["filename"], by=visit.user,
            group=group, on_duplicate=decision.cleaned_data["choice"],
        )
    except DomainError as exc:
        return _answer(request, visit, "content/import_form.html", {
            "form": PackageImportForm(groups=groups), "notice": exc.message,
        }, status=400)
    finally:
        _forget_all(request)
    return _done(request, visit, result)

