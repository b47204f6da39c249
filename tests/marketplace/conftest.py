from __future__ import annotations

import pytest

from tests.fakes.marketplace_lms import start_fake_lms


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fake_lms():
    state, server = start_fake_lms()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def eager_tasks():
    """Background jobs run as soon as their transaction commits, in the process that started them
    (nothing is left in the test broker for another test's worker to find)."""
    from coursebridge.config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
