"""An admin's record import in a real browser: upload a file with good and bad rows, read the preview,
download the row report, apply the valid rows, see the result; then unlock a stuck import from
/import. Drives Debian's chromium through Playwright against the live server; the worker's tasks run
in the request (eager), as a worker would run them."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from coursebridge.config.celery import app as celery_app
from coursebridge.learning.models import Enrollment
from coursebridge.records.models import CreditRecord, ImportLock, ImportRun, RunStatus
from tests.browser import chromium_context
from tests.factories import PASSWORD, AcademyFactory, CourseFactory, training_admin_of
from tests.records.factories import offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "External_Mail,First Name,last_name,date_completed,complete,credits,credit_type\r\n"
    "ada@example.org,Ada,Lovelace,2024-05-01,1,2,ama_pra_1\r\n"
    "bea@example.org,Bea,Bad,,0,2,ama_pra_1\r\n"
    "cy@example.org,Cy,Good,2024-05-02,1,1.25,ama_pra_1\r\n"
)


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=15_000, accept_downloads=True) as context:
        yield context.new_page()


@pytest.fixture
def heart(live_server, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    academy = AcademyFactory(slug="heart", name="Heart Academy")
    course = CourseFactory(academy=academy, title="Cardiology update", external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00", variable=True)
    training_admin_of(academy, username="admin")
    return {"academy": academy, "course": course}


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_an_admin_imports_good_and_bad_rows_and_applies_the_valid_ones(page, live_server, heart, tmp_path):
    from playwright.sync_api import expect

    course = heart["course"]
    upload = tmp_path / "attendance.csv"
    upload.write_bytes(b"\xef\xbb\xbf" + FILE.encode())
    sign_in(page, live_server, f"/a/heart/admin/courses/{course.pk}/edit/")

    page.get_by_role("link", name="Import records").click()
    expect(page.locator("h1")).to_contain_text("Import records into")
    page.set_input_files("#id_file", str(upload))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.locator("#counts [data-count=rows]")).to_have_text("3")
    expect(page.locator("#counts [data-count=create]")).to_have_text("2")
    expect(page.locator("#counts [data-count=errors]")).to_have_text("1")
    expect(page.locator("#row-report")).to_contain_text("No credits on a row with complete=0")
    with page.expect_download() as download:
        page.locator("#download-report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "3,credits,error,Error,No credits on a row with complete=0" in report

    page.locator("#valid-only").check()
    page.get_by_role("button", name="Apply").click()

    expect(page.locator("#run-status")).to_have_text("Applied")
    expect(page.locator("#result")).to_contain_text("2 learner accounts, 2 enrollments, 2 credit records")
    assert sorted(Enrollment.objects.values_list("user__email", flat=True)) == ["ada@example.org", "cy@example.org"]
    assert CreditRecord.objects.count() == 2


def test_an_admin_unlocks_a_stuck_import_from_the_import_page(page, live_server, heart):
    from playwright.sync_api import expect

    now = timezone.now()
    run = ImportRun.objects.create(academy=heart["academy"], scope="global", file_name="stuck.csv",
                                   status=RunStatus.APPLYING)
    ImportLock.objects.create(academy=heart["academy"], key="global", run=run, holder="gone", acquired_at=now,
                              heartbeat_at=now, lease_until=now + timedelta(minutes=5))
    sign_in(page, live_server, "/a/heart/import/")

    locks = page.locator("#locks")
    expect(locks).to_contain_text("Global course record import")
    locks.get_by_role("link", name="Unlock").click()
    page.locator("#unlock").click()

    expect(page.locator("body")).to_contain_text("Unlocked: the import was stopped and nothing of it was written.")
    expect(page.locator("#locks").get_by_role("link", name="Unlock")).to_have_count(0)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_an_admin_adds_a_credit_type_and_a_course_offers_it(page, live_server, heart):
    from playwright.sync_api import expect

    course = heart["course"]
    sign_in(page, live_server, "/a/heart/import/")
    page.click("text=Manage credit types")
    page.fill("#id_machine_name", "JC CEU")
    page.fill("#id_name", "Joint Commission CEU")
    page.click("button:has-text('Add credit type')")
    expect(page.locator(".field.has-error")).to_contain_text("For example 'jc_ceu'.")
    page.fill("#id_machine_name", "jc_ceu")
    page.fill("#id_unit", "CEU")
    page.click("button:has-text('Add credit type')")
    expect(page.locator("#credit-types")).to_contain_text("Joint Commission CEU")
    page.locator("#credit-types tr", has_text="jc_ceu").locator("text=Edit").click()
    expect(page.locator("#id_machine_name")).to_be_disabled()
    page.fill("#id_name", "Joint Commission CE")
    page.click("button:has-text('Save')")
    expect(page.locator("#credit-types")).to_contain_text("Joint Commission CE")

    page.goto(f"{live_server.url}/a/heart/import/courses/{course.pk}/")
    page.select_option("#id_credit_type", label="Joint Commission CE")
    page.fill("#id_max_credits", "1.5")
    page.check("#id_variable_allowed")
    page.click("button:has-text('Save credit')")

    expect(page.locator("#offers")).to_contain_text("Joint Commission CE (jc_ceu): at most 1.50, variable")
