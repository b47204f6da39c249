"""A connection's run: the catalogue (changed rows only, in bulk; lifecycle only after a complete
fetch), then the learner statistics. One SyncRun with counts and errors, one SyncRecord per item,
under the connection's lease."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from coursebridge.accounts.models import Group
from coursebridge.catalog.models import Category, Course, CourseStatus, Placement, PlacementKind
from coursebridge.catalog.services import (
    ProviderCourseRow,
    course_archive,
    course_bulk_upsert,
    course_deactivate,
    course_reactivate,
    provider_categories_ensure,
)
from coursebridge.connectors.models import Connection, RunState, RunTrigger, SyncRecord, SyncRun
from coursebridge.connectors.providers.base import CatalogItem, PartialFetch, Provider, ProviderSession
from coursebridge.connectors.registry import provider_get
from coursebridge.connectors.services import busy_message, lease_acquire, lease_release, lease_renew, new_holder
from coursebridge.core.errors import Conflict, DomainError
from coursebridge.core.http import RemoteError
from coursebridge.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

# stage ("catalogue" or "statistics"), pages done, pages announced (None while unknown)
Progress = Callable[[str, int, int | None], None]
MAX_ERRORS = 200


@dataclass
class CatalogState:
    """What the run learns as pages arrive."""

    records: dict[str, tuple[int, str, int | None, bool]]  # external id -> (record id, hash, course id, retired)
    seen: set[str] = field(default_factory=set)
    retire: dict[int, str] = field(default_factory=dict)  # course id -> reason, applied after a complete fetch


def _error(run: SyncRun, message: str) -> None:
    if len(run.errors) < MAX_ERRORS:
        run.errors.append(message)
    elif len(run.errors) == MAX_ERRORS:
        run.errors.append("More errors were left out.")


class _JobProgress:
    """Pages done over pages announced, catalogue then statistics, on the run's Job row."""

    def __init__(self, job_id: int | None, extra: Progress | None) -> None:
        self.job_id = job_id
        self.forward = extra
        self.offset = 0
        self.done = 0

    def next_stage(self) -> None:
        self.offset = self.done

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self.done = self.offset + done
        if self.job_id is not None:
            # One more step stays announced until the last stage ends, so the bar never shows 100 early.
            Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING).update(
                progress_done=self.done, progress_total=self.offset + max(done, total or 0) + 1,
                lease_until=timezone.now() + timedelta(minutes=5),
            )
        if self.forward is not None:
            self.forward(stage, done, total)


def connection_sync(
    *,
    connection_id: int,
    trigger: str = RunTrigger.MANUAL,
    full: bool = False,
    incremental: bool = False,
    job_id: int | None = None,
    by_id: int | None = None,
    day: date | None = None,
    progress: Progress | None = None,
    session: ProviderSession | None = None,
    only: Sequence[str] | None = None,
    retire_named: bool = False,
) -> SyncRun:
    """Run a connection now, in this process. Refused (Conflict) while another run holds the lease.
    `incremental`: the provider sends only what changed (a push), so a course missing from its answer
    is not retired; courses it marks unavailable still are. `only`: the provider's ids a push named,
    fetched alone where the provider can (an incremental run). `retire_named`: the push announced a
    lifecycle change, so a named course missing from a complete answer is no longer offered."""
    incremental = incremental or bool(only)
    holder = new_holder()
    if not lease_acquire(connection_id=connection_id, holder=holder):
        raise Conflict(busy_message(Connection.objects.get(pk=connection_id)))
    try:
        connection = Connection.objects.select_related("academy", "group").get(pk=connection_id)
        provider = provider_get(connection.provider)
        # We hold the lease: a run still marked running was left by a worker that died.
        SyncRun.objects.filter(connection=connection, state=RunState.RUNNING).update(
            state=RunState.FAILED, finished_at=timezone.now(),
            errors=["The worker running this sync stopped before it ended; the next run took over."],
        )
        run = SyncRun.objects.create(
            academy_id=connection.academy_id, connection=connection, trigger=trigger, full=full,
            started_at=timezone.now(), job_id=job_id, created_by_id=by_id,
        )
        report = _JobProgress(job_id, progress)
        try:
            if connection.group is None:
                raise DomainError("The connection has no synchronized group: choose one first.", field="group_id")
            session = session or provider.open(connection)
        except DomainError as exc:
            _error(run, exc.message)
            return _finish(run, RunState.FAILED)
        try:
            state = _catalog(run, connection, connection.group, provider, session, report, holder,
                             incremental=incremental, only=only, retire_named=retire_named)
            if provider.has_statistics:
                from coursebridge.connectors.statistics import statistics_fetch_and_import

                report.next_stage()
                stats_state = statistics_fetch_and_import(
                    run=run, connection=connection, provider=provider, session=session,
                    day=day or timezone.now().date(), progress=report, renew=lambda: lease_renew(
                        connection_id=connection_id, holder=holder),
                )
                state = _worse(state, stats_state)
        except Exception as exc:
            # Never leave a run "running": say it failed (without the details, which may hold data).
            _error(run, f"The sync stopped on an unexpected error ({exc.__class__.__name__}); it is logged.")
            _finish(run, RunState.FAILED)
            raise
        finally:
            session.close()
        return _finish(run, state)
    finally:
        lease_release(connection_id=connection_id, holder=holder)


ORDER = [RunState.SUCCEEDED, RunState.PARTIAL, RunState.FAILED]


def _worse(a: str, b: str) -> str:
    return a if ORDER.index(RunState(a)) >= ORDER.index(RunState(b)) else b


def _finish(run: SyncRun, state: str) -> SyncRun:
    run.state = state
    run.finished_at = timezone.now()
    run.save()
    logger.info("connection %s run %s %s: %s", run.connection_id, run.pk, state, run.counts)
    return run


def _catalog(run: SyncRun, connection: Connection, group: Group, provider: Provider, session: ProviderSession,
             report: Progress, holder: str, *, incremental: bool = False, only: Sequence[str] | None = None,
             retire_named: bool = False) -> str:
    state = CatalogState(records={
        external_id: (pk, content_hash, course_id, retired)
        for pk, external_id, content_hash, course_id, retired in SyncRecord.objects.filter(
            connection=connection).values_list("pk", "external_id", "content_hash", "course_id", "retired_by_sync")
    })
    outcome = RunState.SUCCEEDED
    pages = 0
    try:
        for page in session.catalog_pages(only=only):
            pages += 1
            _apply_page(run, connection, group, provider, state, page.items)
            run.save()
            lease_renew(connection_id=connection.pk, holder=holder)
            report("catalogue", pages, page.total_pages)
    except PartialFetch as exc:
        _error(run, f"{exc.message} Nothing was archived or deactivated.")
        outcome = RunState.PARTIAL
    except RemoteError as exc:
        _error(run, f"The catalogue could not be fetched: {exc.message} Nothing was archived or deactivated.")
        outcome = RunState.FAILED
    if outcome == RunState.SUCCEEDED and not incremental and not state.seen and state.records:
        _error(run, f"{provider.label} answered an empty catalogue while {len(state.records)} courses came "
                    "from it before: nothing was archived. If the catalogue is really empty now, archive "
                    "the courses by hand.")
        outcome = RunState.PARTIAL
    if outcome == RunState.SUCCEEDED:
        _retire(run, connection, provider, state, absent_too=not incremental, named=only if retire_named else None)
    run.save()
    return outcome


def _apply_page(run: SyncRun, connection: Connection, group: Group, provider: Provider, state: CatalogState,
                items: list[CatalogItem]) -> None:
    now = timezone.now()
    valid: dict[str, CatalogItem] = {}
    for item in items:
        if item.external_id and item.external_id in state.seen:
            continue  # the same course on two pages: the first one counts
        if item.row is None:
            run.failed += 1
            where = f"course '{item.external_id}'" if item.external_id else "a course without an id"
            _error(run, f"{where}: {item.error}")
            if item.external_id:
                state.seen.add(item.external_id)
                SyncRecord.objects.update_or_create(
                    connection=connection, external_id=item.external_id,
                    defaults={"academy_id": connection.academy_id, "last_error": item.error[:2000],
                              "last_seen_at": now},
                )
            continue
        valid[item.external_id] = item
    state.seen.update(valid)
    if not valid:
        return
    existing: dict[str, int] = {
        external_id or "": pk for external_id, pk in Course.objects.filter(
            academy_id=connection.academy_id, provider=provider.name, external_id__in=list(valid)
        ).values_list("external_id", "pk")
    }
    changed = [
        item for key, item in valid.items()
        if run.full or key not in existing or key not in state.records
        or state.records[key][1] != (item.row.content_hash if item.row else "")
    ]
    # A course never imported and not offered (closed, retired...) is only recorded, not created.
    to_write = [item for item in changed if item.available or item.external_id in existing]
    with transaction.atomic():
        # Optional provider hooks: which new courses to write (a duplicate policy), and what else a
        # written course needs (a launch unit).
        prepare = getattr(provider, "prepare_writes", None)
        if prepare is not None:
            to_write = prepare(run=run, connection=connection, items=to_write, existing=existing)
        ids = _write_courses(connection, group, provider, to_write,
                             created=set(to_write_keys(to_write)) - set(existing))
        after_write = getattr(provider, "after_write", None)
        if after_write is not None:
            after_write(connection=connection, items=to_write, course_ids=ids)
        run.created += sum(1 for item in to_write if item.external_id not in existing)
        run.updated += sum(1 for item in to_write if item.external_id in existing)
        run.unchanged += len(valid) - len(to_write)
        course_ids: dict[str, int] = {**existing, **ids}
        SyncRecord.objects.bulk_create(
            [SyncRecord(
                academy_id=connection.academy_id, connection=connection, external_id=item.external_id,
                course_id=course_ids.get(item.external_id), content_hash=item.row.content_hash if item.row else "",
                remote_status=item.remote_status, last_seen_at=now, last_changed_at=now, last_error="",
            ) for item in changed],
            update_conflicts=True, unique_fields=["connection", "external_id"],
            update_fields=["course", "content_hash", "remote_status", "last_seen_at", "last_changed_at",
                           "last_error"],
        )
        changed_keys = {i.external_id for i in changed}
        unchanged = [key for key in valid if key not in changed_keys]
        if unchanged:
            SyncRecord.objects.filter(connection=connection, external_id__in=unchanged).update(
                last_seen_at=now, last_error="")
    # Lifecycle: a course the provider offers again comes back now; one it stopped offering is
    # retired only once the whole catalogue came (see _retire).
    for key, item in valid.items():
        course_id = course_ids.get(key)
        if course_id is None:
            continue
        retired_by_sync = state.records.get(key, (0, "", None, False))[3]
        if item.available and retired_by_sync:
            _reactivate(run, connection, provider, course_id, key, item.remote_status)
        elif not item.available:
            state.retire[course_id] = f"{provider.label} status '{item.remote_status}'"


def to_write_keys(items: list[CatalogItem]) -> list[str]:
    return [item.external_id for item in items]


def _write_courses(connection: Connection, group: Group, provider: Provider,
                   changed: list[CatalogItem], *, created: set[str]) -> dict[str, int]:
    """Upsert the changed courses and their provider categories; only new courses are placed in the
    synchronized group (an admin who removed a placement keeps it removed)."""
    rows: list[ProviderCourseRow] = [item.row for item in changed if item.row is not None]
    if not rows:
        return {}
    ids = course_bulk_upsert(academy=connection.academy, provider=provider.name, rows=rows)
    Placement.objects.bulk_create(
        [Placement(academy_id=connection.academy_id, group=group, course_id=course_id, kind=kind)
         for key, course_id in ids.items() if key in created
         for kind in (PlacementKind.CATALOGUE, PlacementKind.LIBRARY)],
        ignore_conflicts=True,
    )
    paths = sorted({p for item in changed for p in item.category_paths})
    leaves = provider_categories_ensure(academy=connection.academy, provider=provider.name, paths=paths)
    through = Course.categories.through
    provider_categories = Category.objects.filter(academy_id=connection.academy_id, provider=provider.name)
    through.objects.filter(course_id__in=list(ids.values()), category__in=provider_categories).delete()
    through.objects.bulk_create(
        [through(course_id=ids[item.external_id], category_id=leaves[path].pk)
         for item in changed if item.external_id in ids for path in set(item.category_paths) if path in leaves],
        ignore_conflicts=True,
    )
    return ids


def _reactivate(run: SyncRun, connection: Connection, provider: Provider, course_id: int, external_id: str,
                status: str) -> None:
    course = Course.objects.get(pk=course_id)
    with transaction.atomic():
        if course.status != CourseStatus.ACTIVE:
            course_reactivate(course=course, reason=f"{provider.label} offers it again (status '{status}').")
            if course.status == CourseStatus.INACTIVE:  # archived from inactive: back to inactive, then active
                course_reactivate(course=course, reason=f"{provider.label} offers it again (status '{status}').")
            run.reactivated += 1
        SyncRecord.objects.filter(connection=connection, external_id=external_id).update(
            retired_by_sync=False, remote_status=status)


def _retire(run: SyncRun, connection: Connection, provider: Provider, state: CatalogState, *,
            absent_too: bool, named: Sequence[str] | None = None) -> None:
    """Retire what the provider marked unavailable and, after a complete answer, what it no longer
    lists: every course when the whole catalogue came (`absent_too`), or only the ids a push named
    when just those were asked for (`named`): an archived course is no longer listed at all."""
    candidates = (set(named) if named else set(state.records)) if absent_too or named else set()
    absent: list[tuple[str, int]] = [
        (key, course_id) for key, (_, _, course_id, retired) in state.records.items()
        if key in candidates and key not in state.seen and course_id is not None and not retired
    ]
    for _, course_id in absent:
        state.retire.setdefault(course_id, f"no longer in the {provider.label} catalogue")
    if absent:
        SyncRecord.objects.filter(connection=connection, external_id__in=[k for k, _ in absent]).update(
            remote_status="absent")
    for course in Course.objects.filter(pk__in=list(state.retire)):
        reason = state.retire[course.pk]
        with transaction.atomic():
            if provider.retire_action == "archive":
                if course.status == CourseStatus.ARCHIVED:
                    continue
                course_archive(course=course, reason=f"Archived: {reason}.")
                run.archived += 1
            else:
                if course.status != CourseStatus.ACTIVE:
                    continue
                course_deactivate(course=course, reason=f"Deactivated: {reason}.")
                run.deactivated += 1
            SyncRecord.objects.filter(connection=connection, course_id=course.pk).update(retired_by_sync=True)


def sync_for_job(*, job_id: int) -> SyncRun | None:
    """The worker's side of "Sync now": run, then close the job with the run's counts (or its
    refusal, when another run holds the connection)."""
    from coursebridge.core import jobs

    job = Job.objects.get(pk=job_id)
    params = job.params
    jobs.job_start(job_id=job_id, total=1)
    try:
        run = connection_sync(
            connection_id=int(params["connection_id"]), trigger=str(params.get("trigger") or RunTrigger.MANUAL),
            full=bool(params.get("full")), job_id=job_id, by_id=job.created_by_id,
            only=[str(i) for i in params.get("only") or []] or None, retire_named=bool(params.get("retire_named")),
        )
    except Conflict as exc:
        jobs.job_fail(job_id=job_id, error=exc.message)
        return None
    except Connection.DoesNotExist:
        jobs.job_fail(job_id=job_id, error="The connection was deleted before its sync started.")
        return None
    if run.state == RunState.FAILED:
        jobs.job_fail(job_id=job_id, error="; ".join(run.errors[:3]) or "The sync failed.")
    else:
        jobs.job_finish(job_id=job_id, counts=run.counts)
    return run
