"""A real Celery worker process for tests marked `worker`, on the test database.

The broker is the one the settings name: Redis in `make test-redis` (CB_BROKER_URL), else the
embedded broker on a SQLite file in the var folder, which the worker process shares. Each test
process has its own queue (settings: CELERY_TASK_DEFAULT_QUEUE), so parallel test processes never
run each other's tasks against the wrong database. The database must be one a second process can
open: PostgreSQL, or SQLite on a file (`make test` runs the worker tests on both).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def worker_process(log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `coursebridge worker` (solo pool, no beat) on the test database; stop it at the end."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "this test needs a database a second process can open: `make test` runs it on a SQLite "
            "file (CB_TEST_SQLITE_NAME) and on PostgreSQL"
        )
    env = {**os.environ, "DATABASE_URL": database_url(), "CB_BROKER_URL": settings.CELERY_BROKER_URL,
           "CB_TASK_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE}
    log_path = log_dir / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coursebridge.cli", "worker", "--pool", "solo", "--no-beat", "--loglevel", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        process.log_path = log_path  # type: ignore[attr-defined]
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(check: Callable[[], object], *, worker: subprocess.Popen[bytes], seconds: float = 60,
             what: str = "the worker") -> object:
    """Poll `check` until it returns something true; fail with the worker's log when it never does."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        log = Path(worker.log_path).read_text()  # type: ignore[attr-defined]
        assert worker.poll() is None, f"the worker stopped:\n{log[-4000:]}"
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds:.0f} s; the worker's log ends with:\n{log[-4000:]}")
        time.sleep(0.3)
