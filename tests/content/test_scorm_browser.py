"""SCORM in a real browser: a learner launches Rustici's golf courses (SCORM 1.2 and 2004, imported
from the shared test packages) through START, works through them until they report completion,
and the transcript shows status, score and time. Also: a reload mid-course and a second tab never
lose a completion, and the API's error codes and unload beacon, called as content calls them.
Drives Debian's chromium through Playwright against the live server."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from coursebridge.content.models import UnitState
from coursebridge.content.services import package_import
from coursebridge.learning.models import Attempt, Enrollment, LearningStatus
from tests.browser import chromium_context
from tests.content.browser_helpers import (
    GOLF_PAGES,
    Dialogs,
    golf_frame,
    next_pages,
    requests_one_at_a_time,
    take_the_knowledge_check,
)
from tests.content.player_helpers import TESTDATA, scorm_course
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, learner_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOLF_12 = TESTDATA / "golf-scorm12-runtime-basic.zip"
GOLF_2004 = TESTDATA / "golf-scorm2004-3rd-runtime-basic.zip"
SCREENSHOT = Path(settings.VAR_DIR) / "screenshots" / "scorm-player.png"


@pytest.fixture
def browser(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=15_000) as context:
        yield context


@pytest.fixture
def db_lock(live_server):
    with requests_one_at_a_time(live_server) as lock:
        yield lock


@pytest.fixture
def campus(live_server, db_lock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    academy = AcademyFactory(slug="campus", name="Riverside Academy")
    group = GroupFactory(academy=academy, name="Sales team")
    learner = learner_in(group, username="lena", first_name="Lena", last_name="Berg")
    return {"academy": academy, "group": group, "learner": learner, "lock": db_lock}


def import_golf(campus, path: Path):
    if not path.exists():
        pytest.skip(f"the shared test package {path.name} is not on this machine (../shared/testdata/packages)")
    with path.open("rb") as source:
        result = package_import(academy=campus["academy"], source=source, filename=path.name, by=None,
                                group=campus["group"])
    return result.course


def open_page(browser):
    page = browser.new_page()
    dialogs = Dialogs()
    page.on("dialog", dialogs)
    return page, dialogs


def sign_in(page, live_server, username="lena"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/a/campus/.*"))


def start(page, live_server, campus, course):
    """The course page's START, through the launch gate, into the player."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{reverse('web:course_detail', args=['campus', course.pk])}")
    page.get_by_role("button", name="START").click()
    page.wait_for_url(re.compile(r".*/a/campus/play/\d+/$"))
    expect(page.locator(".player h1")).to_have_text(course.title)
    with campus["lock"]:
        return Attempt.objects.get(enrollment__course=course)


def eventually(page, lock, check, what: str, timeout: float = 15):
    """Poll the database until `check()` is true, letting the browser run (dialogs, beacons)."""
    deadline = time.monotonic() + timeout
    while True:
        with lock:
            value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


def state_when(page, campus, course, condition, what: str) -> UnitState:
    """The course's unit state once `condition(state)` holds."""

    def check():
        state = state_of(course)
        return state if condition(state) else None

    return eventually(page, campus["lock"], check, what)


def state_of(course) -> UnitState:
    return UnitState.objects.select_related("attempt__enrollment").get(attempt__enrollment__course=course)


def transcript_row(page, live_server, course):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{reverse('web:transcript', args=['campus'])}")
    row = page.locator("table.transcript tbody tr", has_text=course.title)
    expect(row).to_have_count(1)
    return row


def assert_transcript_shows(page, live_server, course, status: str, score: str) -> None:
    from playwright.sync_api import expect

    row = transcript_row(page, live_server, course)
    expect(row.locator('td[data-label="Status"]')).to_have_text(status)
    expect(row.locator('td[data-label="Score"]')).to_have_text(score)
    expect(row.locator('td[data-label="Progress"]')).to_contain_text("100%")
    spent = row.locator('td[data-label="Time spent"]').inner_text()
    assert re.fullmatch(r"\d+ s|\d+ min|\d+ h( \d+ min)?", spent) and spent != "0 min", spent


def test_a_learner_completes_the_golf_scorm12_course_with_score_and_time(browser, live_server, campus):
    from playwright.sync_api import expect

    course = import_golf(campus, GOLF_12)
    page, dialogs = open_page(browser)
    sign_in(page, live_server)
    attempt = start(page, live_server, campus, course)

    expect(page.locator(".toc-unit.current [data-status]")).to_have_text("Not started")
    next_pages(page, GOLF_PAGES - 1)
    take_the_knowledge_check(page)
    page.wait_for_timeout(1100)  # the golf SCO reports whole seconds in SCORM 1.2
    golf_frame(page)[0].locator("#butExit").click()

    state = state_when(page, campus, course, lambda s: s.lesson_status == "passed", "the passed status")
    expect(page.locator(".toc-unit.current [data-status]")).to_have_text("Passed")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert (state.score_raw, state.score_min, state.score_max, state.location) == (100, 0, 100, "14")
    assert state.total_time_seconds >= 1
    assert state.data["cmi.core.lesson_status"] == "passed"
    with campus["lock"]:
        attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.progress, attempt.time_source) == (
        LearningStatus.PASSED, 100, 100, "measured",
    )
    assert_transcript_shows(page, live_server, course, "Passed", "100")
    assert dialogs.alerts == []


def test_a_learner_completes_the_golf_scorm2004_course_with_completion_and_success(browser, live_server, campus):
    course = import_golf(campus, GOLF_2004)
    page, dialogs = open_page(browser)
    sign_in(page, live_server)
    start(page, live_server, campus, course)

    next_pages(page, GOLF_PAGES - 1)
    take_the_knowledge_check(page)
    page.wait_for_timeout(1100)
    golf_frame(page)[0].locator("#butExit").click()

    state = state_when(page, campus, course, lambda s: s.success_status == "passed", "the success")
    assert (state.lesson_status, state.score_scaled, state.score_raw) == ("completed", 1, 100)
    assert state.total_time_seconds >= 1
    assert (state.exit_mode, state.data["adl.nav.request"]) == ("", "exitAll")
    assert_transcript_shows(page, live_server, course, "Passed", "100")
    assert dialogs.alerts == []


def test_a_reload_mid_course_and_a_second_tab_never_lose_the_completion(browser, live_server, campus):
    from playwright.sync_api import expect

    course = import_golf(campus, GOLF_12)
    page, dialogs = open_page(browser)
    sign_in(page, live_server)
    start(page, live_server, campus, course)
    player = page.url
    next_pages(page, 3)
    page.wait_for_timeout(1100)

    # A reload mid-course: the SCO's unload saves its bookmark, time and "suspend"; the new page
    # resumes there.
    page.reload()
    suspended = state_when(page, campus, course, lambda s: s.sessions == 1, "the suspended session")
    assert (suspended.location, suspended.exit_mode, suspended.lesson_status) == ("3", "suspend", "incomplete")
    assert suspended.total_time_seconds >= 1
    eventually(page, campus["lock"], lambda: dialogs.confirms, "the resume question")
    assert dialogs.confirms == ["Would you like to resume from where you previously left off?"]
    assert page.evaluate("API.LMSGetValue('cmi.core.entry')") == "resume"
    expect(golf_frame(page)[1].locator("h1").first).to_have_text("Other Scoring Systems")

    # A second tab opens the same unit before the first finishes.
    stale, stale_dialogs = open_page(browser)
    stale.goto(player)
    eventually(stale, campus["lock"], lambda: stale_dialogs.confirms, "the resume question in the second tab")

    page.bring_to_front()
    next_pages(page, GOLF_PAGES - 1 - 3)
    take_the_knowledge_check(page)
    golf_frame(page)[0].locator("#butExit").click()
    eventually(page, campus["lock"], lambda: state_of(course).lesson_status == "passed", "the passed status")

    # The stale tab still believes the unit is incomplete, says so, and is closed.
    stale.bring_to_front()
    assert stale.evaluate("API.LMSSetValue('cmi.core.lesson_status', 'incomplete')") == "true"
    assert stale.evaluate("API.LMSCommit('')") == "true"
    stale.close(run_before_unload=True)
    final = state_when(page, campus, course, lambda s: (s.sessions, s.exit_mode) == (3, "suspend"),
                       "the second tab's last commit")

    assert (final.lesson_status, final.score_raw) == ("passed", 100)
    assert final.data["cmi.core.lesson_status"] == "incomplete"  # what the stale tab said, kept as raw data
    with campus["lock"]:
        enrollment = Enrollment.objects.get(course=course)
    assert (enrollment.status, enrollment.progress) == (LearningStatus.PASSED, 100)
    assert_transcript_shows(page, live_server, course, "Passed", "100")
    assert dialogs.alerts == [] and stale_dialogs.alerts == []


def test_the_scorm12_api_answers_with_the_standard_error_codes(browser, live_server, campus):
    course, _, units = scorm_course(campus["group"], format="scorm12", mastery=80, title="API check 1.2")
    page, _ = open_page(browser)
    sign_in(page, live_server)
    start(page, live_server, campus, course)

    calls = page.evaluate("""() => {
        const api = window.API, out = [];
        const call = (label, fn) => out.push([label, String(fn()), api.LMSGetLastError()]);
        call("get before init", () => api.LMSGetValue("cmi.core.student_id"));
        call("init with argument", () => api.LMSInitialize("x"));
        call("init", () => api.LMSInitialize(""));
        call("init again", () => api.LMSInitialize(""));
        call("student", () => api.LMSGetValue("cmi.core.student_name"));
        call("mastery", () => api.LMSGetValue("cmi.student_data.mastery_score"));
        call("version", () => api.LMSGetValue("cmi._version"));
        call("children", () => api.LMSGetValue("cmi.core._children"));
        call("bad status", () => api.LMSSetValue("cmi.core.lesson_status", "done"));
        call("not attempted", () => api.LMSSetValue("cmi.core.lesson_status", "not attempted"));
        call("read only", () => api.LMSSetValue("cmi.core.student_id", "x"));
        call("keyword", () => api.LMSSetValue("cmi.core._children", "x"));
        call("write only", () => api.LMSGetValue("cmi.core.exit"));
        call("no children", () => api.LMSGetValue("cmi.core.lesson_location._children"));
        call("not an array", () => api.LMSGetValue("cmi.core._count"));
        call("unknown", () => api.LMSGetValue("cmi.core.nothing"));
        call("not implemented", () => api.LMSGetValue("cmi.student_preference.audio"));
        call("score over 100", () => api.LMSSetValue("cmi.core.score.raw", "101"));
        call("bad time", () => api.LMSSetValue("cmi.core.session_time", "PT5S"));
        call("long suspend", () => api.LMSSetValue("cmi.suspend_data", "x".repeat(4097)));
        call("out of order", () => api.LMSSetValue("cmi.interactions.1.id", "q2"));
        call("interaction", () => api.LMSSetValue("cmi.interactions.0.id", "q1"));
        call("interaction count", () => api.LMSGetValue("cmi.interactions._count"));
        call("interaction write only", () => api.LMSGetValue("cmi.interactions.0.id"));
        // Asking about errors leaves the last error as it was.
        call("error string", () => api.LMSGetErrorString("405"));
        call("score", () => api.LMSSetValue("cmi.core.score.raw", 85));
        call("status", () => api.LMSSetValue("cmi.core.lesson_status", "completed"));
        call("time", () => api.LMSSetValue("cmi.core.session_time", "0000:01:30.5"));
        call("location", () => api.LMSSetValue("cmi.core.lesson_location", 7));
        call("commit", () => api.LMSCommit(""));
        call("finish", () => api.LMSFinish(""));
        call("get after finish", () => api.LMSGetValue("cmi.core.lesson_status"));
        return out;
    }""")

    assert calls == [
        ["get before init", "", "301"], ["init with argument", "false", "201"], ["init", "true", "0"],
        ["init again", "false", "101"], ["student", "Berg, Lena", "0"], ["mastery", "80", "0"],
        ["version", "3.4", "0"],
        ["children", "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,"
                     "lesson_mode,exit,session_time", "0"],
        ["bad status", "false", "405"], ["not attempted", "false", "405"], ["read only", "false", "403"],
        ["keyword", "false", "402"], ["write only", "", "404"], ["no children", "", "202"],
        ["not an array", "", "203"], ["unknown", "", "201"], ["not implemented", "", "401"],
        ["score over 100", "false", "405"], ["bad time", "false", "405"], ["long suspend", "false", "405"],
        ["out of order", "false", "201"], ["interaction", "true", "0"], ["interaction count", "1", "0"],
        ["interaction write only", "", "404"], ["error string", "Incorrect data type", "404"],
        ["score", "true", "0"], ["status", "true", "0"], ["time", "true", "0"], ["location", "true", "0"],
        ["commit", "true", "0"], ["finish", "true", "0"], ["get after finish", "", "301"],
    ]
    state = state_when(page, campus, course, lambda s: s.lesson_status == "passed", "the commits")
    assert (state.score_raw, state.location, state.total_time_seconds, state.exit_mode) == (85, "7", 90, "")
    assert state.data["cmi.interactions.0.id"] == "q1"
    assert units[0].pk == state.unit_id


def test_the_scorm2004_api_answers_with_the_standard_error_codes_and_saves_on_unload(browser, live_server, campus):
    course, _, _ = scorm_course(campus["group"], format="scorm2004", mastery=80, title="API check 2004")
    page, _ = open_page(browser)
    sign_in(page, live_server)
    start(page, live_server, campus, course)

    calls = page.evaluate("""() => {
        const api = window.API_1484_11, out = [];
        const call = (label, fn) => out.push([label, String(fn()), api.GetLastError()]);
        call("no 1.2 api", () => typeof window.API);
        call("get before init", () => api.GetValue("cmi.learner_id"));
        call("set before init", () => api.SetValue("cmi.location", "1"));
        call("terminate before init", () => api.Terminate(""));
        call("init", () => api.Initialize(""));
        call("init again", () => api.Initialize(""));
        call("learner", () => api.GetValue("cmi.learner_name"));
        call("completion", () => api.GetValue("cmi.completion_status"));
        call("passing score", () => api.GetValue("cmi.scaled_passing_score"));
        call("uninitialised", () => api.GetValue("cmi.location"));
        call("undefined", () => api.GetValue("cmi.nothing"));
        call("no children", () => api.GetValue("cmi.location._children"));
        call("write only", () => api.GetValue("cmi.exit"));
        call("read only", () => api.SetValue("cmi.learner_id", "x"));
        call("keyword", () => api.SetValue("cmi.score._children", "x"));
        call("type mismatch", () => api.SetValue("cmi.score.scaled", "high"));
        call("out of range", () => api.SetValue("cmi.score.scaled", "1.5"));
        call("bad vocabulary", () => api.SetValue("cmi.completion_status", "passed"));
        call("bad duration", () => api.SetValue("cmi.session_time", "0000:00:05"));
        call("no id yet", () => api.SetValue("cmi.objectives.0.score.raw", "5"));
        call("out of order", () => api.SetValue("cmi.objectives.1.id", "obj-2"));
        call("objective", () => api.SetValue("cmi.objectives.0.id", "obj-1"));
        call("objective score", () => api.SetValue("cmi.objectives.0.score.raw", "5"));
        call("no type yet", () => (api.SetValue("cmi.interactions.0.id", "q1"),
                                   api.SetValue("cmi.interactions.0.learner_response", "a")));
        call("nav request", () => api.SetValue("adl.nav.request", "{target=item-2}choice"));
        call("nav valid", () => api.GetValue("adl.nav.request_valid.continue"));
        call("preference", () => api.GetValue("cmi.learner_preference.audio_level"));
        call("scaled", () => api.SetValue("cmi.score.scaled", "0.7"));
        call("success decided by the passing score", () => (api.SetValue("cmi.success_status", "passed"),
                                                             api.GetValue("cmi.success_status")));
        call("completion set", () => api.SetValue("cmi.completion_status", "completed"));
        call("location", () => api.SetValue("cmi.location", "page-3"));
        call("time", () => api.SetValue("cmi.session_time", "PT2M5.25S"));
        call("error string", () => api.GetErrorString("408"));
        call("commit", () => api.Commit(""));
        return out;
    }""")

    assert calls == [
        ["no 1.2 api", "undefined", "0"], ["get before init", "", "122"], ["set before init", "false", "132"],
        ["terminate before init", "false", "112"], ["init", "true", "0"], ["init again", "false", "103"],
        ["learner", "Berg, Lena", "0"], ["completion", "unknown", "0"], ["passing score", "0.8", "0"],
        ["uninitialised", "", "403"], ["undefined", "", "401"], ["no children", "", "301"],
        ["write only", "", "405"], ["read only", "false", "404"], ["keyword", "false", "404"],
        ["type mismatch", "false", "406"], ["out of range", "false", "407"], ["bad vocabulary", "false", "406"],
        ["bad duration", "false", "406"], ["no id yet", "false", "408"], ["out of order", "false", "351"],
        ["objective", "true", "0"], ["objective score", "true", "0"], ["no type yet", "false", "408"],
        ["nav request", "true", "0"], ["nav valid", "unknown", "0"], ["preference", "1", "0"],
        ["scaled", "true", "0"], ["success decided by the passing score", "failed", "0"],
        ["completion set", "true", "0"], ["location", "true", "0"], ["time", "true", "0"],
        ["error string", "Data Model Dependency Not Established", "0"], ["commit", "true", "0"],
    ]
    committed = state_when(page, campus, course, lambda s: s.lesson_status == "completed", "the commit")
    assert (committed.success_status, committed.location, committed.total_time_seconds) == ("failed", "page-3", 125)

    # Changes not committed yet leave with a beacon when the page goes away.
    page.evaluate("API_1484_11.SetValue('cmi.location', 'page-9')")
    page.evaluate("API_1484_11.SetValue('cmi.session_time', 'PT3M')")
    page.goto(f"{live_server.url}{reverse('web:transcript', args=['campus'])}")
    left = state_when(page, campus, course, lambda s: s.location == "page-9", "the unload beacon")
    assert (left.total_time_seconds, left.sessions) == (180, 1)
    assert left.data["adl.nav.request"] == "{target=item-2}choice"


def test_a_scorm2004_completion_threshold_lets_the_progress_measure_decide_in_the_browser(
    browser, live_server, campus
):
    course, _, _ = scorm_course(campus["group"], format="scorm2004", title="Threshold check",
                                completion_threshold=Decimal("0.75"))
    page, _ = open_page(browser)
    sign_in(page, live_server)
    start(page, live_server, campus, course)

    calls = page.evaluate("""() => {
        const api = window.API_1484_11, out = [];
        const call = (label, fn) => out.push([label, String(fn())]);
        api.Initialize("");
        call("threshold", () => api.GetValue("cmi.completion_threshold"));
        call("says completed at half", () => (api.SetValue("cmi.completion_status", "completed"),
                                              api.SetValue("cmi.progress_measure", "0.5"),
                                              api.GetValue("cmi.completion_status")));
        call("reaches the threshold", () => (api.SetValue("cmi.progress_measure", "0.75"),
                                             api.GetValue("cmi.completion_status")));
        call("commit", () => api.Commit(""));
        return out;
    }""")

    assert calls == [["threshold", "0.75"], ["says completed at half", "incomplete"],
                     ["reaches the threshold", "completed"], ["commit", "true"]]
    saved = state_when(page, campus, course, lambda s: s.lesson_status == "completed", "the completion")
    assert saved.progress == 100
