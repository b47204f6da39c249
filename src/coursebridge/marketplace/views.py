"""The customer admin's pages (seed 000): Lists with Add to Library and Deliver Courses, the delivery
banners, My Courses, the legacy Courses dashboard (Pending, trash, Send to LMS, History), the
Activity Report; and the learner's side: aiccLaunchUrl and the AU's files.

Every account page is /marketplace/accounts/<account>/...; a person who is not an admin of that
account gets a 404, as if it did not exist."""

from __future__ import annotations

import csv
import mimetypes
import posixpath
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from coursebridge.core.errors import DomainError, LaunchRefused, NotFound
from coursebridge.core.jobs import job_is_stale
from coursebridge.core.models import Job
from coursebridge.marketplace import delivery, launch, selectors
from coursebridge.marketplace.models import CustomerAccount, Integration, IntegrationKind, LicenseKind, ListItem

ViewFunc = Callable[..., HttpResponseBase]


class LoginView(auth_views.LoginView):
    template_name = "marketplace/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("marketplace:home")


class LogoutView(auth_views.LogoutView):
    next_page = "marketplace:login"


def account_page(view: ViewFunc) -> ViewFunc:
    """Sign-in required; the account in the URL must be one the person administers (else 404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, account: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('marketplace:login')}?{urlencode({'next': request.get_full_path()})}")
        found = selectors.account_for_admin(user=request.user, slug=account)
        if found is None:
            return _refusal(request, 404, "No such customer account, or you are not one of its admins.")
        try:
            return view(request, found, *args, **kwargs)
        except NotFound as exc:
            return _refusal(request, 404, exc.message)

    return wrapper


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponseBase:
    return render(request, "marketplace/refused.html", {"status": status, "message": message}, status=status)


def _context(account: CustomerAccount, section: str, **extra: Any) -> dict[str, Any]:
    return {"account": account, "section": section, **extra}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@require_GET
def home(request: HttpRequest) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return redirect("marketplace:login")
    account = selectors.home_account(user=request.user)
    if account is None:
        return _refusal(request, 403, "Your sign-in is not the admin of a customer account of the marketplace.")
    return redirect("marketplace:dashboard", account=account.slug)


@require_GET
@account_page
def dashboard(request: HttpRequest, account: CustomerAccount) -> HttpResponseBase:
    integrations = selectors.integrations_of(account=account, active_only=False)
    return render(request, "marketplace/dashboard.html", _context(
        account, "dashboard", integrations=integrations, lists=selectors.lists_of(account=account),
        licenses=account.licenses.count(), deliveries=account.deliveries.count(), launches=account.launches.count(),
    ))


@require_GET
@account_page
def list_index(request: HttpRequest, account: CustomerAccount) -> HttpResponseBase:
    lists = selectors.lists_of(account=account)
    return render(request, "marketplace/lists.html", _context(account, "lists", lists=lists))


@require_GET
@account_page
def list_detail(request: HttpRequest, account: CustomerAccount, list_id: int) -> HttpResponseBase:
    course_list = selectors.list_of(account=account, list_id=list_id)
    job = _own_job(request, account, request.GET.get("job", ""))
    groups = selectors.list_groups(account=account, course_list=course_list)
    return render(request, "marketplace/list_detail.html", _context(
        account, "lists", course_list=course_list, groups=groups,
        job=job, selected=set(_ids(request.GET.getlist("selected"))),
    ))


@require_POST
@account_page
def library_add(request: HttpRequest, account: CustomerAccount, list_id: int) -> HttpResponseBase:
    course_list = selectors.list_of(account=account, list_id=list_id)
    url = reverse("marketplace:list_detail", args=[account.slug, course_list.pk])
    course_ids = _ids(request.POST.getlist("courses"))
    in_list = set(ListItem.objects.filter(group__course_list=course_list, course_id__in=course_ids)
                  .values_list("course_id", flat=True))
    if len(in_list) != len(set(course_ids)):
        messages.error(request, "Some of the selected courses are not in this List: nothing was added.")
        return redirect(url)
    try:
        job = delivery.library_add_start(account=account, course_ids=course_ids, by_id=request.user.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(url)
    return redirect(f"{url}?job={job.pk}")


def _own_job(request: HttpRequest, account: CustomerAccount, job_id: str) -> Job | None:
    if not job_id.isdigit() or len(job_id) > 18:
        return None
    return Job.objects.filter(pk=int(job_id), params__account_id=account.pk, created_by_id=request.user.pk,
                              kind__startswith="marketplace.").first()


@require_GET
@account_page
def job_status(request: HttpRequest, account: CustomerAccount, job_id: int) -> HttpResponseBase:
    job = _own_job(request, account, str(job_id))
    if job is None:
        raise NotFound("No such job.")
    if job.kind == delivery.JOB_LEGACY_SEND and job.status == "succeeded" and request.headers.get("HX-Request"):
        # Sent: the dashboard switches to the History tab.
        response = HttpResponse(status=204)
        url = reverse("marketplace:legacy_queue", args=[account.slug, job.params["integration_id"]])
        response["HX-Redirect"] = f"{url}?tab=history"
        return response
    return render(request, "marketplace/_job.html", _context(account, "", job=job, stalled=job_is_stale(job),
                                                             **_job_outcome(account, job)))


def _job_outcome(account: CustomerAccount, job: Job) -> dict[str, Any]:
    """What a finished job says, and where the admin goes next."""
    if job.kind == delivery.JOB_DELIVER:
        integrations = list(Integration.objects.filter(account=account, pk__in=job.params.get("integration_ids", [])))
        return {"banners": [(i, delivery.integration_kind_banner(i)) for i in integrations]}
    return {}


# --- Deliver Courses ------------------------------------------------------------------------------


@require_POST
@account_page
def deliver(request: HttpRequest, account: CustomerAccount, list_id: int) -> HttpResponseBase:
    """Step 1 shows the refused courses, the license question and the integrations; step 2
    (confirm=1) starts the delivery."""
    course_list = selectors.list_of(account=account, list_id=list_id)
    list_url = reverse("marketplace:list_detail", args=[account.slug, course_list.pk])
    course_ids = _ids(request.POST.getlist("courses"))
    license_kinds = {
        int(k[8:]): str(v) for k, v in request.POST.items() if k.startswith("license-") and k[8:].isdigit()
    }
    try:
        plan = delivery.delivery_plan(account=account, course_ids=course_ids, license_kinds=license_kinds)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(list_url)
    integrations = list(selectors.integrations_of(account=account))
    form_error = ""
    if request.POST.get("confirm") == "1" and plan.choices:
        form_error = "Choose which license to use for each course below."
    elif request.POST.get("confirm") == "1":
        try:
            job, plan = delivery.delivery_start(
                account=account, course_ids=plan.deliverable_ids, license_kinds=license_kinds,
                integration_ids=_ids(request.POST.getlist("integrations")), by_id=request.user.pk,
            )
        except DomainError as exc:
            form_error = exc.message
        else:
            return redirect(reverse("marketplace:delivery_status", args=[account.slug, job.pk]))
    return render(request, "marketplace/deliver.html", _context(
        account, "lists", course_list=course_list, plan=plan, integrations=integrations, form_error=form_error,
        chosen_ids=sorted(plan.chosen), choice_rows=[(plan.courses[c], options) for c, options in plan.choices.items()],
        picked_integrations=set(_ids(request.POST.getlist("integrations"))),
        default_integration=next((i for i in integrations if i.is_default), None),
        kinds=dict(LicenseKind.choices),
    ), status=400 if form_error else 200)


@require_GET
@account_page
def delivery_status(request: HttpRequest, account: CustomerAccount, job_id: int) -> HttpResponseBase:
    job = _own_job(request, account, str(job_id))
    if job is None or job.kind != delivery.JOB_DELIVER:
        raise NotFound("No such delivery.")
    return render(request, "marketplace/delivery_status.html", _context(
        account, "lists", job=job, stalled=job_is_stale(job), **_job_outcome(account, job)))


# --- My Courses -----------------------------------------------------------------------------------

MY_COURSES_TABS = {"delivered": "Delivered", "attention": "Needs Attention", "archived": "Archived"}


@require_GET
@account_page
def my_courses(request: HttpRequest, account: CustomerAccount) -> HttpResponseBase:
    tab = request.GET.get("tab", "delivered")
    if tab not in MY_COURSES_TABS:
        tab = "delivered"
    rows = selectors.my_courses(account=account, tab=tab)
    if request.GET.get("format") == "csv":
        return _csv(f"my-courses-{tab}.csv", ["Course", "Course ID", "Publisher", "License", "Integrations", "Status",
                                              "First delivered", "Last sent"], (
            [r["course"].title, r["course"].code, r["course"].publisher.name, r["licenses"],
             "; ".join(f"{i['name']} ({'sent' if i['sent_at'] else 'pending'})" for i in r["integrations"]),
             r["status"], r["first_delivered"].isoformat(), r["last_sent"].isoformat() if r["last_sent"] else ""]
            for r in rows))
    return render(request, "marketplace/my_courses.html", _context(account, "courses", rows=rows, tab=tab,
                                                                   tabs=MY_COURSES_TABS))


# --- Legacy integrations ---------------------------------------------------------------------------


@require_GET
@account_page
def legacy_queue(request: HttpRequest, account: CustomerAccount, integration_id: int) -> HttpResponseBase:
    integration = delivery.legacy_integration(account=account, integration_id=integration_id)
    tab = "history" if request.GET.get("tab") == "history" else "pending"
    job = _own_job(request, account, request.GET.get("job", ""))
    return render(request, "marketplace/legacy_queue.html", _context(
        account, "courses", integration=integration, tab=tab, job=job,
        rows=selectors.legacy_queue(integration=integration, tab=tab),
        pending_count=integration.deliveries.filter(sent_at__isnull=True).count(),
        is_ocn=integration.kind == IntegrationKind.OCN,
    ))


@require_POST
@account_page
def legacy_remove(
    request: HttpRequest, account: CustomerAccount, integration_id: int, delivery_id: int
) -> HttpResponseBase:
    integration = delivery.legacy_integration(account=account, integration_id=integration_id)
    url = reverse("marketplace:legacy_queue", args=[account.slug, integration.pk])
    try:
        course = delivery.delivery_remove(account=account, delivery_id=delivery_id)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{course.title}” was removed from the queue.")
    return redirect(url)


@require_POST
@account_page
def legacy_send(request: HttpRequest, account: CustomerAccount, integration_id: int) -> HttpResponseBase:
    integration = delivery.legacy_integration(account=account, integration_id=integration_id)
    url = reverse("marketplace:legacy_queue", args=[account.slug, integration.pk])
    try:
        job = delivery.legacy_send_start(account=account, integration=integration, by_id=request.user.pk)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(url)
    return redirect(f"{url}?job={job.pk}")


# --- Activity Report ------------------------------------------------------------------------------


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError(f"The {name} date {value!r} is not a date like 2026-01-31.", field=name) from exc


@require_GET
@account_page
def activity(request: HttpRequest, account: CustomerAccount) -> HttpResponseBase:
    error = ""
    try:
        start = _date(request.GET.get("start", ""), "start")
        end = _date(request.GET.get("end", ""), "end")
    except DomainError as exc:
        start = end = None
        error = exc.message
    rows = [] if error else selectors.activity_rows(account=account, start=start, end=end)
    if request.GET.get("format") == "csv" and not error:
        kinds = dict(LicenseKind.choices)
        return _csv("activity-report.csv", ["Date", "Course", "Course ID", "Learner", "License", "Launches"], (
            [r["day"].isoformat(), r["course__title"], r["course__code"], r["learner_key"],
             kinds.get(r["license__kind"], r["license__kind"]), r["launches"]] for r in rows))
    return render(request, "marketplace/activity.html", _context(
        account, "activity", rows=rows, error=error, start=request.GET.get("start", ""),
        end=request.GET.get("end", ""), kinds=dict(LicenseKind.choices),
    ), status=400 if error else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(filename: str, header: list[str], rows: Any) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield writer.writerow(header)
        for row in rows:
            # A cell starting with = + - @ would run as a formula in a spreadsheet.
            yield writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The learner: aiccLaunchUrl and the AU's files ---------------------------------------------------


@require_GET
def aicc_launch(request: HttpRequest, ciid: str, code: str) -> HttpResponseBase:
    """Check license and seat, record the launch, and send the browser to the AU with aicc_sid and
    aicc_url passed through, so the AU reports to the learner's LMS."""
    aicc_sid = request.GET.get("aicc_sid", request.GET.get("AICC_SID", ""))
    aicc_url = request.GET.get("aicc_url", request.GET.get("AICC_URL", ""))
    try:
        target = launch.launch_target(ciid=ciid, course_code=code)
        learner = request.GET.get("student_id", "").strip() or launch.learner_from_lms(
            integration=target.integration, aicc_sid=aicc_sid, aicc_url=aicc_url)
        started = launch.launch_start(target=target, learner_key=learner)
    except NotFound as exc:
        return render(request, "marketplace/launch_refused.html", {"message": exc.message}, status=404)
    except LaunchRefused as exc:
        return render(request, "marketplace/launch_refused.html", {"message": exc.message}, status=403)
    query = urlencode({"aicc_sid": aicc_sid, "aicc_url": aicc_url})
    return HttpResponseRedirect(reverse("marketplace:content_file", args=[started.key, target.course.au_path])
                                + "?" + query)


@require_GET
@xframe_options_sameorigin
def content_file(request: HttpRequest, key: str, path: str) -> HttpResponseBase:
    """A file of the launched course's package, for the launch's lifetime; paths stay inside it."""
    try:
        started = launch.launch_for_key(key=key)
    except NotFound as exc:
        return render(request, "marketplace/launch_refused.html", {"message": exc.message}, status=404)
    clean = posixpath.normpath(path)
    if clean.startswith(("..", "/")) or "\\" in clean or "\x00" in clean or clean == ".":
        raise Http404("No such file.")
    name = f"{started.course.package_prefix}{clean}"
    if not started.course.package_prefix or not default_storage.exists(name):
        raise Http404("No such file in this course.")
    content_type = mimetypes.guess_type(clean)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response
