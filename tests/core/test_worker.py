"""A real Celery worker process runs a real task against the test database (tests/worker.py says
which broker and database)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from coursebridge.catalog.exports import course_export_start
from coursebridge.core.models import Job, JobStatus
from tests.factories import AcademyFactory, CourseFactory, training_admin_of
from tests.worker import worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path: Path):
    with worker_process(tmp_path) as process:
        yield process


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
