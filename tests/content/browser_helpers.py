"""What the browser tests of package courses share: chromium's launch options, the network filter
that keeps the AICC test AU offline, the dialog recorder, the golf SCO's controls, and the lock that
lets the in-memory SQLite test database serve a live server and the test."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db import connections

JQUERY_CDN = "https://ajax.googleapis.com/ajax/libs/jquery/1.7.1/jquery.js"
# jQuery 1.12.4, the last of the 1.x line the AICC test AU was written for (it still has .unload()).
JQUERY = Path(settings.BASE_DIR) / "tests" / "fakes" / "static" / "jquery-1.12.4.min.js"
# The golf SCO's pages: 14 pages of content, then the knowledge check.
GOLF_PAGES = 15


class Network:
    """Answers the browser's requests: the live server goes through, the CDN's jQuery comes from
    the local copy, anything else is refused. When `scores` is set, the Score and Time lines of the
    AU's PutParam messages are filled in."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.scores: dict[str, str] | None = None
        self.refused: list[str] = []
        self.commands: list[str] = []

    def __call__(self, route) -> None:
        request = route.request
        if request.url == JQUERY_CDN:
            route.fulfill(status=200, content_type="application/javascript", body=JQUERY.read_bytes())
        elif not request.url.startswith(self.origin):
            self.refused.append(request.url)
            route.abort()
        elif request.method == "POST" and request.url.split("?")[0].endswith("/content/hacp"):
            fields = parse_qsl(request.post_data or "", keep_blank_values=True)
            self.commands.append(dict(fields).get("command", ""))
            if self.scores and dict(fields).get("command", "").lower() == "putparam":
                fields = [(name, self.fill(value) if name == "aicc_data" else value) for name, value in fields]
                route.continue_(post_data=urlencode(fields))
            else:
                route.continue_()
        else:
            route.continue_()

    def fill(self, aicc_data: str) -> str:
        assert self.scores is not None
        lines = []
        for line in aicc_data.split("\r\n"):
            key = line.partition("=")[0]
            lines.append(f"{key}={self.scores[key]}" if key in self.scores else line)
        return "\r\n".join(lines)


class Dialogs:
    """What the content said through alert/confirm. Confirms ("resume where you left off?") are
    accepted; an alert is how the golf SCO reports an API error, so the tests expect none."""

    def __init__(self) -> None:
        self.alerts: list[str] = []
        self.confirms: list[str] = []

    def __call__(self, dialog) -> None:
        if dialog.type == "confirm":
            self.confirms.append(dialog.message)
            dialog.accept()
        else:
            self.alerts.append(dialog.message)
            dialog.dismiss()


@contextmanager
def requests_one_at_a_time(live_server) -> Iterator[threading.Lock]:
    """On SQLite's in-memory test database, the live server's threads and the test share one
    connection, which does not take concurrent use ("database table is locked"). There, requests
    (two tabs, a beacon during a page load) are handled one at a time and the test reads the
    database between them, under the lock this yields. On PostgreSQL requests run concurrently, as
    in production; the lock then only orders the test's own reads."""
    lock = threading.Lock()
    connection = connections["default"]
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield lock
        return
    server = live_server.thread.httpd
    application = server.get_app()

    def one_at_a_time(environ, start_response):
        with lock:
            return application(environ, start_response)

    server.set_app(one_at_a_time)
    try:
        yield lock
    finally:
        server.set_app(application)


def golf_frame(page):
    """The golf SCO's launch page (inside the player's frame) and the content frame inside it."""
    sco = page.frame_locator("iframe.player-frame")
    return sco, sco.frame_locator("#contentFrame")


def next_pages(page, count: int) -> None:
    sco, content = golf_frame(page)
    for _ in range(count):
        sco.locator("#butNext").click()
    content.locator("h1").first.wait_for()


def take_the_knowledge_check(page) -> None:
    """Answer every question right: the golf quiz marks the right answers' rows with correctAnswer,
    and shows the numeric answers in brackets."""
    from playwright.sync_api import expect

    _, quiz = golf_frame(page)
    expect(quiz.locator("h1")).to_have_text("Knowledge Check")
    for choice in quiz.locator(".correctAnswer input[type=radio]").all():
        choice.check()
    for box in quiz.locator(".correctAnswer input[type=text]").all():
        hint = box.locator("xpath=..").inner_text()
        box.fill(re.search(r"\((\d+)\)", hint).group(1))
    quiz.locator("input[type=button][value='Submit Answers']").click()
    expect(quiz.locator("#test h3").first).to_have_text("Score: 100")


@contextmanager
def product_wsgi_stack(live_server, monkeypatch) -> Iterator[list[str]]:
    """The live server wrapped as config/wsgi.py wraps the product: HACP POSTs answered by
    content.hacp_wsgi ahead of Django's request cycle. Yields the paths the fast path answered."""
    from coursebridge.content.hacp_wsgi import HacpFastPath

    answered: list[str] = []
    answer = HacpFastPath._answer

    def counted(self, request):
        answered.append(request.path)
        return answer(self, request)

    monkeypatch.setattr(HacpFastPath, "_answer", counted)
    server = live_server.thread.httpd
    application = server.get_app()
    server.set_app(HacpFastPath(application))
    try:
        yield answered
    finally:
        server.set_app(application)

