"""The issue's last check, from the demo itself: in Chromium, the demo's learner finds the AICC test
AU and the golf SCORM 1.2 course the demo imported from the shared test packages, completes both, and
the transcript shows status, score and time. Skipped, saying why, when chromium or the shared test
packages are missing."""

from __future__ import annotations

import re
import time

import pytest

from coursebridge.catalog.models import Course
from coursebridge.content.models import UnitState
from coursebridge.web.demo import DEMO_PASSWORD, DEMO_SLUG, REAL_PACKAGES, TESTDATA_PACKAGES, demo_load
from tests.browser import chromium_context
from tests.content.browser_helpers import (
    GOLF_PAGES,
    Dialogs,
    Network,
    golf_frame,
    next_pages,
    requests_one_at_a_time,
    take_the_knowledge_check,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AICC_TITLE = "UniversitySite AICC Testing Tool"
GOLF_TITLE = "Golf Explained - Run-time Basic Calls"


@pytest.fixture
def demo(live_server, settings, tmp_path):
    """The demo loaded into the live server's database; yields the lock the test reads under."""
    missing = [name for name in REAL_PACKAGES if not (TESTDATA_PACKAGES / name).is_file()]
    if missing:
        pytest.skip(f"the shared test packages {', '.join(missing)} are not on this machine (../shared/testdata)")
    settings.MEDIA_ROOT = tmp_path / "media"
    with requests_one_at_a_time(live_server) as lock:
        with lock:
            demo_load()
        yield lock


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=15_000) as context:
        yield context.new_page()


def eventually(page, lock, check, what: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while True:
        with lock:
            value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


def state_of(title: str) -> UnitState | None:
    return UnitState.objects.filter(attempt__enrollment__course__title=title,
                                    attempt__enrollment__user__username="learner").first()


def open_from_the_catalogue(page, title: str) -> None:
    """Search the catalogue as a learner would, open the course and press START."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue", exact=True).click()
    search = page.get_by_label("Search courses")
    search.fill(title)
    search.press("Enter")
    card = page.locator(".course-card-link", has_text=title)
    expect(card).to_have_count(1)
    card.click()
    page.get_by_role("button", name="START").click()
    page.wait_for_url(re.compile(rf".*/a/{DEMO_SLUG}/play/\d+/$"))
    expect(page.locator(".player h1")).to_have_text(title)


def test_the_demo_learner_completes_the_aicc_test_au_and_the_golf_course(page, live_server, demo):
    from playwright.sync_api import expect

    network = Network(live_server.url)
    page.context.route("**/*", network)
    dialogs = Dialogs()
    page.on("dialog", dialogs)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "learner")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/a/{DEMO_SLUG}/.*"))

    # The AICC test AU: it reports itself incomplete on load; its "Passed" button finishes it, with
    # the score and session time an AU with a quiz and a clock would send.
    open_from_the_catalogue(page, AICC_TITLE)
    au = page.frame_locator("iframe.player-frame")
    expect(au.locator("#apiLog")).to_contain_text("error=0")
    eventually(page, demo, lambda: (s := state_of(AICC_TITLE)) and s.lesson_status == "incomplete", "the AU's start")
    network.scores = {"Score": "85,100,0", "Time": "00:02:30"}
    au.get_by_role("button", name="Set LMS to Passed").click()
    eventually(page, demo, lambda: state_of(AICC_TITLE).lesson_status == "passed", "the AU's pass")
    network.scores = None

    # The golf SCORM 1.2 course, through its pages and its knowledge check.
    open_from_the_catalogue(page, GOLF_TITLE)
    next_pages(page, GOLF_PAGES - 1)
    take_the_knowledge_check(page)
    page.wait_for_timeout(1100)  # the golf SCO reports whole seconds
    golf_frame(page)[0].locator("#butExit").click()
    eventually(page, demo, lambda: (s := state_of(GOLF_TITLE)) and s.lesson_status == "passed", "the golf pass")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My transcript").click()
    aicc = page.locator("table.transcript tbody tr", has_text=AICC_TITLE)
    golf = page.locator("table.transcript tbody tr", has_text=GOLF_TITLE)
    for row, score in ((aicc, "85"), (golf, "100")):
        expect(row.locator('td[data-label="Status"]')).to_have_text("Passed")
        expect(row.locator('td[data-label="Score"]')).to_have_text(score)
        expect(row.locator('td[data-label="Progress"]')).to_contain_text("100%")
    expect(aicc.locator('td[data-label="Time spent"]')).to_have_text("2 min")
    golf_time = golf.locator('td[data-label="Time spent"]').inner_text()
    assert re.fullmatch(r"\d+ s|\d+ min", golf_time) and golf_time not in {"0 s", "0 min"}, golf_time
    with demo:
        courses = set(Course.objects.filter(academy__slug=DEMO_SLUG, kind="package").values_list("title", flat=True))
    assert {AICC_TITLE, GOLF_TITLE} <= courses
    assert dialogs.alerts == []
    assert network.refused == []
