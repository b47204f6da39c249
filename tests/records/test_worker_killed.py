"""A worker killed in the middle of an apply: its lease expires by itself and nothing of the import
remains. The worker is a real process (the import-records command) on a database both can open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from coursebridge.accounts.models import User
from coursebridge.learning.models import Enrollment
from coursebridge.records.locks import lock_acquire, lock_is_live
from coursebridge.records.models import CreditRecord, ImportLock, ImportRun, RunStatus
from tests.factories import AcademyFactory, CourseFactory
from tests.records.factories import offer, write_csv
from tests.worker import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 20_000


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_a_killed_worker_leaves_nothing_half_written_and_its_lease_expires(tmp_path):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a database a second process can open: run with CB_TEST_SQLITE_NAME or PostgreSQL")
    course = CourseFactory(academy=AcademyFactory(slug="heart"), external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00")
    path = write_csv(tmp_path / "big.csv", ["external_email,complete,date_completed,credits,credit_type"] + [
        f"learner{i}@example.org,1,2024-01-02,2,ama_pra_1" for i in range(ROWS)])
    env = {**os.environ, "DATABASE_URL": database_url(), "CB_VAR_DIR": str(tmp_path / "var"),
           "CB_RECORDS_CHUNK": "50", "CB_RECORDS_LEASE_SECONDS": "2", "CB_RECORDS_HEARTBEAT_SECONDS": "0.5"}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "coursebridge.cli", "import-records", "--academy", "heart", "--course", "CARD-1",
         str(path)], env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        run = wait_for(lambda: ImportRun.objects.filter(status=RunStatus.APPLYING).first(), 120, "the apply to start")
        time.sleep(1.0)  # well inside the write
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    lock = ImportLock.objects.get(run=run)
    wait_for(lambda: not lock_is_live(ImportLock.objects.get(pk=lock.pk)),
             (lock.lease_until - timezone.now()).total_seconds() + 5, "the lease to expire")
    assert Enrollment.objects.count() == 0
    assert CreditRecord.objects.count() == 0
    assert User.objects.filter(academy=course.academy).count() == 0

    # The next import takes the lock over; the dead run is marked as stopped.
    new_run = ImportRun.objects.create(academy=course.academy, scope="course", course=course, file_name="again.csv")
    lock_acquire(academy=course.academy, key=f"course:{course.pk}", run=new_run, holder="next")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.file_error.startswith("The import stopped (its worker stopped answering")
