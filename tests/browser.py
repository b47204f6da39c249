"""Chromium for the browser tests: Debian's chromium driven by Playwright, skipped with a message
that says why when it is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NO_CHROMIUM = "chromium is not installed: run `make browser-deps` as root"


@contextmanager
def chromium_context(monkeypatch: pytest.MonkeyPatch, *, timeout_ms: int = 10_000, **options: Any) -> Iterator[Any]:
    """A browser context (1280x900 unless `options` say otherwise) whose actions wait `timeout_ms`."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes between
    # browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        context.set_default_timeout(timeout_ms)
        try:
            yield context
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright ran opened connections in its context: close them here,
            # or PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()
