"""Seed 000 in Chromium: a customer admin signs in, opens a List from the account menu, selects a
Group and a single course, adds PPU licenses (progress bar, confirmation), delivers to a push
integration through Send to Integration (banner, View Status, My Courses; the LMS is notified), then
delivers to a legacy integration: Review and Send, the Pending tab, the trash, Send to LMS with its
progress bar, and the History tab."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from coursebridge.marketplace import services, tasks
from coursebridge.marketplace.models import Delivery, License
from tests.browser import chromium_context
from tests.marketplace import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def page(monkeypatch):
    with chromium_context(monkeypatch, timeout_ms=10_000) as context:
        yield context.new_page()


@pytest.fixture
def worker(monkeypatch):
    """A worker in this process: each task runs in a thread of its own a moment after it is enqueued,
    so the page shows the job waiting and moving before it ends."""
    threads: list[threading.Thread] = []

    def later(task):
        def enqueue(*args):
            def run():
                try:
                    task.apply(args=args)
                finally:
                    connections.close_all()

            timer = threading.Timer(0.8, run)
            threads.append(timer)
            timer.start()

        return enqueue

    for task in (tasks.library_add, tasks.deliver, tasks.legacy_send, tasks.send_webhook):
        monkeypatch.setattr(task, "delay", later(task))
    yield
    for thread in threads:
        thread.join(timeout=10)


@pytest.fixture
def shop(media, fake_lms):
    account = f.account(slug="demo", name="Demo Corp")
    f.admin_of(account, "maya")
    pub = f.publisher("Skillwave Learning")
    leadership = [f.course(pub, title=t) for t in ("Leading Teams", "Delegation", "Coaching Conversations")]
    safety = [f.course(pub, title=t) for t in ("Fire Safety", "First Aid", "Manual Handling")]
    course_list = services.list_create(account=account, title="New Manager Essentials",
                                       groups=[("Foundations", leadership), ("Safety", safety)])
    push = f.integration(account, "push", name="Demo Academy", webhook_url=fake_lms.webhook_url)
    legacy = f.integration(account, "legacy", name="Legacy LMS")
    return {"account": account, "list": course_list, "push": push, "legacy": legacy, "leadership": leadership,
            "safety": safety, "lms": fake_lms}


def test_a_customer_admin_walks_seed_000(page, live_server, shop, worker):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/marketplace/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Demo Corp")

    # Account menu -> Lists -> the List.
    page.locator("#account-menu summary").click()
    page.locator("#account-menu").get_by_role("link", name="Lists").click()
    page.get_by_role("link", name="New Manager Essentials").click()
    expect(page.locator("#list-actions")).to_be_hidden()

    # A whole Group and a single course; the buttons appear with the first selection.
    page.get_by_label("Select the group Foundations").check()
    page.get_by_label("Select First Aid").check()
    expect(page.locator("#selected-count")).to_have_text("4 courses selected")
    expect(page.locator("#list-actions")).to_be_visible()
    page.get_by_role("button", name="Add to Library").click()
    expect(page.locator(".job progress")).to_be_visible()
    expect(page.locator("#job-done")).to_have_text("Added 4 Pay Per Use licenses to your library.", timeout=15_000)
    assert License.objects.filter(kind="ppu").count() == 4

    # Select everything and deliver: the two unlicensed courses are removed from the queue.
    page.get_by_label("Select all").check()
    expect(page.locator("#selected-count")).to_have_text("6 courses selected")
    page.get_by_role("button", name="Deliver Courses").click()
    expect(page.locator("#refused")).to_contain_text("“Fire Safety”, “Manual Handling”")
    expect(page.locator("#integration-choice")).to_be_hidden()
    page.locator("#more-options summary").click()
    page.get_by_role("button", name="Send to Integration").click()
    page.get_by_label("Demo Academy").check()
    page.screenshot(path=str(SCREENSHOTS / "marketplace-deliver.png"), full_page=True)
    page.locator("#deliver-confirm").click()
    banner = page.locator(".banner[data-kind=push]")
    expect(banner).to_contain_text("Demo Academy was notified: the courses appear in your learning platform in a few "
                                   "moments.", timeout=15_000)
    expect(page.locator("#job-done")).to_contain_text("Delivered 4 courses.")
    banner.get_by_role("link", name="View Status").click()
    rows = page.locator("#my-courses tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Demo Academy sent")
    page.screenshot(path=str(SCREENSHOTS / "marketplace-my-courses.png"), full_page=True)
    deadline = threading.Event()
    for _ in range(50):
        if shop["lms"].received:
            break
        deadline.wait(0.2)
    notice = json.loads(shop["lms"].received[0]["body"])
    assert notice["event"] == "content.delivered"
    assert notice["count"] == 4

    # The same courses to the legacy integration: a reminder, then the Courses dashboard.
    page.goto(f"{live_server.url}/marketplace/accounts/demo/lists/{shop['list'].pk}/")
    page.get_by_label("Select the group Foundations").check()
    page.get_by_role("button", name="Deliver Courses").click()
    page.locator("#more-options summary").click()
    page.get_by_role("button", name="Send to Integration").click()
    page.get_by_label("Legacy LMS").check()
    page.locator("#deliver-confirm").click()
    reminder = page.locator(".banner[data-kind=legacy]")
    expect(reminder).to_contain_text("One more step for Legacy LMS", timeout=15_000)
    reminder.get_by_role("link", name="Review and Send").click()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("Pending")
    queue = page.locator("#queue tbody tr")
    expect(queue).to_have_count(3)
    page.get_by_role("button", name="Remove Delegation").click()
    expect(page.locator(".messages")).to_contain_text("“Delegation” was removed from the queue.")
    expect(queue).to_have_count(2)
    page.get_by_role("button", name="Send to LMS").click()
    expect(page.locator(".job progress")).to_be_visible()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("History", timeout=15_000)
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "marketplace-history.png"), full_page=True)
    assert Delivery.objects.filter(integration=shop["legacy"], sent_at__isnull=False).count() == 2
