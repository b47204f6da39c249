"""In Chromium: an admin switches OpenSesame on in the Control Panel (against the fake server), tests
the connection and syncs now; a learner finds the course, presses START, lands on the AU "at
OpenSesame" (served by the fake server), which talks HACP to the academy; the
completion is on the transcript."""

import pytest

from coursebridge.connectors.models import SyncRun
from coursebridge.learning.models import Enrollment
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.opensesame import CIID, CLIENT_ID, CLIENT_SECRET, FakeOpenSesame, os_course
from tests.web.test_browser import page  # noqa: F401 (the chromium page fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A minimal AU: reads aicc_sid and aicc_url, then GetParam, PutParam (passed, 85, 12 minutes), ExitAU.
AU_PAGE = """<!doctype html><title>OpenSesame AU</title><p id="state">starting</p><script>
const q = new URLSearchParams(location.search);
const sid = q.get("aicc_sid"), url = q.get("aicc_url");
async function send(command, data) {
  const body = new URLSearchParams({command: command, version: "4.0", session_id: sid, aicc_data: data || ""});
  const answer = await fetch(url, {method: "POST", body: body});
  return answer.text();
}
(async () => {
  await send("GetParam");
  await send("PutParam", "[Core]\\r\\nLesson_Status=passed\\r\\nScore=85\\r\\nTime=00:12:00");
  await send("ExitAU");
  document.getElementById("state").textContent = "finished";
})();
</script>"""


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        server.au_page = AU_PAGE
        server.courses = [
            os_course("os-101", "Leading Teams", aiccLaunchUrl=f"{server.url}/aicc/os-101/"),
            os_course("os-102", "Delegation", aiccLaunchUrl=f"{server.url}/aicc/os-102/"),
        ]
        yield server


def test_admin_switches_opensesame_on_and_a_learner_completes_a_course_at_opensesame(
        page, live_server, fake, eager_tasks):  # noqa: F811
    from playwright.sync_api import expect

    academy = AcademyFactory(slug="os-browser", name="Harbour Academy")
    team = GroupFactory(academy=academy, name="Sales team")
    training_admin_of(academy, username="olga")
    learner_in(team, username="lena")

    page.goto(f"{live_server.url}/accounts/login/?next=/a/os-browser/admin/control-panel/content-providers/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Connect external content providers to your academy")
    page.check("#id_enabled")
    page.fill("#id_ciid", CIID)
    page.check("input[name=logo][value=custom]")
    page.fill("#id_client_id", CLIENT_ID)
    page.fill("#id_client_secret", CLIENT_SECRET)
    page.select_option("#id_group", str(team.pk))
    page.fill("#id_api_url", fake.url)
    page.fill("#id_token_url", fake.token_url)
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text("OpenSesame settings saved.")
    expect(page.locator("#id_client_secret")).to_have_value("")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-feedback")).to_contain_text("Connected: courses delivered to the CIID")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#connection-feedback .job-done")).to_contain_text("Done")
    assert SyncRun.objects.get().created == 2

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next=/a/os-browser/catalogue/%3Fq%3Dleading")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Leading Teams").first.click()
    page.get_by_role("button", name="START").click()
    expect(page.locator("#state")).to_have_text("finished")
    assert page.url.startswith(f"{fake.url}/aicc/os-101/?aicc_sid=")

    enrollment = Enrollment.objects.get(user__username="lena")
    assert (enrollment.status, float(enrollment.score or 0)) == ("passed", 85.0)
    page.goto(f"{live_server.url}/a/os-browser/transcript/")
    expect(page.locator("main")).to_contain_text("Leading Teams")
