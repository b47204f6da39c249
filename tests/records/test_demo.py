import pytest

from coursebridge.records.models import CourseCertificate, CreditRecord, HeldRecord, ImportRun, RunStatus
from coursebridge.web import demo

pytestmark = pytest.mark.django_db


def test_the_demo_holds_an_applied_course_import_and_a_global_one_in_preview(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    academy = demo.demo_load().academy

    runs = {run.file_name: run for run in ImportRun.objects.filter(academy=academy)}
    course_run, legacy_run = runs["cme-attendance-2024.csv"], runs["legacy-transcripts-2019.csv"]
    assert course_run.status == RunStatus.APPLIED
    assert (course_run.counts["errors"], course_run.counts["held"]) == (1, 1)
    assert course_run.result["credits_created"] == CreditRecord.objects.filter(academy=academy).count() > 0
    assert HeldRecord.objects.filter(academy=academy).count() == 1
    assert (legacy_run.status, legacy_run.counts["new_shells"]) == (RunStatus.STAGED, 1)
    assert CourseCertificate.objects.filter(academy=academy, enabled=True).count() == 1
    assert demo.demo_delete() is True
