"""Admin pages of the course record importer, mounted under /a/<slug>/ by web.urls.

/import/ lists the importers and their locks (with Unlock); each importer has an upload page; a run
page shows the progress, then the preview (counts, warnings, row report) and the apply form, then
the result. Uploading, staging and applying each answer at once: the work runs in the worker.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course
from coursebridge.catalog.selectors import course_get
from coursebridge.core.errors import DomainError
from coursebridge.core.jobs import job_is_stale
from coursebridge.core.models import JobStatus
from coursebridge.learning.models import FINISHED_STATUSES, Enrollment
from coursebridge.records import exports
from coursebridge.records.held import held_records_assign
from coursebridge.records.importer import (
    import_apply_start,
    import_create,
    import_stage_start,
)
from coursebridge.records.locks import import_unlock, lock_is_live
from coursebridge.records.models import (
    CreditType,
    HeldRecord,
    ImportLock,
    ImportRun,
    ImportScope,
    LearnerProfile,
    RunStatus,
)
from coursebridge.records.selectors import (
    course_offers,
    credit_types,
    credits_of,
    import_locks,
    import_run_get,
    import_runs,
    is_shell,
    run_report_rows,
)
from coursebridge.records.services import (
    SHELL_CERTIFICATE_REASON,
    course_certificate_set,
    course_credit_offer_set,
    credit_type_create,
    credit_type_update,
    learner_profile_update,
)
from coursebridge.web.views.common import (
    MEMBER,
    TRAINING_ADMIN,
    Visit,
    academy_page,
    is_htmx,
    not_found,
    refused,
    safe_next,
)

PREVIEW_ROWS = 200
MAX_UPLOAD = 2 * 1024**3


class UploadForm(forms.Form):
    file = forms.FileField(label="File", help_text="CSV (UTF-8 or Windows-1252) or XLSX, one row per credit type "
                           "awarded.", error_messages={"required": "Choose the file to upload."})
    hold_unknown = forms.BooleanField(
        required=False, label="Hold rows of unknown learners until they sign up",
        help_text="Otherwise a learner account is created for each unknown learner.")


class OfferForm(forms.Form):
    credit_type = forms.ModelChoiceField(queryset=CreditType.objects.none(), label="Credit type")
    max_credits = forms.DecimalField(label="Maximum credits", max_digits=6, decimal_places=2, min_value=0)
    variable_allowed = forms.BooleanField(required=False, label="Variable credit allowed (less than the maximum)")


class CreditTypeForm(forms.Form):
    machine_name = forms.CharField(
        max_length=60, label="Machine name",
        help_text="How files write it in the credit_type column: lower-case letters, digits and '_', starting with "
                  "a letter (e.g. jc_ceu). It cannot be changed later.",
        error_messages={"required": "A credit type needs a machine name, as files write it in the credit_type "
                                    "column."})
    name = forms.CharField(max_length=200, label="Name", help_text="As learners read it, e.g. Joint Commission CEU.",
                           error_messages={"required": "A credit type needs a name."})
    unit = forms.CharField(max_length=40, required=False, label="Unit", help_text="e.g. credits, contact hours, CEU.")


def _course(visit: Visit, course_id: int) -> Course | None:
    try:
        return course_get(academy=visit.academy, course_id=course_id)
    except Course.DoesNotExist:
        return None


def _run(visit: Visit, run_id: int) -> ImportRun | None:
    try:
        return import_run_get(academy=visit.academy, run_id=run_id)
    except ImportRun.DoesNotExist:
        return None


@require_GET
@academy_page(TRAINING_ADMIN)
def import_home(request: HttpRequest, visit: Visit) -> HttpResponse:
    locks = [{"lock": lock, "live": lock_is_live(lock)} for lock in import_locks(academy=visit.academy)]
    return render(request, "records/import_home.html", {
        "academy": visit.academy, "locks": locks, "runs": import_runs(academy=visit.academy)[:20],
        "courses": Course.objects.filter(academy=visit.academy, records_shell__isnull=True).order_by("title")[:500],
        "credit_types": credit_types(academy=visit.academy),
        "held": HeldRecord.objects.filter(academy=visit.academy).count(),
    })


def _upload(request: HttpRequest, visit: Visit, scope: str, course: Course | None) -> HttpResponse:
    context: dict[str, Any] = {"academy": visit.academy, "scope": scope, "course": course,
                               "shell": bool(course and is_shell(course=course)),
                               "shell_reason": SHELL_CERTIFICATE_REASON}
    if course is not None:
        offer_form = OfferForm()
        offer_form.fields["credit_type"].queryset = credit_types(academy=visit.academy)  # type: ignore[attr-defined]
        context.update(offers=course_offers(course=course), offer_form=offer_form,
                       runs=import_runs(academy=visit.academy, course=course)[:10])
    else:
        context.update(runs=import_runs(academy=visit.academy, scope=ImportScope.GLOBAL)[:10])
    if request.method != "POST":
        return render(request, "records/upload.html", {**context, "form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "records/upload.html", {**context, "form": form}, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", "The file is larger than 2 GB.")
        return render(request, "records/upload.html", {**context, "form": form}, status=400)
    try:
        run = import_create(academy=visit.academy, scope=scope, course=course, by=visit.user, source=upload,
                            filename=upload.name or "records.csv", hold_unknown=form.cleaned_data["hold_unknown"])
    except DomainError as exc:
        form.add_error(None, exc.message)
        return render(request, "records/upload.html", {**context, "form": form}, status=exc.status)
    import_stage_start(run=run, by=visit.user)
    return redirect("web:records_run", slug=visit.academy.slug, run_id=run.pk)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def global_upload(request: HttpRequest, visit: Visit) -> HttpResponse:
    return _upload(request, visit, ImportScope.GLOBAL, None)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def course_upload(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    course = _course(visit, course_id)
    if course is None:
        return not_found(request)
    return _upload(request, visit, ImportScope.COURSE, course)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def credit_type_list(request: HttpRequest, visit: Visit) -> HttpResponse:
    """The academy's credit types, and the form that adds one."""
    form = CreditTypeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = credit_type_create(academy=visit.academy, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"Credit type '{created.name}' added: files write it {created.machine_name}.")
                return redirect("web:records_credit_types", slug=visit.academy.slug)
    return render(request, "records/credit_types.html", {
        "academy": visit.academy, "credit_types": credit_types(academy=visit.academy), "form": form,
    }, status=status)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def credit_type_edit(request: HttpRequest, visit: Visit, credit_type_id: int) -> HttpResponse:
    """A credit type's name and unit; its machine name is shown, fixed."""
    credit_type = credit_types(academy=visit.academy).filter(pk=credit_type_id).first()
    if credit_type is None:
        return not_found(request)
    form = CreditTypeForm(request.POST or None, initial={"machine_name": credit_type.machine_name,
                                                         "name": credit_type.name, "unit": credit_type.unit})
    form.fields["machine_name"].disabled = True
    form.fields["machine_name"].help_text = "Fixed: files and credit records already use it."
    if request.method == "POST":
        if form.is_valid():
            try:
                credit_type_update(credit_type=credit_type, name=form.cleaned_data["name"],
                                   unit=form.cleaned_data["unit"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Credit type '{credit_type.name}' saved.")
                return redirect("web:records_credit_types", slug=visit.academy.slug)
        return render(request, "records/credit_type_edit.html", {"academy": visit.academy, "credit_type": credit_type,
                                                                 "form": form}, status=400)
    return render(request, "records/credit_type_edit.html", {"academy": visit.academy, "credit_type": credit_type,
                                                             "form": form})


@require_POST
@academy_page(TRAINING_ADMIN)
def course_offer_set(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    course = _course(visit, course_id)
    if course is None:
        return not_found(request)
    form = OfferForm(request.POST)
    form.fields["credit_type"].queryset = credit_types(academy=visit.academy)  # type: ignore[attr-defined]
    if not form.is_valid():
        messages.error(request, "Choose a credit type and a maximum number of credits.")
        return redirect("web:records_course_upload", slug=visit.academy.slug, course_id=course.pk)
    try:
        course_credit_offer_set(course=course, credit_type=form.cleaned_data["credit_type"],
                                max_credits=form.cleaned_data["max_credits"],
                                variable_allowed=form.cleaned_data["variable_allowed"])
    except DomainError as exc:
        return refused(request, exc)
    messages.success(request, f"The course offers {form.cleaned_data['credit_type'].name}.")
    return redirect("web:records_course_upload", slug=visit.academy.slug, course_id=course.pk)


@require_GET
@academy_page(TRAINING_ADMIN)
def run_page(request: HttpRequest, visit: Visit, run_id: int) -> HttpResponse:
    run = _run(visit, run_id)
    if run is None:
        return not_found(request)
    running = run.status in {RunStatus.STAGING, RunStatus.APPLYING} and not run_stopped(run)
    if is_htmx(request):
        response = render(request, "records/_run_progress.html", {"academy": visit.academy, "run": run})
        if not running:
            response["HX-Refresh"] = "true"
        return response
    rows = list(run_report_rows(run=run)[:PREVIEW_ROWS]) if not running else []
    return render(request, "records/run.html", {
        "academy": visit.academy, "run": run, "running": running, "rows": rows, "preview_rows": PREVIEW_ROWS,
        "valid": run.counts.get("rows", 0) - run.counts.get("errors", 0),
        "stopped": run.status in {RunStatus.STAGING, RunStatus.APPLYING} and not running,
    })


def run_stopped(run: ImportRun) -> bool:
    """A run still marked as running whose job failed or whose worker stopped answering."""
    job = run.apply_job if run.status == RunStatus.APPLYING else run.stage_job
    return job is not None and (job.status == JobStatus.FAILED or job_is_stale(job))


@require_GET
@academy_page(TRAINING_ADMIN)
def run_report(request: HttpRequest, visit: Visit, run_id: int) -> HttpResponse:
    run = _run(visit, run_id)
    if run is None:
        return not_found(request)
    response = StreamingHttpResponse(exports.report_lines(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-report.csv"'
    return cast(HttpResponse, response)  # streamed: the report can be a million rows long


@require_POST
@academy_page(TRAINING_ADMIN)
def run_apply(request: HttpRequest, visit: Visit, run_id: int) -> HttpResponse:
    run = _run(visit, run_id)
    if run is None:
        return not_found(request)
    try:
        import_apply_start(run=run, by=visit.user, valid_only=request.POST.get("valid_only") == "on")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("web:records_run", slug=visit.academy.slug, run_id=run.pk)


@require_POST
@academy_page(TRAINING_ADMIN)
def held_assign(request: HttpRequest, visit: Visit) -> HttpResponse:
    if request.POST.get("action") != "assign":
        return refused(request, DomainError("Use the button on the import page to assign held rows.", field="action"))
    result = held_records_assign(academy=visit.academy)
    messages.success(request, f"{result['assigned']} held row(s) given to learners who now have an account "
                              f"({result['enrollments_created']} enrollments, {result['credits_created']} credit "
                              f"records); {result['still_held']} still held.")
    return redirect("web:records_import", slug=visit.academy.slug)


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def lock_unlock(request: HttpRequest, visit: Visit, lock_id: int) -> HttpResponse:
    lock = ImportLock.objects.filter(academy=visit.academy, pk=lock_id).select_related("run").first()
    if lock is None:
        return not_found(request)
    if request.method != "POST":
        return render(request, "records/unlock.html", {"academy": visit.academy, "lock": lock,
                                                       "live": lock_is_live(lock)})
    try:
        import_unlock(academy=visit.academy, key=lock.key)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:records_import", slug=visit.academy.slug)
    messages.success(request, "Unlocked: the import was stopped and nothing of it was written. You can import again.")
    return redirect("web:records_import", slug=visit.academy.slug)


@require_GET
@academy_page(TRAINING_ADMIN)
def template_download(request: HttpRequest, visit: Visit, scope: str) -> HttpResponse:
    response = HttpResponse(exports.template_csv(scope), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scope}-records-template.csv"'
    return response


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and len(text) == 4 else date.today().year


@require_GET
@academy_page(TRAINING_ADMIN)
def pars_page(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    course = _course(visit, course_id)
    if course is None:
        return not_found(request)
    year = _year(request)
    if request.GET.get("download") == "1":
        response = HttpResponse(exports.pars_batch(academy=visit.academy, course=course, year=year),
                                content_type="text/tab-separated-values; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="pars-learners-{course.pk}-{year}.txt"'
        return response
    learners = exports.pars_learners(academy=visit.academy, course=course, year=year)
    return render(request, "records/pars.html", {
        "academy": visit.academy, "course": course, "year": year, "learners": learners,
        "missing": [learner for learner in learners if learner.missing], "shell": is_shell(course=course),
    })


@require_POST
@academy_page(TRAINING_ADMIN)
def certificate_toggle(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    course = _course(visit, course_id)
    if course is None:
        return not_found(request)
    try:
        course_certificate_set(course=course, enabled=request.POST.get("enabled") == "on")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Certificate settings saved.")
    return redirect("web:records_course_upload", slug=visit.academy.slug, course_id=course.pk)


@require_GET
@academy_page(MEMBER)
def certificate_download(request: HttpRequest, visit: Visit, course_id: int) -> HttpResponse:
    """The signed-in learner's certificate for a completed course."""
    course = Course.objects.filter(academy=visit.academy, pk=course_id).first()
    if course is None or not Enrollment.objects.filter(user=visit.user, course=course).exists():
        return not_found(request)
    try:
        pdf = exports.certificate_pdf(course=course, user=visit.user)
    except DomainError as exc:
        return refused(request, exc)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{course.pk}.pdf"'
    return response



class ProfileForm(forms.Form):
    license_state = forms.CharField(required=False, max_length=2, label="License state (two letters)")
    license_id = forms.CharField(required=False, max_length=40, label="License ID")
    npi = forms.CharField(required=False, max_length=10, label="NPI", help_text="Or the license: one of the two.")
    birth_month = forms.IntegerField(required=False, min_value=1, max_value=12, label="Birth month")
    birth_day = forms.IntegerField(required=False, min_value=1, max_value=31, label="Birth day")
    certifying_board = forms.CharField(required=False, max_length=20, label="Certifying board (e.g. ABIM)")
    board_id = forms.CharField(required=False, max_length=40, label="Board ID")


@require_http_methods(["GET", "POST"])
@academy_page(TRAINING_ADMIN)
def profile_edit(request: HttpRequest, visit: Visit, user_id: int) -> HttpResponse:
    """The PARS fields of one learner."""
    learner = User.objects.filter(academy=visit.academy, pk=user_id).first()
    if learner is None:
        return not_found(request)
    profile = LearnerProfile.objects.filter(user=learner).first()
    initial = {name: getattr(profile, name) for name in ProfileForm.base_fields} if profile else {}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                learner_profile_update(user=learner, changes=form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"PARS profile of {learner.display_name} saved.")
                return redirect(safe_next(request, request.path))
        return render(request, "records/profile.html", {"academy": visit.academy, "learner": learner, "form": form},
                      status=400)
    return render(request, "records/profile.html", {"academy": visit.academy, "learner": learner, "form": form})


@require_GET
@academy_page(MEMBER)
def my_certificates(request: HttpRequest, visit: Visit) -> HttpResponse:
    """The signed-in learner's completed courses that issue a certificate, with their credit."""
    completed = Enrollment.objects.filter(
        academy=visit.academy, user=visit.user, status__in=list(FINISHED_STATUSES), completed_at__isnull=False,
        course__records_certificate__enabled=True, course__records_shell__isnull=True,
    ).select_related("course").order_by("-completed_at")
    items = [{"enrollment": e, "credits": list(credits_of(academy=visit.academy, user_id=visit.user.pk,
                                                          course_id=e.course_id))} for e in completed]
    return render(request, "records/certificates.html", {"academy": visit.academy, "items": items})
