"""A real Celery worker process runs a real task against the test database.

The broker is the one the settings name: Redis in `make test-redis` (CB_BROKER_URL), else the
embedded broker on a SQLite file in the var folder, which the worker process shares. The database
must be one a second process can open: PostgreSQL, or SQLite on a file.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from coursebridge.catalog.exports import course_export_start
from coursebridge.core.models import Job, JobStatus
from tests.factories import AcademyFactory, CourseFactory, training_admin_of

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path: Path):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the worker test needs a database a second process can open: `make test` runs it on a SQLite "
            "file (CB_TEST_SQLITE_NAME) and on PostgreSQL"
        )
    env = {**os.environ, "DATABASE_URL": database_url(), "CB_BROKER_URL": settings.CELERY_BROKER_URL}
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "coursebridge.cli", "worker", "--pool", "solo", "--no-beat", "--loglevel", "info"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    process.log_path = tmp_path / "worker.log"  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_worker_exports_the_course_list_as_a_job(worker):
    academy = AcademyFactory()
    admin = training_admin_of(academy)
    CourseFactory(academy=academy, title="Élan & leadership")
    CourseFactory(academy=academy, title="=1+1 not a formula")
    CourseFactory(academy=AcademyFactory(), title="Another academy's course")

    job = course_export_start(academy=academy, by=admin)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        assert worker.poll() is None, worker.log_path.read_text()
        time.sleep(0.3)
    assert job.status == JobStatus.SUCCEEDED, job.error or worker.log_path.read_text()[-3000:]
    assert job.counts == {"courses": 2}
    assert job.percent == 100
    with default_storage.open(job.result_file, "rb") as handle:
        raw = handle.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "title", "kind"]
    assert sorted(r[1] for r in rows[1:]) == ["'=1+1 not a formula", "Élan & leadership"]
    assert Job.objects.filter(pk=job.pk, status=JobStatus.SUCCEEDED).exists()
