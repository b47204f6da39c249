"""Report pages for administrators: the dashboard and the Activity Report with its exports.
Training admins see the whole academy; group admins their subtrees only."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any, cast

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coursebridge.catalog.models import Course
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import TimeSource
from coursebridge.reporting import activity, charts
from coursebridge.reporting import dashboard as figures
from coursebridge.reporting.forms import DashboardForm, ExportForm, ReportForm, first_error
from coursebridge.reporting.scope import groups_for_filter, report_scope
from coursebridge.web.errors import error_response
from coursebridge.web.views.common import ADMIN, Visit, academy_page, is_htmx, paginate, refused

REPORT_PAGE_SIZE = 50
STATUS_CSS = {"not_started": "s4", "in_progress": "s2", "completed": "s1", "passed": "s3", "failed": "s5"}


def _hours(seconds: int) -> float:
    return round(seconds / 3600, 2)


@require_GET
@academy_page(ADMIN)
def dashboard(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = DashboardForm(request.GET)
    if not form.is_valid():
        field, message = first_error(form)
        return error_response(request, 400, message, field)
    try:
        scope = report_scope(academy=visit.academy, actor=visit.user, group_id=form.cleaned_data.get("group"))
        period = figures.period_of(start=form.cleaned_data.get("date_from"), end=form.cleaned_data.get("date_to"),
                                   today=figures_today())
    except DomainError as exc:
        return refused(request, exc)
    board = figures.dashboard(scope=scope, period=period)
    days = period.days
    labels = [f"{d:%m-%d}" for d in days]
    every = max(1, len(days) // 10)
    statuses = [(value, label, board.status_counts[value]) for value, label in _status_choices()]
    measured = board.seconds_by_day[TimeSource.MEASURED]
    estimated = board.seconds_by_day[TimeSource.THEORETICAL]
    imported = board.seconds_by_day[TimeSource.IMPORTED]
    time_series = [
        charts.Series("Measured", [_hours(measured[d]) for d in days], "s1"),
        charts.Series("Estimated (theoretical)", [_hours(estimated[d]) for d in days], "s2 estimate"),
    ]
    if any(imported.values()):
        time_series.append(charts.Series("Imported", [_hours(imported[d]) for d in days], "s3"))
    context: dict[str, Any] = {
        "academy": visit.academy, "board": board, "form": form,
        "groups": groups_for_filter(academy=visit.academy, actor=visit.user),
        "statuses": statuses,
        "days": [(d, board.completions_by_day[d], board.active_by_day[d], measured[d], estimated[d], imported[d])
                 for d in days],
        "status_chart": charts.bar_chart(
            title="Completion status of enrollments", labels=[label for _, label, _ in statuses],
            series=[charts.Series("Enrollments", [float(n) for _, _, n in statuses], "s1")]),
        "activity_chart": charts.column_chart(
            title="Completions and active learners per day", labels=labels, stacked=False, label_every=every,
            series=[charts.Series("Completions", [float(board.completions_by_day[d]) for d in days], "s1"),
                    charts.Series("Active learners", [float(board.active_by_day[d]) for d in days], "s2")]),
        "time_chart": charts.column_chart(
            title="Time spent per day, measured and estimated (hours)", labels=labels, series=time_series,
            unit="h", label_every=every),
        "groups_chart": charts.bar_chart(
            title="Groups compared: enrollments and completions", labels=[g.name for g in board.groups],
            series=[charts.Series("Enrollments", [float(g.enrollments) for g in board.groups], "s2"),
                    charts.Series("Completed", [float(g.completed) for g in board.groups], "s1")]),
        "courses_chart": charts.bar_chart(
            title="Top courses by enrollments", labels=[c.title for c in board.top_courses],
            series=[charts.Series("Enrollments", [float(c.enrollments) for c in board.top_courses], "s2"),
                    charts.Series("Completed", [float(c.completed) for c in board.top_courses], "s1")]),
    }
    return render(request, "reporting/dashboard.html", context)


def figures_today() -> date:
    return timezone.now().date()


def _status_choices() -> list[tuple[str, str]]:
    from coursebridge.learning.models import LearningStatus

    return [(str(v), str(label)) for v, label in LearningStatus.choices]


def _report_context(visit: Visit, form: ReportForm) -> dict[str, Any]:
    return {
        "academy": visit.academy, "form": form,
        "groups": groups_for_filter(academy=visit.academy, actor=visit.user),
        "courses": Course.objects.filter(academy=visit.academy).order_by("title").values_list("pk", "title")[:1000],
        "providers": sorted(p for p in Course.objects.filter(academy=visit.academy).values_list("provider", flat=True)
                            .distinct() if p),
        "native": activity.NATIVE, "formats": activity.FORMATS,
    }


@require_GET
@academy_page(ADMIN)
def activity_report(request: HttpRequest, visit: Visit) -> HttpResponse:
    form = ReportForm(request.GET)
    if not form.is_valid():
        field, message = first_error(form)
        return error_response(request, 400, message, field)
    filters = form.filters()
    try:
        scope = report_scope(academy=visit.academy, actor=visit.user, group_id=filters.group_id)
        activity.check_filters(academy=visit.academy, filters=filters)
    except DomainError as exc:
        return refused(request, exc)
    page = paginate(request, activity.report_rows_queryset(scope=scope, filters=filters), REPORT_PAGE_SIZE)
    rows = activity.rows_of(academy=visit.academy, enrollments=list(page.object_list))
    return render(request, "reporting/activity_report.html", {
        **_report_context(visit, form), "page": page, "rows": rows, "filters": filters,
    })


@require_POST
@academy_page(ADMIN)
def activity_export(request: HttpRequest, visit: Visit) -> HttpResponse:
    """Small reports download at once; bigger ones become a job whose page shows a progress bar."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        field, message = first_error(form)
        return error_response(request, 400, message, field)
    filters = form.filters()
    fmt = form.cleaned_data["format"]
    try:
        scope = report_scope(academy=visit.academy, actor=visit.user, group_id=filters.group_id)
        activity.check_filters(academy=visit.academy, filters=filters)
        size = activity.report_rows_queryset(scope=scope, filters=filters).count()
        if size <= activity.DIRECT_EXPORT_LIMIT:
            spool = tempfile.TemporaryFile(mode="w+b")
            activity.write_report(scope=scope, filters=filters, fmt=fmt, target=spool)
            spool.seek(0)
            writer = activity.CsvWriter if fmt == "csv" else activity.XlsxWriter
            # A streaming answer; the page decorator only passes it through.
            download = FileResponse(spool, as_attachment=True, filename=activity.export_file_name(fmt),
                                    content_type=writer.content_type)
            return cast(HttpResponse, download)
        job = activity.activity_export_start(scope=scope, filters=filters, fmt=fmt, by=visit.user)
    except DomainError as exc:
        return refused(request, exc)
    if is_htmx(request):
        return render(request, "core/job_status.html", {"job": job})
    return redirect("core:job-status", job_id=job.pk)
