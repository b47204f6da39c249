"""Hostile files through the whole import: every file ends in a report or a clear refusal, and a
refused all-or-nothing run leaves the academy's data exactly as it was."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.accounts.models import Membership, User
from coursebridge.catalog.models import Course
from coursebridge.learning.models import Enrollment
from coursebridge.records.importer import import_apply
from coursebridge.records.models import CourseShell, CreditRecord, HeldRecord, RunStatus
from tests.factories import AcademyFactory, CourseFactory
from tests.records.factories import offer, staged

pytestmark = pytest.mark.django_db

CELLS = st.one_of(
    st.sampled_from(["a@example.org", "b@example.org", "not-an-email", "", "1", "0", "2", "2.5", "-1", "1e9", "NaN",
                     "ama_pra_1", "moc", "ancc", "2024-02-30", "2024-03-01", "=cmd|' /C calc'!A0", '"', '""', "\u00a0",
                     "\u200b", "x" * 1200, "Zoë", "\ufeff", "physician", "robot", "OLD-1", "bad id!"]),
    st.text(max_size=20),
)
HEADERS = ["external_course_id", "title", "external_email", "external_user_id", "complete", "date_completed",
           "credits", "credit_type", "participant_category", "attended", "enrollment_start", "Unknown"]


def snapshot(academy):
    return (
        sorted(User.objects.filter(academy=academy).values_list("pk", "username")),
        sorted(Membership.objects.filter(group__academy=academy).values_list("pk", flat=True)),
        sorted(Course.objects.filter(academy=academy).values_list("pk", "title")),
        sorted(Enrollment.objects.filter(academy=academy).values_list("pk", "status")),
        sorted(CreditRecord.objects.filter(academy=academy).values_list("pk", "credits")),
        HeldRecord.objects.filter(academy=academy).count(),
        CourseShell.objects.filter(academy=academy).count(),
    )


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = CourseFactory(academy=AcademyFactory(slug="heart"), external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00", variable=True)
    return course


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(
    columns=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8, unique=True),
    rows=st.lists(st.lists(CELLS, max_size=9), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    scope=st.sampled_from(["course", "global"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_hostile_files_end_in_a_report_or_a_refusal_and_refused_runs_write_nothing(
    course, tmp_path, columns, rows, encoding, scope, delimiter
):
    def cell(value):
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in (delimiter, '"', "\n", "\r")) else value

    text = "\r\n".join(delimiter.join(cell(v) for v in line) for line in [columns, *rows])
    path = tmp_path / "hostile.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    before = snapshot(course.academy)

    run = staged(course.academy, path, course=course if scope == "course" else None, scope=scope)

    assert run.status in {RunStatus.STAGED, RunStatus.REFUSED}
    if run.status == RunStatus.REFUSED:
        assert run.file_error and run.rows.count() == 0
        assert snapshot(course.academy) == before
        return
    assert sum(run.counts[k] for k in ("create", "unchanged", "held", "errors")) == run.counts["rows"]
    for row in run.rows.filter(outcome="error"):
        assert any(m[2] == "error" and m[1] for m in row.messages)
    run = import_apply(run_id=run.pk)
    if run.counts["errors"]:
        assert run.status == RunStatus.NOT_APPLIED
        assert snapshot(course.academy) == before
    else:
        assert run.status == RunStatus.APPLIED


def test_binary_junk_named_xlsx_is_refused(course, tmp_path):
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)

    run = staged(course.academy, path, course=course)

    assert (run.status, run.file_error) == (RunStatus.REFUSED, "The file is not a readable XLSX workbook.")
