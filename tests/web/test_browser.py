"""A learner's whole path in a real browser: sign in, live search, course page, START, transcript,
and an archived course refused. Drives Debian's chromium through Playwright against the live server."""

from pathlib import Path

import pytest
from django.conf import settings

from coursebridge.catalog.services import course_archive
from tests.browser import chromium_context
from tests.factories import PASSWORD, AcademyFactory, CategoryFactory, CourseFactory, GroupFactory, learner_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(settings.VAR_DIR) / "screenshots" / "catalogue.png"


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=10_000) as context:
        yield context.new_page()


@pytest.fixture
def campus(live_server):
    academy = AcademyFactory(slug="campus", name="Riverside Academy")
    group = GroupFactory(academy=academy, name="Sales team")
    learner = learner_in(group, username="lena", first_name="Lena", last_name="Berg")
    business = CategoryFactory(academy=academy, name="Business")
    leadership = CategoryFactory(academy=academy, name="Leadership", parent=business)
    technology = CategoryFactory(academy=academy, name="Technology")
    launch_url = f"{live_server.url}/static/web/app.css"
    courses = {}
    for title, category, minutes, description in [
        ("Negotiation essentials", business, 45, "Prepare, open and close a negotiation that works for both sides."),
        ("Leading remote teams", leadership, 90, "Rituals, trust and feedback for teams spread across time zones."),
        ("Python for analysts", technology, 240, "From spreadsheets to scripts: pandas, plots and clean data."),
        ("Giving feedback", leadership, 30, "Say what you saw, what it caused, and what you would like next."),
        ("Legacy compliance", business, 60, "The former compliance module, kept for records."),
        ("Cloud fundamentals", technology, 120, "Regions, networks, storage and costs, without the jargon."),
    ]:
        course = CourseFactory(academy=academy, title=title, description=description, duration_minutes=minutes,
                               language="en", launch_url=launch_url, placed_in=group)
        course.categories.add(category)
        courses[title] = course
    return {"academy": academy, "learner": learner, "courses": courses, "launch_url": launch_url}


def test_learner_signs_in_searches_starts_and_finds_the_course_on_the_transcript(page, live_server, campus):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    expect(page).to_have_url(f"{live_server.url}/a/campus/catalogue/")
    cards = page.locator("#results .course-card")
    expect(cards).to_have_count(6)
    expect(page.locator(".topbar .brand")).to_have_text("Riverside Academy")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Live search: the results change in place, without a page load.
    page.evaluate("window.stillTheSamePage = true")
    page.locator("input[name=q]").press_sequentially("negot", delay=40)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Negotiation essentials")
    expect(page).to_have_url(f"{live_server.url}/a/campus/catalogue/?q=negot")
    assert page.evaluate("window.stillTheSamePage") is True

    cards.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Negotiation essentials")
    expect(page.locator(".facts")).to_contain_text("45 min")
    page.get_by_role("button", name="START").click()
    expect(page).to_have_url(campus["launch_url"])

    page.goto(f"{live_server.url}/a/campus/transcript/")
    row = page.locator("table.transcript tbody tr", has_text="Negotiation essentials")
    expect(row).to_have_count(1)
    expect(row.locator('td[data-label="Status"]')).to_have_text("In progress")
    expect(row.locator('td[data-label="Attempts"]')).to_have_text("1")


def test_archived_course_is_labelled_and_its_launch_refused_with_the_message(page, live_server, campus):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/?next=/a/campus/catalogue/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    legacy = campus["courses"]["Legacy compliance"]
    page.goto(f"{live_server.url}/a/campus/courses/{legacy.pk}/")
    start = page.get_by_role("button", name="START")
    expect(start).to_be_visible()

    # The course is archived while the learner looks at its page: START is refused with the reason.
    course_archive(course=legacy, reason="Replaced by the 2026 module")
    start.click()
    expect(page.locator("h1")).to_have_text("This course cannot be started")
    expect(page.locator(".refusal")).to_have_text("'Legacy compliance' is archived and cannot be launched.")

    page.get_by_role("link", name="Back to the course").click()
    expect(page.locator("h1 .badge")).to_have_text("Archived")
    expect(page.locator(".alert.warning")).to_have_text("This course is archived and cannot be launched.")
    expect(page.get_by_role("button", name="START")).to_have_count(0)
