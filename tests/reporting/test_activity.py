"""The Activity Report: rows, filters, scope, and the CSV and XLSX exports."""

import csv
import io
from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from coursebridge.core.errors import DomainError
from coursebridge.core.models import Job, JobStatus
from coursebridge.reporting import activity
from coursebridge.reporting.activity import (
    COLUMNS,
    NATIVE,
    ReportFilters,
    activity_export_run,
    activity_export_start,
    check_filters,
    report_rows_queryset,
    rows_of,
    write_report,
)
from coursebridge.reporting.scope import report_scope
from tests.reporting.factories import build_campus, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def campus(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_campus()


def report(campus, actor="admin", **filters):
    wanted = ReportFilters(**filters)
    scope = report_scope(academy=campus["academy"], actor=campus[actor], group_id=wanted.group_id)
    check_filters(academy=campus["academy"], filters=wanted)
    enrollments = list(report_rows_queryset(scope=scope, filters=wanted))
    return rows_of(academy=campus["academy"], enrollments=enrollments)


def pairs(rows):
    return sorted((r.enrollment.user.username, r.enrollment.course.title) for r in rows)


def test_one_row_per_learner_and_course_with_every_column(campus):
    rows = report(campus)

    assert len(rows) == 7
    ben_python = next(r for r in rows if r.enrollment.user.username == "ben" and r.enrollment.course.title == "Python")
    assert ben_python.cells() == [
        "Ben Berg", "ben@example.org", "East", "Python", "openclassrooms", "Active", "Program session: Spring cohort",
        "Completed", 100, 5400, "estimate", None, "2026-03-03 12:00:00", "2026-03-05 12:00:00",
        "2026-03-05 12:00:00",
    ]
    ben_intro = next(r for r in rows if r.enrollment.user.username == "ben" and r.enrollment.course.title == "Intro")
    assert ben_intro.cells()[6:13] == ["Catalogue", "Passed", 100, 1200, "measured", 88.5, "2026-03-02 14:00:00"]


def test_filters_by_group_course_provider_and_dates(campus):
    assert pairs(report(campus, group_id=campus["sales"].pk)) == [
        ("ana", "Intro"), ("ana", "Python"), ("ben", "Intro"), ("ben", "Python")]
    assert pairs(report(campus, course_id=campus["excel"].pk)) == [("cy", "Excel"), ("dee", "Excel")]
    assert pairs(report(campus, provider="openclassrooms")) == [("ana", "Python"), ("ben", "Python")]
    assert len(report(campus, provider=NATIVE)) == 5
    assert pairs(report(campus, date_from=day(4))) == [("ben", "Python"), ("cy", "Excel")]
    assert pairs(report(campus, date_from=day(1), date_to=day(2))) == [("ana", "Intro"), ("ben", "Intro")]


def test_a_group_admin_reports_on_their_subtree_only(campus):
    assert pairs(report(campus, actor="sales_admin")) == [
        ("ana", "Intro"), ("ana", "Python"), ("ben", "Intro"), ("ben", "Python")]
    assert pairs(report(campus, actor="sales_admin", group_id=campus["east"].pk)) == [
        ("ben", "Intro"), ("ben", "Python")]


def test_bad_filters_name_the_field(campus):
    with pytest.raises(DomainError) as course:
        report(campus, course_id=999999)
    assert (course.value.field, course.value.message) == ("course_id", "No course 999999 in this academy.")
    with pytest.raises(DomainError) as dates:
        report(campus, date_from=day(5), date_to=day(1))
    assert dates.value.field == "date_from"


def export(campus, fmt, actor="admin", **filters):
    wanted = ReportFilters(**filters)
    scope = report_scope(academy=campus["academy"], actor=campus[actor], group_id=wanted.group_id)
    target = io.BytesIO()
    count = write_report(scope=scope, filters=wanted, fmt=fmt, target=target)
    return count, target.getvalue()


def test_the_csv_opens_in_excel_and_formulas_stay_text(campus, monkeypatch):
    monkeypatch.setattr(activity, "CHUNK", 3)  # several chunks
    count, data = export(campus, "csv")

    assert count == 7
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    assert len(rows) == 8
    cy_rows = [r for r in rows if r[1] == "cy@example.org"]
    assert {r[0] for r in cy_rows} == {"'=HYPERLINK(\"http://evil\") Cy"}
    dee = next(r for r in rows if r[1] == "dee@example.org")
    assert dee[0] == "Dée Durand"
    assert dee[:4] + dee[7:11] == ["Dée Durand", "dee@example.org", "", "Excel", "Completed", "100", "900", "measured"]


def test_the_xlsx_keeps_numbers_as_numbers_and_formulas_as_text(campus):
    count, data = export(campus, "xlsx", group_id=campus["support"].pk)

    sheet = load_workbook(io.BytesIO(data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert count == 2
    assert values[0] == COLUMNS
    excel = next(v for v in values[1:] if v[3] == "Excel")
    assert excel[0] == "'=HYPERLINK(\"http://evil\") Cy"
    assert excel[8:12] == [30, 600, "measured", 12]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_export_job_writes_the_file_with_progress(campus, monkeypatch):
    monkeypatch.setattr(activity, "CHUNK", 2)
    scope = report_scope(academy=campus["academy"], actor=campus["sales_admin"])
    job = activity_export_start(scope=scope, filters=ReportFilters(provider="openclassrooms"), fmt="csv",
                                by=campus["sales_admin"])

    finished = activity_export_run(job_id=job.pk)

    assert (finished.status, finished.progress_total, finished.progress_done, finished.counts) == (
        JobStatus.SUCCEEDED, 2, 2, {"rows": 2})
    assert finished.result_name.startswith("activity-report-") and finished.result_name.endswith(".csv")
    with default_storage.open(finished.result_file, "rb") as stored:
        lines = stored.read().decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    assert Job.objects.get(pk=job.pk).params == {"group_id": None, "course_id": None, "provider": "openclassrooms",
                                                  "date_from": None, "date_to": None, "format": "csv"}


def test_an_unknown_format_is_refused_on_format(campus):
    scope = report_scope(academy=campus["academy"], actor=campus["admin"])
    with pytest.raises(DomainError) as refused:
        activity_export_start(scope=scope, filters=ReportFilters(), fmt="pdf", by=campus["admin"])
    assert (refused.value.field, refused.value.message) == ("format", "Export format is one of csv, xlsx.")


def test_the_report_page_pages_and_filters(client_for, campus, monkeypatch):
    from coursebridge.reporting import views

    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 5)
    address = reverse("web:activity_report", kwargs={"slug": "campus"})
    client = client_for(campus["admin"])

    first = client.get(address).content.decode()
    assert "Showing 1\u20135 of 7" in first
    assert first.count('<td data-label="Learner">') == 5
    second = client.get(address, {"page": 2}).content.decode()
    assert second.count('<td data-label="Learner">') == 2
    filtered = client.get(address, {"provider": "openclassrooms"}).content.decode()
    assert "Program session: Spring cohort" in filtered
    assert filtered.count('<td data-label="Learner">') == 2
    assert client.get(address, {"group": campus["support"].pk}).status_code == 200
    assert client_for(campus["sales_admin"]).get(address, {"group": campus["support"].pk}).status_code == 403
    assert client.get(address, {"course": 999999}).status_code == 400


def test_a_small_export_downloads_at_once_and_a_large_one_becomes_a_job(client_for, campus, monkeypatch):
    address = reverse("web:activity_export", kwargs={"slug": "campus"})
    client = client_for(campus["admin"])

    direct = client.post(address, {"format": "csv", "provider": ""})
    assert direct.status_code == 200
    assert direct["Content-Disposition"].startswith('attachment; filename="activity-report-')
    body = b"".join(direct.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode())

    monkeypatch.setattr(activity, "DIRECT_EXPORT_LIMIT", 3)
    queued = client.post(address, {"format": "xlsx", "provider": ""})
    job = Job.objects.get()
    assert queued.status_code == 302
    assert queued["Location"] == reverse("core:job-status", args=[job.pk])
    assert (job.kind, job.params["format"], job.created_by_id) == ("reporting.activity_export", "xlsx",
                                                                   campus["admin"].pk)
    assert client.post(address, {"format": "pdf"}).status_code == 400


def test_report_dates_cover_enrollments_never_started(campus):
    never = [r for r in report(campus, date_to=date(2100, 1, 1)) if r.enrollment.first_activity_at is None]

    assert pairs(never) == [("cy", "Intro")]
