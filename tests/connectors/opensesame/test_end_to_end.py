"""Seeds 000 and 001 together, over real HTTP, with the marketplace and the academy in one live server
and a real Celery worker: the marketplace's admin delivers courses to a push integration; its signed
notice reaches the academy, whose OpenSesame connector syncs them from the marketplace's provider
API; a learner launches one, the AU is served by the marketplace and reports over HACP to the
academy; the completion is on the transcript and in both sides' reports. Then the marketplace
retires the course: after the sync it is inactive, out of search, still on the transcript, and a new
learner's launch is refused."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from coursebridge.catalog.models import Course, CourseStatus
from coursebridge.connectors.models import SyncRun
from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save
from coursebridge.learning.models import Enrollment
from coursebridge.marketplace import services as market
from coursebridge.marketplace.credentials import credentials_issue
from coursebridge.marketplace.models import Launch
from tests.browser import chromium_context
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.http_session import HttpSession
from tests.marketplace import factories as mf
from tests.worker import wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WEBHOOK_SECRET = "end-to-end-webhook-secret"
TITLES = ("Leading Teams", "Delegation", "Coaching Conversations")


@pytest.fixture
def worker(tmp_path):
    with worker_process(tmp_path) as process:
        yield process


@pytest.fixture
def world(live_server, settings, tmp_path):
    """The marketplace (a publisher's three AICC courses, licensed to an account whose push integration
    is the academy) and the academy (its OpenSesame connection pointed at the marketplace)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    host = urlsplit(live_server.url).netloc
    publisher = mf.publisher("Skillwave Learning")
    courses = [mf.course(publisher, title=title, categories=["|Business|Leadership"]) for title in TITLES]
    account = mf.account(slug="harbour", name="Harbour Corp")
    mf.admin_of(account, "maya")
    course_list = market.list_create(account=account, title="New Manager Essentials",
                                     groups=[("Foundations", courses)])
    for course in courses:
        mf.license_for(account, course, "ppu")
    integration = mf.integration(
        account, "push", name="Harbour Academy", is_default=True, webhook_secret=WEBHOOK_SECRET, lms_hosts=host,
        webhook_url=f"{live_server.url}/api/academies/harbour/connectors/opensesame/webhook",
    )
    issued = credentials_issue(account=account, integration_name=integration.name)

    academy = AcademyFactory(slug="harbour", name="Harbour Academy")
    team = GroupFactory(academy=academy, name="Sales team")
    training_admin_of(academy, username="olga")
    learner_in(team, username="lena")
    learner_in(team, username="noah")
    api = f"{live_server.url}/marketplace/api"
    connection = opensesame_save(
        academy=academy, enabled=True, ciid=issued.ciid, logo="custom", group=team, client_id=issued.client_id,
        client_secret=issued.client_secret, webhook_secret=WEBHOOK_SECRET, api_url=api,
        token_url=f"{api}/oauth2/token",
    ).connection
    return {"base": live_server.url, "account": account, "list": course_list, "courses": courses,
            "integration": integration, "academy": academy, "connection": connection}


def catalogue_titles(session: HttpSession, query: str = "") -> list[str]:
    page = session.get("/a/harbour/catalogue/", params={"q": query})
    assert page.status_code == 200, page.text[:500]
    return sorted(set(re.findall(r'<div class="course-card-body">\s*<h3>([^<]+)</h3>', page.text)))


def launch(session: HttpSession, course: Course) -> httpx.Response:
    """START on the course page; the browser follows the redirects to the AU."""
    page = f"/a/harbour/courses/{course.pk}/"
    return session.submit(page, f"/a/harbour/courses/{course.pk}/start/", {})


def hacp(aicc_url: str, sid: str, command: str, data: str = "") -> str:
    answer = httpx.post(aicc_url, data={"command": command, "version": "4.0", "session_id": sid, "aicc_data": data},
                        timeout=30)
    assert answer.status_code == 200
    assert "error=0" in answer.text, answer.text
    return answer.text


def test_delivered_courses_appear_launch_complete_and_retire_across_both_sides(world, worker):
    base = world["base"]
    with HttpSession(base) as maya, HttpSession(base) as lena, HttpSession(base) as olga, \
            HttpSession(base) as noah:
        # The marketplace admin selects the List's courses and delivers them to the academy.
        maya.sign_in("/marketplace/login/", "maya", mf.PASSWORD)
        list_url = f"/marketplace/accounts/harbour/lists/{world['list'].pk}/"
        ids = [str(c.pk) for c in world["courses"]]
        delivered = maya.submit(list_url, f"{list_url}deliver", {
            "courses": ids, "confirm": "1", "integrations": [str(world["integration"].pk)]})
        assert delivered.status_code == 200, delivered.text[:500]
        assert "/deliveries/" in str(delivered.url)

        # Moments later the academy has them: the notice ran an incremental sync in the worker.
        lena.sign_in("/accounts/login/", "lena", PASSWORD)
        wait_for(lambda: catalogue_titles(lena, "") == sorted(TITLES), worker=worker,
                 what="the delivered courses appearing in the academy's catalogue")
        run = SyncRun.objects.get(connection=world["connection"])
        assert (run.trigger, run.full, run.created, run.state) == ("api", False, 3, "succeeded")
        course = Course.objects.get(academy=world["academy"], title="Leading Teams")
        assert (course.provider, course.status) == ("opensesame", CourseStatus.ACTIVE)
        assert catalogue_titles(lena, "leading") == ["Leading Teams"]

        # The learner launches it: the academy sends her to the marketplace, which asks the academy who
        # she is, takes a seat and serves the AU; the AU reports to the academy's HACP endpoint.
        au = launch(lena, course)
        assert au.status_code == 200, au.text[:500]
        assert str(au.url).startswith(f"{base}/marketplace/content/")
        query = parse_qs(urlsplit(str(au.url)).query)
        sid, aicc_url = query["aicc_sid"][0], query["aicc_url"][0]
        assert aicc_url.startswith(f"{base}/")
        assert "Student_ID=" in hacp(aicc_url, sid, "GetParam")
        hacp(aicc_url, sid, "PutParam", "[Core]\r\nLesson_Status=passed\r\nScore=92\r\nTime=00:14:00")
        hacp(aicc_url, sid, "ExitAU")

        enrollment = Enrollment.objects.get(user__username="lena", course=course)
        assert (enrollment.status, float(enrollment.score or 0)) == ("passed", 92.0)
        assert "Leading Teams" in lena.get("/a/harbour/transcript/").text

        # Reporting both ways: the academy's Activity Report has the provider course; the marketplace's
        # Activity Report has the launch that came from the academy.
        olga.sign_in("/accounts/login/", "olga", PASSWORD)
        report = olga.get("/a/harbour/admin/activity-report/", params={"provider": "opensesame"}).text
        row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Leading Teams(?:(?!</tr>).)*</tr>", report, re.S)
        assert row is not None, report[:2000]
        assert "opensesame" in row.group(0) and "Passed" in row.group(0)
        launches = Launch.objects.filter(course=world["courses"][0], account=world["account"])
        assert launches.count() == 1
        learner_key = launches.get().learner_key
        market_report = maya.get("/marketplace/accounts/harbour/activity/", params={"format": "csv"}).text
        assert f"Leading Teams,{world['courses'][0].code},{learner_key},Pay Per Use,1" in market_report

        # The publisher retires the course: the marketplace tells the academy, whose sync makes it
        # inactive: out of search, still on Lena's transcript, refused to a learner who never started.
        market.course_retire(course=world["courses"][0], reason="Outdated content")
        wait_for(lambda: Course.objects.get(pk=course.pk).status == CourseStatus.INACTIVE, worker=worker,
                 what="the retired course becoming inactive in the academy")
        assert catalogue_titles(lena, "") == ["Coaching Conversations", "Delegation"]
        assert "Leading Teams" in lena.get("/a/harbour/transcript/").text
        noah.sign_in("/accounts/login/", "noah", PASSWORD)
        refused = launch(noah, course)
        assert refused.status_code in {403, 404}
        assert not Enrollment.objects.filter(user__username="noah", course=course).exists()
        assert Launch.objects.filter(course=world["courses"][0]).count() == 1


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=15_000) as context:
        yield context.new_page()


@pytest.mark.browser
def test_the_same_flow_in_chromium(world, worker, page):
    from playwright.sync_api import expect

    base = world["base"]
    # The marketplace admin: the List, Select all, Deliver Courses to the academy's integration.
    page.goto(f"{base}/marketplace/login/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", mf.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/marketplace/accounts/harbour/lists/{world['list'].pk}/")
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Deliver Courses").click()
    expect(page.get_by_label("Harbour Academy")).to_be_checked()
    page.locator("#deliver-confirm").click()
    expect(page.locator(".banner[data-kind=push]")).to_contain_text("Harbour Academy was notified", timeout=60_000)

    # The learner finds the delivered course in the academy's catalogue.
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/a/harbour/catalogue/%3Fq%3Dleading")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    wait_for(lambda: Course.objects.filter(academy=world["academy"], title="Leading Teams").exists(), worker=worker,
             what="the delivered courses reaching the academy")
    page.reload()
    page.get_by_role("link", name="Leading Teams").first.click()
    expect(page.locator("main")).to_contain_text("Skillwave Learning")

    # START: the AU, served by the marketplace, greets her by the name the academy gave it over HACP.
    page.get_by_role("button", name="START").click()
    expect(page.locator("#status")).to_contain_text("Welcome", timeout=30_000)
    assert page.url.startswith(f"{base}/marketplace/content/")
    page.get_by_role("button", name="Pass (90)").click()
    expect(page.locator("#status")).to_have_text("Saved: passed with 90.")
    page.get_by_role("button", name="Exit").click()
    expect(page.locator("#status")).to_have_text("You have left the course.")
    enrollment = Enrollment.objects.get(user__username="lena", course__title="Leading Teams")
    assert (enrollment.status, float(enrollment.score or 0)) == ("passed", 90.0)
    page.goto(f"{base}/a/harbour/transcript/")
    expect(page.locator("main")).to_contain_text("Leading Teams")

    # Retired at the marketplace: inactive in the academy, out of search, still on the transcript.
    market.course_retire(course=world["courses"][0], reason="Outdated content")
    wait_for(lambda: Course.objects.get(pk=enrollment.course_id).status == CourseStatus.INACTIVE, worker=worker,
             what="the retired course becoming inactive in the academy")
    page.goto(f"{base}/a/harbour/catalogue/?q=leading")
    expect(page.locator("main")).not_to_contain_text("Leading Teams")
    page.goto(f"{base}/a/harbour/transcript/")
    expect(page.locator("main")).to_contain_text("Leading Teams")
