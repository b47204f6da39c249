"""In a real browser: an admin builds a program with courses (a provider course among them) and a
session, a learner follows it and completes a step, and the dashboard shows its charts."""

from pathlib import Path

import pytest
from django.conf import settings

from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.learning.services import attempt_record_progress
from coursebridge.reporting.services import activity_snapshot_measured
from tests.browser import chromium_context
from tests.factories import (
    PASSWORD,
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    learner_in,
    training_admin_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def browser_context(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=10_000) as context:
        yield context


@pytest.fixture
def campus(live_server):
    academy = AcademyFactory(slug="campus", name="Riverside Academy")
    team = GroupFactory(academy=academy, name="Data team")
    launch_url = f"{live_server.url}/static/web/app.css"
    return {
        "academy": academy, "team": team, "admin": training_admin_of(academy, username="ada"),
        "learner": learner_in(team, username="lena", first_name="Lena", last_name="Berg"),
        "welcome": CourseFactory(academy=academy, title="Welcome to data", launch_url=launch_url),
        "python": ProviderCourseFactory(academy=academy, title="Learn Python", provider="openclassrooms",
                                        launch_url=launch_url),
        "launch_url": launch_url,
    }


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_admin_builds_a_program_a_learner_completes_a_step_and_the_dashboard_charts_it(
        browser_context, live_server, campus):
    from playwright.sync_api import expect

    base = live_server.url
    admin = browser_context.new_page()
    sign_in(admin, base, "ada")
    admin.goto(f"{base}/a/campus/admin/programs/")
    admin.fill("#id_title", "Data foundations")
    admin.check("input[name=order][value=linear]")
    admin.get_by_role("button", name="Create the program").click()
    expect(admin.locator("h1")).to_have_text("Data foundations")
    for title, label in (("Welcome to data", "Web link"), ("Learn Python", "Provider course, openclassrooms")):
        admin.select_option("#id_course", label=f"{title} ({label})")
        admin.get_by_role("button", name="Add the step").click()
        # The steps section is swapped in place: wait for it before choosing the next course.
        expect(admin.locator("#program-steps [role=status]")).to_have_text(f"'{title}' added as the last step.")
    expect(admin.locator(".admin-steps .step-title")).to_have_text(["Welcome to data", "Learn Python"])
    # Steps reorder in place (htmx swaps the steps section), and the program is renamed the same way.
    admin.get_by_role("button", name="Move 'Learn Python' up").click()
    expect(admin.locator(".admin-steps .step-title")).to_have_text(["Learn Python", "Welcome to data"])
    admin.get_by_role("button", name="Move 'Learn Python' down").click()
    expect(admin.locator(".admin-steps .step-title")).to_have_text(["Welcome to data", "Learn Python"])
    expect(admin.locator("#program-steps [role=status]")).to_have_text("'Learn Python' is now step 2.")
    admin.get_by_text("Edit the title, description or order").click()
    admin.fill("#id_title", "Data foundations 101")
    admin.get_by_role("button", name="Save the program").click()
    expect(admin.locator("h1")).to_have_text("Data foundations 101")
    expect(admin.locator("#program-head [role=status]")).to_have_text("Program saved.")
    admin.fill("#id_name", "Spring cohort")
    admin.fill("#id_starts_on", "2020-01-01")
    admin.fill("#id_ends_on", "2099-12-31")
    admin.get_by_role("button", name="Create the session").click()
    expect(admin.locator("h1")).to_have_text("Spring cohort")
    admin.select_option("#id_group", label="— Data team")
    admin.get_by_role("button", name="Add").click()
    expect(admin.locator(".participants")).to_contain_text("Group Data team and its subgroups")

    learner = browser_context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner.set_default_timeout(10_000)
    sign_in(learner, base, "lena")
    learner.get_by_role("link", name="My programs").click()
    learner.get_by_role("link", name="Data foundations 101").click()
    steps = learner.locator("ol.steps > li")
    expect(steps.nth(0).locator(".step-state")).to_have_text("To do")
    expect(steps.nth(1).locator(".step-state")).to_have_text("Locked")
    expect(steps.nth(1)).to_contain_text("Complete 'Welcome to data' first.")
    steps.nth(0).get_by_role("button", name="START").click()
    expect(learner).to_have_url(campus["launch_url"])

    # The content reports the completion, as tracking does.
    enrollment = Enrollment.objects.get(user=campus["learner"])
    attempt_record_progress(attempt=enrollment.attempts.get(), status=LearningStatus.COMPLETED,
                            time_spent_seconds=1500)
    activity_snapshot_measured()
    learner.goto(f"{base}/a/campus/programs/")
    learner.get_by_role("link", name="Data foundations 101").click()
    expect(steps.nth(0).locator(".step-state")).to_have_text("Completed")
    expect(steps.nth(1).get_by_role("button", name="START")).to_be_visible()
    expect(learner.locator("#session-progress")).to_have_text("1 of 2 steps completed · 50%")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    learner.screenshot(path=str(SCREENSHOTS / "session.png"), full_page=True)
    learner.context.close()

    admin.goto(f"{base}/a/campus/admin/dashboard/")
    expect(admin.locator("figure.chart svg[role=img]")).to_have_count(5)
    expect(admin.locator("#kpi-completions strong")).to_have_text("1")
    expect(admin.locator("#kpi-active strong")).to_have_text("1")
    expect(admin.locator("#kpi-measured strong")).to_have_text("25 min")
    expect(admin.locator("#chart-status svg title").first).to_have_text("Completion status of enrollments")
    admin.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    admin.goto(f"{base}/a/campus/admin/activity-report/")
    expect(admin.locator("table.activity-report tbody tr")).to_have_count(1)
    expect(admin.locator('td[data-label="Entry point"]')).to_have_text("Program session: Spring cohort")
