"""The AICC test AU in a real browser: imported from the shared test packages, launched by a learner
through START and the player, talking HACP to the live server, and its completion, score and time
on the transcript.

The AU loads jQuery from a public CDN; the browser is answered with the copy in tests/fakes/static
instead, and every other address off the live server is refused, so the test runs offline. The AU
has buttons for the bookmark and the status but none for a score, and it reports as its session
time the total it was given: in the last step the test fills the Score and Time lines of the AU's
own PutParam (what an AU with a quiz and a clock would send), and leaves the rest of the AU's
messages as they are.
"""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from coursebridge.content.models import UnitState
from coursebridge.content.services import package_import
from tests.browser import chromium_context
from tests.content.browser_helpers import Network, product_wsgi_stack
from tests.content.import_helpers import NO_TESTDATA, TESTDATA
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, learner_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PACKAGE = TESTDATA / "aicc-hacp-test-au.zip"
SCREENSHOT = Path(settings.VAR_DIR) / "screenshots" / "aicc-au.png"


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=10_000) as context:
        yield context.new_page()


@pytest.fixture
def campus(live_server):
    if not PACKAGE.exists():
        pytest.skip(NO_TESTDATA)
    academy = AcademyFactory(slug="campus", name="Riverside Academy")
    group = GroupFactory(academy=academy, name="Sales team")
    learner = learner_in(group, username="lena", first_name="Lena", last_name="Berg")
    with PACKAGE.open("rb") as source:
        imported = package_import(academy=academy, source=source, filename=PACKAGE.name, by=None, group=group)
    return {"academy": academy, "learner": learner, "course": imported.course}


def wait_for(check, timeout: float = 10.0):
    """Poll the database until `check()` returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def fast_path(live_server, monkeypatch):
    with product_wsgi_stack(live_server, monkeypatch) as answered:
        yield answered


def test_a_learner_completes_the_aicc_test_au_and_the_transcript_shows_it(page, live_server, campus, fast_path):
    from playwright.sync_api import expect

    network = Network(live_server.url)
    page.context.route("**/*", network)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{live_server.url}/accounts/login/?next=/a/campus/courses/{campus['course'].pk}/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("button", name="START").click()
    expect(page).to_have_url(re.compile(rf"{live_server.url}/a/campus/play/\d+/$"))

    au = page.frame_locator("iframe.player-frame")
    expect(au.locator("#apiLog")).to_contain_text("Sending Command: GETPARAM")
    expect(au.locator("#apiLog")).to_contain_text("error=0")
    # On load the AU reports itself incomplete.
    state = wait_for(lambda: UnitState.objects.filter(lesson_status="incomplete").first())
    assert state is not None

    au.get_by_role("button", name="Save current time to LMS as bookmark").click()
    bookmark = wait_for(lambda: UnitState.objects.get(pk=state.pk).location)
    assert bookmark

    # Back to the unit later (a new HACP session): the AU shows the bookmark GetParam returned.
    page.reload()
    expect(au.locator("#lblLessonLocation")).to_have_text(bookmark)

    network.scores = {"Score": "85,100,0", "Time": "00:02:30"}
    au.get_by_role("button", name="Set LMS to Passed").click()
    finished = wait_for(lambda: UnitState.objects.filter(pk=state.pk, lesson_status="passed").first())
    assert finished is not None
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.goto(f"{live_server.url}/a/campus/transcript/")
    row = page.locator("table.transcript tbody tr", has_text=campus["course"].title)
    expect(row.locator('td[data-label="Status"]')).to_have_text("Passed")
    expect(row.locator('td[data-label="Score"]')).to_have_text("85")
    expect(row.locator('td[data-label="Time spent"]')).to_have_text("2 min")
    expect(row.locator('td[data-label="Progress"]')).to_contain_text("100%")

    finished = UnitState.objects.get(pk=state.pk)
    assert (finished.score_raw, finished.score_max, finished.score_min) == (85, 100, 0)
    assert finished.total_time_seconds == 150
    assert finished.location == bookmark
    assert set(fast_path) == {"/content/hacp"}  # the AU's messages took the product's fast path
    assert finished.sessions == 2
    assert dialogs == []
    assert network.refused == []
    assert network.commands[:2] == ["GETPARAM", "PUTPARAM"]
