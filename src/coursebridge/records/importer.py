"""The course record import: upload -> every row staged and checked -> preview -> apply, under a
lock lease that a heartbeat renews.

Staging and applying each hold the lock of their scope (one per course, one global per academy).
The apply writes in one transaction: when its lease is released by Unlock, or its worker dies, the
transaction is rolled back (by us, or by the database when the connection drops), so an import is
written whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from coursebridge.accounts.models import Academy, Group, Membership, Role, User
from coursebridge.accounts.services import users_created
from coursebridge.catalog.models import Course, CourseKind, CourseStatus, Visibility
from coursebridge.core import jobs
from coursebridge.core.errors import Conflict, DomainError, NotFound
from coursebridge.core.models import Job
from coursebridge.learning.models import Enrollment, EntryPoint, LearningStatus, TimeSource
from coursebridge.records.locks import ImportCancelled, Leased, lock_check_free, lock_key
from coursebridge.records.models import (
    CourseShell,
    CreditRecord,
    CreditSource,
    HeldRecord,
    ImportRun,
    ImportScope,
    RowOutcome,
    RunStatus,
    StagedRow,
)
from coursebridge.records.reader import FileRefused, read_file
from coursebridge.records.validation import CATALOGUE_KEY, Resolver, required_columns

STAGE_KIND = "records.stage"
APPLY_KIND = "records.apply"
CHUNK = int(os.environ.get("CB_RECORDS_CHUNK", "2000"))
SCAN_FROM = 5000  # new learners' emails from which the apply reads the academy's accounts once


# --- Upload and staging ------------------------------------------------------------------------------


def import_create(
    *, academy: Academy, scope: str, course: Course | None, by: User | None, source: Path | Any, filename: str,
    hold_unknown: bool = False,
) -> ImportRun:
    """Keep the uploaded file and open a run for it. Refused while another import of the same scope runs."""
    if scope not in ImportScope.values:
        raise DomainError(f"Unknown importer '{scope}'.", field="scope")
    if scope == ImportScope.COURSE:
        if course is None or course.academy_id != academy.pk:
            raise NotFound("No such course.")
    else:
        course = None
    name = Path(filename or "records.csv").name[:200] or "records.csv"
    lock_check_free(academy=academy, key=lock_key(scope, course))
    run = ImportRun.objects.create(
        academy=academy, scope=scope, course=course, created_by=by, file_name=name, hold_unknown=hold_unknown
    )
    if isinstance(source, Path):
        with source.open("rb") as handle:
            stored = default_storage.save(f"records/imports/{run.pk}/upload", File(handle))
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        stored = default_storage.save(f"records/imports/{run.pk}/upload", File(source))
    run.stored_file = stored
    run.save(update_fields=["stored_file"])
    return run


def import_stage_start(*, run: ImportRun, by: User | None) -> Job:
    """Queue the staging of an uploaded run; its Job shows the progress."""
    from coursebridge.records.tasks import stage_import

    with transaction.atomic():
        job = jobs.job_create(kind=STAGE_KIND, academy_id=run.academy_id, created_by_id=by.pk if by else None,
                              params={"run": run.pk})
        ImportRun.objects.filter(pk=run.pk).update(stage_job=job)
        transaction.on_commit(lambda: stage_import.delay(run.pk, job.pk))
    run.stage_job = job
    return job


def _estimated_rows(path: Path) -> int:
    size = path.stat().st_size
    with path.open("rb") as handle:
        sample = handle.read(64 * 1024)
    lines = max(1, sample.count(b"\n"))
    return max(1, int(size / max(1, len(sample) / lines)))


def import_stage(*, run_id: int, job_id: int | None = None) -> ImportRun:
    """Read every row, check it, stage it; then the preview's counts. A refused file stages nothing."""
    run = ImportRun.objects.select_related("academy", "course").get(pk=run_id)
    path = Path(default_storage.path(run.stored_file))
    if job_id:
        jobs.job_start(job_id=job_id, total=_estimated_rows(path))
    StagedRow.objects.filter(run=run).delete()
    counts = {"rows": 0, "create": 0, "unchanged": 0, "held": 0, "errors": 0, "warnings": 0, "new_learners": 0,
              "new_shells": 0}
    try:
        with Leased(run, job_id) as lease:
            header, rows = read_file(path, filename=run.file_name, required=required_columns(run.scope))
            run.encoding = header.encoding
            resolver = Resolver(academy=run.academy, scope=run.scope, course=run.course,
                                hold_unknown=run.hold_unknown)
            for chunk in _chunks(rows, CHUNK):
                staged = []
                for row in chunk:
                    checked = resolver.check(row)
                    counts["rows"] += 1
                    counts[{"error": "errors"}.get(checked.outcome, checked.outcome)] += 1
                    counts["warnings"] += checked.has_warning
                    staged.append(StagedRow(run=run, number=row.number, outcome=checked.outcome, data=checked.data,
                                            messages=checked.messages))
                StagedRow.objects.bulk_create(staged, batch_size=CHUNK)
                lease.check()
                if job_id:
                    jobs.job_progress(job_id=job_id, done=counts["rows"])
            counts["new_learners"] = len(resolver.new_users)
            counts["new_shells"] = len(resolver.new_shells)
            warnings = list(header.warnings)
            new_learners = counts["new_learners"]
            if run.scope == ImportScope.COURSE and new_learners and not course_has_required_object(run.course):
                warnings.append(
                    "The course has no required course object: learners who are new to it could be completed as "
                    "soon as they are enrolled and receive whatever credit is available. Add a required course "
                    "object (a content package) before importing, or check that this is what you want."
                )
            if counts["rows"] == 0:
                raise FileRefused("The file has a header but no data rows.")
    except (FileRefused, ImportCancelled, Conflict) as exc:
        StagedRow.objects.filter(run=run).delete()
        message = getattr(exc, "message", "") or "Unlocked by an administrator: nothing was staged."
        status = RunStatus.CANCELLED if isinstance(exc, ImportCancelled) else RunStatus.REFUSED
        ImportRun.objects.filter(pk=run.pk).update(status=status, file_error=message, counts={})
        if job_id:
            jobs.job_finish(job_id=job_id, counts={})
        run.refresh_from_db()
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.STAGED, counts=counts, warnings=warnings, encoding=run.encoding, file_error=""
    )
    if job_id:
        jobs.job_finish(job_id=job_id, counts=counts)
    run.refresh_from_db()
    return run


def course_has_required_object(course: Course | None) -> bool:
    """A course object the learner must complete: here, a unit of a content package."""
    if course is None:
        return False
    from coursebridge.content.models import Unit

    return Unit.objects.filter(package__course=course).exists()


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(items, size)):
        yield chunk


# --- Apply ----------------------------------------------------------------------------------------------


def import_apply_check(*, run: ImportRun, valid_only: bool) -> None:
    if run.status != RunStatus.STAGED:
        raise Conflict(f"This import cannot be applied: it is {run.get_status_display().lower()}.")
    errors = int(run.counts.get("errors", 0))
    if errors and not valid_only:
        raise DomainError(
            f"{errors} row{'s' if errors != 1 else ''} {'have' if errors != 1 else 'has'} errors, and the import is "
            "all or nothing: fix the file and upload it again, or apply only the valid rows.", field="apply_valid_only",
        )
    lock_check_free(academy=run.academy, key=lock_key(run.scope, run.course))


def import_apply_start(*, run: ImportRun, by: User | None, valid_only: bool) -> Job:
    from coursebridge.records.tasks import apply_import

    import_apply_check(run=run, valid_only=valid_only)
    with transaction.atomic():
        job = jobs.job_create(kind=APPLY_KIND, academy_id=run.academy_id, created_by_id=by.pk if by else None,
                              params={"run": run.pk, "valid_only": valid_only})
        ImportRun.objects.filter(pk=run.pk).update(apply_job=job, apply_valid_only=valid_only)
        transaction.on_commit(lambda: apply_import.delay(run.pk, job.pk))
    return job


def import_apply(*, run_id: int, job_id: int | None = None, valid_only: bool | None = None) -> ImportRun:
    """Write the run's valid rows in one transaction: new learners, course shells, enrollments,
    credit records, held rows. Existing enrollments and credit records are never changed."""
    run = ImportRun.objects.select_related("academy", "course").get(pk=run_id)
    if valid_only is None:
        valid_only = run.apply_valid_only
    try:
        import_apply_check(run=run, valid_only=valid_only)
    except DomainError as exc:
        if run.status == RunStatus.STAGED:
            ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.NOT_APPLIED, file_error=exc.message)
        if job_id:
            jobs.job_fail(job_id=job_id, error=exc.message)
        run.refresh_from_db()
        return run
    todo = run.rows.filter(outcome__in=[RowOutcome.CREATE, RowOutcome.HELD]).count()
    if job_id:
        jobs.job_start(job_id=job_id, total=max(1, todo * 2))
    try:
        with Leased(run, job_id) as lease:
            ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.APPLYING, apply_valid_only=valid_only)
            lease.extend(todo / 2000)
            with transaction.atomic():
                result = _write(run, lease, todo)
            ImportRun.objects.filter(pk=run.pk).update(
                status=RunStatus.APPLIED, result=result, applied_at=timezone.now(), file_error=""
            )
    except ImportCancelled:
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.CANCELLED, file_error="Unlocked by an administrator: nothing of this import was written."
        )
        if job_id:
            jobs.job_fail(job_id=job_id, error="Unlocked: nothing was written.")
        run.refresh_from_db()
        return run
    except Conflict as exc:
        if job_id:
            jobs.job_fail(job_id=job_id, error=exc.message)
        raise
    if job_id:
        jobs.job_finish(job_id=job_id, counts=result)
    run.refresh_from_db()
    return run


def _staged(run: ImportRun, outcomes: list[str], only: Q | None = None) -> Iterator[list[tuple[int, str,
                                                                                          dict[str, Any]]]]:
    last = 0
    while True:
        rows = StagedRow.objects.filter(run=run, outcome__in=outcomes, number__gt=last)
        if only is not None:
            rows = rows.filter(only)
        chunk = list(rows.order_by("number").values_list("number", "outcome", "data")[:CHUNK])
        if not chunk:
            return
        last = chunk[-1][0]
        yield chunk


def _user_key(data: dict[str, Any]) -> str:
    if data.get("u"):
        return f"u{data['u']}"
    return f"x{data['ext']}" if data.get("ext") else f"e{data['email']}"


def _write(run: ImportRun, lease: Leased, todo: int) -> dict[str, int]:
    academy = run.academy
    result = {"learners_created": 0, "shells_created": 0, "enrollments_created": 0, "credits_created": 0,
              "held": 0, "unchanged": 0}
    # Pass 1: who and which course. New learners and shells are created; a learner who signed up
    # since the preview is found, not duplicated.
    new_people: dict[str, dict[str, str]] = {}
    new_courses: dict[str, str] = {}
    # Only the rows whose learner (or, for the global importer, course) the preview did not know: the
    # others need nothing here, and reading every staged row twice is most of the apply's reading.
    unknown = Q(data__u=None) | Q(data__u__isnull=True)
    if run.scope == ImportScope.GLOBAL:
        unknown |= Q(data__c=None) | Q(data__c__isnull=True)
    for chunk in _staged(run, [RowOutcome.CREATE, RowOutcome.HELD], unknown):
        for _, outcome, data in chunk:
            if not data.get("u") and outcome == RowOutcome.CREATE:
                key = _user_key(data)
                if key not in new_people:  # only what an account needs: the staged row is far bigger
                    new_people[key] = {f: data.get(f, "") for f in ("ext", "email", "fn", "ln")}
            if run.scope == ImportScope.GLOBAL and not data.get("c"):
                new_courses.setdefault(data["cext"], data["ct"])
        lease.progress(min(todo, chunk[-1][0] - 1))  # rows are numbered from 2 (the header is row 1)
    done = todo
    users = _learners_ensure(academy, new_people)
    result["learners_created"] = users.pop("__created__")
    courses = _shells_ensure(academy, run, new_courses)
    result["shells_created"] = courses.pop("__created__")

    # Pass 2: enrollments, credits, held rows.
    now = timezone.now()
    source = CreditSource.COURSE_IMPORT if run.scope == ImportScope.COURSE else CreditSource.GLOBAL_IMPORT
    for chunk in _staged(run, [RowOutcome.CREATE, RowOutcome.HELD]):
        enrollments: dict[tuple[int, int], Enrollment] = {}
        credits: list[CreditRecord] = []
        held: list[HeldRecord] = []
        resolved: list[tuple[int, int, dict[str, Any]]] = []
        course_id: int
        for number, outcome, data in chunk:
            course_id = data.get("c") or courses[data["cext"]]
            if outcome == RowOutcome.HELD:
                held.append(HeldRecord(academy=academy, run=run, course_id=course_id, row_number=number,
                                       external_user_id=data.get("ext", ""), email=data.get("email", ""), data=data))
                continue
            user_id = data.get("u") or users[_user_key(data)]
            resolved.append((user_id, course_id, data))
        user_ids = {u for u, _, _ in resolved}
        course_ids = {c for _, c, _ in resolved}
        enrolled, credited = existing_records(user_ids, course_ids)
        for user_id, course_id, data in resolved:
            changed = False
            if (user_id, course_id) not in enrolled and (user_id, course_id) not in enrollments:
                enrollments[(user_id, course_id)] = _enrollment(academy, user_id, course_id, data, now)
                changed = True
            elif data.get("complete") and (user_id, course_id) in enrollments:
                _complete(enrollments[(user_id, course_id)], data, now)
            type_id = data.get("t")
            if type_id and (user_id, course_id, type_id) not in credited:
                credited.add((user_id, course_id, type_id))
                credits.append(CreditRecord(
                    academy=academy, user_id=user_id, course_id=course_id, credit_type_id=type_id,
                    credits=Decimal(data["cr"]), awarded_on=_day(data.get("done")) or now.date(),
                    expires_on=_day(data.get("exp")), participant_category=data.get("cat", ""),
                    attended=data.get("att"), source=source, run=run,
                ))
                changed = True
            if not changed:
                result["unchanged"] += 1
        Enrollment.objects.bulk_create(list(enrollments.values()), batch_size=CHUNK, ignore_conflicts=True)
        CreditRecord.objects.bulk_create(credits, batch_size=CHUNK, ignore_conflicts=True)
        HeldRecord.objects.bulk_create(held, batch_size=CHUNK)
        result["enrollments_created"] += len(enrollments)
        result["credits_created"] += len(credits)
        result["held"] += len(held)
        done += len(chunk)
        lease.progress(done)
    return result


def existing_records(user_ids: set[int], course_ids: set[int]) -> tuple[set[tuple[int, int]],
                                                                         set[tuple[int, int, int]]]:
    """The catalogue enrollments (user, course) and credit records (user, course, type) these learners
    already have in these courses. Looked up by learner only, the courses filtered here: a condition
    on the course would let the database walk the course's index, every record of the course the
    import has written so far, at every chunk (the apply slowed down as it went)."""
    with _by_index():
        enrolled = {(u, c) for u, c in Enrollment.objects.filter(user_id__in=user_ids, entry_key=CATALOGUE_KEY)
                    .values_list("user_id", "course_id") if c in course_ids}
        credited = {(u, c, t) for u, c, t in CreditRecord.objects.filter(user_id__in=user_ids)
                    .values_list("user_id", "course_id", "credit_type_id") if c in course_ids}
    return enrolled, credited


@contextmanager
def _by_index() -> Iterator[None]:
    """PostgreSQL plans a query from the statistics of the last ANALYZE, which know nothing of the rows
    this transaction has written: after an import into empty tables it reads a thousand learners'
    records with a sequential scan of the whole table, at every chunk, so the apply slowed down as
    the tables grew (a million rows took 7 times a plain bulk load). These lookups always have an
    index (learner first), so within them sequential scans are turned off, for this transaction
    only, and restored after. See docs/decisions/0013-records-apply-lookups-by-index.md."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        before = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _at(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _enrollment(academy: Academy, user_id: int, course_id: int, data: dict[str, Any], now: datetime) -> Enrollment:
    start = _at(data.get("start"))
    enrollment = Enrollment(
        academy=academy, user_id=user_id, course_id=course_id, entry_point=EntryPoint.CATALOGUE,
        entry_key=CATALOGUE_KEY, time_source=TimeSource.IMPORTED, status=LearningStatus.NOT_STARTED,
        first_activity_at=start, last_activity_at=_at(data.get("end")) or start,
    )
    if data.get("complete"):
        _complete(enrollment, data, now)
    return enrollment


def _complete(enrollment: Enrollment, data: dict[str, Any], now: datetime) -> None:
    enrollment.status = LearningStatus.COMPLETED
    enrollment.progress = 100
    enrollment.completed_at = _at(data.get("done")) or now
    enrollment.last_activity_at = enrollment.last_activity_at or enrollment.completed_at


def _learners_ensure(academy: Academy, people: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Learner accounts for the keys ("x<external id>" / "e<email>"), found or created in bulk, a
    chunk at a time (a quarter of a million model instances at once would not fit the memory budget)."""
    found: dict[str, Any] = {}
    ext_ids = [k[1:] for k in people if k.startswith("x")]
    emails = [k[1:] for k in people if k.startswith("e")]
    for i in range(0, len(ext_ids), 1000):
        for pk, ext in User.objects.filter(academy=academy, external_id__in=ext_ids[i:i + 1000]).values_list(
                "pk", "external_id"):
            found[f"x{ext}"] = pk
    if len(emails) > SCAN_FROM:
        # Many emails: one pass over the academy's accounts instead of a scan per thousand (no index
        # serves a case-insensitive match, so each chunk's query would read them all again).
        wanted = set(emails)
        for pk, email in User.objects.filter(academy=academy).exclude(email="").order_by().values_list(
                "pk", "email").iterator(chunk_size=10000):
            if email.lower() in wanted:
                found.setdefault(f"e{email.lower()}", pk)
    else:
        for i in range(0, len(emails), 1000):
            for pk, email in User.objects.annotate(lower_email=Lower("email")).filter(
                    academy=academy, lower_email__in=emails[i:i + 1000]).values_list("pk", "email"):
                found.setdefault(f"e{email.lower()}", pk)
    missing = [k for k in people if k not in found]
    password = make_password(None)
    root = Group.objects.filter(academy=academy, parent__isnull=True).first()
    for i in range(0, len(missing), CHUNK):
        keys = missing[i:i + CHUNK]
        candidates = {k: _username(academy, people[k]) for k in keys}
        taken = set(User.objects.filter(username__in=list(candidates.values())).values_list("username", flat=True))
        new_users = []
        for key in keys:
            username = candidates[key]
            suffix = 1
            while username in taken:
                suffix += 1
                username = f"{candidates[key][:140]}-{suffix}"
            taken.add(username)
            data = people[key]
            new_users.append(User(academy=academy, username=username, email=data.get("email", ""),
                                  external_id=data.get("ext", ""), first_name=data.get("fn", ""),
                                  last_name=data.get("ln", ""), password=password))
        User.objects.bulk_create(new_users, batch_size=CHUNK)
        if new_users and new_users[0].pk is None:  # a backend that returns no ids: read them back
            by_name = dict(User.objects.filter(username__in=[u.username for u in new_users]).values_list(
                "username", "pk"))
            for user in new_users:
                user.pk = by_name[user.username]
        for key, user in zip(keys, new_users, strict=True):
            found[key] = user.pk
        if root is not None:
            Membership.objects.bulk_create([Membership(user_id=u.pk, group=root, role=Role.LEARNER) for u in new_users],
                                           batch_size=CHUNK)
    created = [found[k] for k in missing]
    # Rows held by earlier imports for these new learners are applied now (records.held), as for any
    # account created in the academy.
    users_created(academy_id=academy.pk, user_ids=created)
    found["__created__"] = len(missing)
    return found


def _username(academy: Academy, data: dict[str, str]) -> str:
    base = data.get("email") or f"{data.get('ext', '')}"
    return f"{academy.slug}.{base}"[:140]


def _shells_ensure(academy: Academy, run: ImportRun, wanted: dict[str, str]) -> dict[str, Any]:
    """Course shells for the external course ids the academy does not know yet."""
    found: dict[str, Any] = {
        external_id: pk for external_id, pk in Course.objects.filter(
            academy=academy, external_id__in=list(wanted)).values_list("external_id", "pk") if external_id
    }
    created = 0
    for external_id, title in wanted.items():
        if external_id in found:
            continue
        course = Course.objects.create(
            academy=academy, kind=CourseKind.WEB_LINK, title=title or external_id, external_id=external_id,
            visibility=Visibility.HIDDEN, status=CourseStatus.ACTIVE, search_text=title,
            description="Imported course shell: it holds legacy records only.",
        )
        CourseShell.objects.create(academy=academy, course=course, created_by_run=run)
        found[external_id] = course.pk
        created += 1
    found["__created__"] = created
    return found
