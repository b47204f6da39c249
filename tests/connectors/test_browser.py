"""In Chromium: an admin connects OpenClassrooms on a subgroup (against the fake server), tests the
connection, syncs now with a progress bar, and sees the courses."""

import pytest

from coursebridge.connectors.models import SyncRun
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, training_admin_of
from tests.fakes.openclassrooms import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, FakeOpenClassrooms, fake_course
from tests.web.test_browser import page  # noqa: F401 (the chromium page fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        server.courses = [
            fake_course("101", "Discover Python", categories=["Data & AI"]),
            fake_course("102", "Master SQL", status="coming-soon", categories=["Data & AI"]),
            fake_course("103", "Old Flash course", status="closed"),
        ]
        yield server


def test_admin_connects_openclassrooms_on_a_subgroup_syncs_and_sees_the_courses(
        page, live_server, fake, eager_tasks):  # noqa: F811
    from playwright.sync_api import expect

    academy = AcademyFactory(slug="oc-browser", name="Harbour Academy")
    europe = GroupFactory(academy=academy, name="Europe")
    team = GroupFactory(academy=academy, parent=europe, name="Data team")
    training_admin_of(academy, username="olga")

    page.goto(f"{live_server.url}/accounts/login/?next=/a/oc-browser/admin/connections/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Connect OpenClassrooms").click()
    page.select_option("#id_group", str(team.pk))
    page.fill("#id_cred_client_id", CLIENT_ID)
    page.fill("#id_cred_client_secret", CLIENT_SECRET)
    page.fill("#id_cred_organization_id", ORGANIZATION_ID)
    page.fill("#id_api_url", fake.url)
    page.fill("#id_token_url", fake.token_url)
    page.get_by_role("button", name="Connect").click()

    expect(page.locator(".messages")).to_contain_text("OpenClassrooms is connected.")
    expect(page.locator("#id_cred_client_secret")).to_have_value("")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-feedback")).to_have_text("Connected: the organisation's catalogue has 3 courses.")

    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#connection-feedback .job-done")).to_contain_text("Done")
    assert SyncRun.objects.get().created == 2

    page.goto(f"{live_server.url}/a/oc-browser/admin/connections/")
    expect(page.locator("table")).to_contain_text("Data team")
    expect(page.locator("table")).to_contain_text("succeeded")
    page.goto(f"{live_server.url}/a/oc-browser/admin/courses/?q=openclassrooms")
    rows = page.locator("table.courses tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.courses")).to_contain_text("Discover Python")
    expect(page.locator("table.courses")).to_contain_text("Master SQL")
