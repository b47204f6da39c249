import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coursebridge.learning.models import Enrollment
from coursebridge.records.models import CreditRecord
from tests.factories import AcademyFactory, CourseFactory
from tests.records.factories import offer, write_csv

pytestmark = pytest.mark.django_db

HEADER = "external_email,complete,date_completed,credits,credit_type"


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = CourseFactory(academy=AcademyFactory(slug="heart"), external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00")
    return course


def run(*args):
    """(exit status, parsed JSON output)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("import-records", *args, "--json", stdout=out)
        status = 0
    except CommandError as exc:
        status = exc.returncode
    return status, json.loads(out.getvalue())


def test_a_clean_file_exits_0_and_is_applied(course, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [HEADER, "a@example.org,1,2024-01-02,2,ama_pra_1"])

    status, out = run("--academy", "heart", "--course", "CARD-1", str(path))

    assert status == 0
    assert (out["rows"], out["valid"], out["errors"], out["applied"]) == (1, 1, [], True)
    assert out["result"]["credits_created"] == 1


def test_refused_rows_exit_1_and_nothing_is_written_without_apply_valid_only(course, tmp_path):
    path = write_csv(tmp_path / "mixed.csv", [HEADER, "a@example.org,1,2024-01-02,2,ama_pra_1",
                                              "b@example.org,1,2024-01-02,5,ama_pra_1"])

    status, out = run("--academy", "heart", "--course", "CARD-1", str(path))

    assert status == 1
    assert out["errors"] == [{"row": 3, "column": "credits",
                              "message": "5.00 is above the course's maximum of 2.00 ama_pra_1 credits."}]
    assert (out["applied"], Enrollment.objects.count()) == (False, 0)

    status, out = run("--academy", "heart", "--course", "CARD-1", str(path), "--apply-valid-only")

    assert (status, out["applied"], CreditRecord.objects.count()) == (1, True, 1)


def test_dry_run_writes_nothing(course, tmp_path):
    path = write_csv(tmp_path / "ok.csv", [HEADER, "a@example.org,1,2024-01-02,2,ama_pra_1"])

    status, out = run("--academy", "heart", "--course", "CARD-1", str(path), "--dry-run")

    assert (status, out["applied"], out["counts"]["create"], Enrollment.objects.count()) == (0, False, 1, 0)


def test_a_refused_file_exits_2(course, tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["first_name,last_name", "Ada,Lovelace"])

    status, out = run("--academy", "heart", "--course", "CARD-1", str(path))

    assert status == 2
    assert out["error"]["message"] == ("The header lacks the required column external_user_id or external_email. "
                                       "Known columns found: first_name, last_name.")


def test_the_global_importer_runs_without_course(course, tmp_path):
    path = write_csv(tmp_path / "legacy.csv", ["external_course_id,title,external_email,complete",
                                               "OLD-9,Old,a@example.org,1"])

    status, out = run("--academy", "heart", str(path))

    assert (status, out["importer"], out["result"]["shells_created"]) == (0, "global", 1)
