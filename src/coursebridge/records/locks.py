"""Import locks: one import at a time per course (key "course:<id>") and one global import per
academy (key "global"), held as leases that a heartbeat renews (decision 0010)."""

from __future__ import annotations

import os
import secrets
import threading
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course
from coursebridge.core import jobs
from coursebridge.core.errors import Conflict, NotFound
from coursebridge.core.models import Job, JobStatus
from coursebridge.records.models import ImportLock, ImportRun, ImportScope, RunStatus

# The lease a worker holds; the heartbeat renews it every HEARTBEAT seconds.
LEASE = timedelta(seconds=int(os.environ.get("CB_RECORDS_LEASE_SECONDS", "60")))
HEARTBEAT = float(os.environ.get("CB_RECORDS_HEARTBEAT_SECONDS", "5"))


class ImportCancelled(Exception):
    """The lease was released (Unlock) or taken over: stop, write nothing."""


def lock_key(scope: str, course: Course | None) -> str:
    return f"course:{course.pk}" if scope == ImportScope.COURSE and course is not None else "global"


# --- Locks ---------------------------------------------------------------------------------------


def lock_is_live(lock: ImportLock) -> bool:
    return not lock.released and lock.lease_until > timezone.now()


def running_message(lock: ImportLock) -> str:
    since = timezone.localtime(lock.acquired_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    what = "this course" if lock.key.startswith("course:") else "the global importer"
    return (f"An import is running for {what} since {since}: wait for it to finish, or unlock it from the "
            "import page if it is stuck.")


def lock_check_free(*, academy: Academy, key: str) -> None:
    lock = ImportLock.objects.filter(academy=academy, key=key).first()
    if lock is not None and lock_is_live(lock):
        raise Conflict(running_message(lock), code="import_running")


def lock_acquire(*, academy: Academy, key: str, run: ImportRun, holder: str, lease: timedelta = LEASE) -> ImportLock:
    """Take the lock, or refuse with "an import is running since ...". A lease that ran out or was
    released is taken over; the run that held it is marked as stopped."""
    now = timezone.now()
    with transaction.atomic():
        lock = ImportLock.objects.select_for_update().filter(academy=academy, key=key).first()
        if lock is None:
            try:
                with transaction.atomic():
                    return ImportLock.objects.create(
                        academy=academy, key=key, run=run, holder=holder, acquired_at=now, heartbeat_at=now,
                        lease_until=now + lease,
                    )
            except IntegrityError:
                lock = ImportLock.objects.select_for_update().get(academy=academy, key=key)
        if lock_is_live(lock) and lock.holder != holder:
            raise Conflict(running_message(lock), code="import_running")
        if lock.run_id and lock.run_id != run.pk:
            ImportRun.objects.filter(pk=lock.run_id, status__in=[RunStatus.STAGING, RunStatus.APPLYING]).update(
                status=RunStatus.FAILED, file_error="The import stopped (its worker stopped answering, or it was "
                "unlocked): nothing of it was written."
            )
        lock.run = run
        lock.holder = holder
        lock.acquired_at = now
        lock.heartbeat_at = now
        lock.lease_until = now + lease
        lock.released = False
        lock.save()
        return lock


def lock_release(*, lock_id: int, holder: str) -> None:
    ImportLock.objects.filter(pk=lock_id, holder=holder).update(released=True, lease_until=timezone.now())


def import_unlock(*, academy: Academy, key: str) -> ImportLock:
    """Unlock: the lease ends now. A worker still running sees it at its next heartbeat and stops,
    rolling back what it had not committed; the lock is free at once."""
    lock = ImportLock.objects.filter(academy=academy, key=key).first()
    if lock is None:
        raise NotFound("This importer holds no lock.")
    now = timezone.now()
    try:
        with transaction.atomic():
            ImportLock.objects.filter(pk=lock.pk).update(released=True, lease_until=now)
            if lock.run_id:
                ImportRun.objects.filter(pk=lock.run_id, status__in=[RunStatus.STAGING, RunStatus.APPLYING]).update(
                    status=RunStatus.CANCELLED,
                    file_error="Unlocked by an administrator: nothing of this import was written.",
                )
    except OperationalError:
        # SQLite: the import holds the database while it writes its last rows.
        raise Conflict("The import is writing its records right now and the database is busy: try Unlock again "
                       "in a minute.", code="database_busy") from None
    lock.refresh_from_db()
    return lock


class Heartbeat(threading.Thread):
    """Renews the lease (and the job's progress) on its own database connection, so that others see
    it while the apply's transaction is open; sets `cancelled` when the lease is no longer ours."""

    def __init__(self, *, lock_id: int, holder: str, job_id: int | None) -> None:
        super().__init__(daemon=True, name=f"records-heartbeat-{lock_id}")
        self.lock_id = lock_id
        self.holder = holder
        self.job_id = job_id
        self.done = 0
        self.cancelled = threading.Event()
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(HEARTBEAT):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            lock = ImportLock.objects.filter(pk=self.lock_id).values("holder", "released").first()
            if lock is None:
                return  # not visible from here (a test's own transaction): nothing to renew
            if lock["holder"] != self.holder or lock["released"]:
                self.cancelled.set()
                return
            now = timezone.now()
            ImportLock.objects.filter(pk=self.lock_id, holder=self.holder, released=False).update(
                heartbeat_at=now, lease_until=now + LEASE
            )
            if self.job_id:
                Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
                    progress_done=self.done, lease_until=now + jobs.LEASE
                )
        except DatabaseError:
            close_old_connections()  # SQLite busy with the apply's write: try again at the next beat

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=30)


class Leased:
    """The lock of a run's scope for the duration of a block, with its heartbeat."""

    def __init__(self, run: ImportRun, job_id: int | None) -> None:
        self.run = run
        self.job_id = job_id
        self.holder = f"{os.getpid()}-{secrets.token_hex(8)}"
        self.lock: ImportLock | None = None
        self.heartbeat: Heartbeat | None = None

    def __enter__(self) -> Leased:
        self.lock = lock_acquire(academy=self.run.academy, key=lock_key(self.run.scope, self.run.course),
                                 run=self.run, holder=self.holder)
        self.heartbeat = Heartbeat(lock_id=self.lock.pk, holder=self.holder, job_id=self.job_id)
        self.heartbeat.start()
        return self

    def progress(self, done: int) -> None:
        assert self.heartbeat is not None
        self.heartbeat.done = done
        if self.heartbeat.cancelled.is_set():
            raise ImportCancelled()

    def check(self) -> None:
        """Between chunks outside a transaction: the lock row itself says whether we still hold it."""
        assert self.lock is not None and self.heartbeat is not None
        if self.heartbeat.cancelled.is_set() or not ImportLock.objects.filter(
            pk=self.lock.pk, holder=self.holder, released=False
        ).exists():
            raise ImportCancelled()

    def extend(self, seconds: float) -> None:
        """Before a long write on SQLite, where the heartbeat cannot write until it commits."""
        assert self.lock is not None
        if connection.vendor == "sqlite":
            ImportLock.objects.filter(pk=self.lock.pk, holder=self.holder).update(
                lease_until=timezone.now() + LEASE + timedelta(seconds=seconds)
            )

    def __exit__(self, *exc: object) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.lock is not None:
            lock_release(lock_id=self.lock.pk, holder=self.holder)
