"""Learner statistics from a provider, in bulk: progress 0-100 and time per learner and course.

Learners are matched by email, case-insensitively; rows for unknown emails (or courses) are kept
aside and tried again at every run. A matched row updates EVERY enrollment the learner has in the
course (catalogue and program sessions), creating a catalogue enrollment when there is none, with
the semantics of learning.services.attempt_record_progress (progress never goes back, 100 completes,
a finished attempt is not reopened) and records the day with those of activity_day_record. A row
that changes nothing writes nothing, so re-running a day changes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.db.models.functions import Lower
from django.utils import timezone

from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course
from coursebridge.connectors.models import Connection, RunState, SyncRun, UnmatchedReason, UnmatchedStatistic
from coursebridge.connectors.providers.base import PartialFetch, Provider, ProviderSession, StatisticRow
from coursebridge.core.http import RemoteError
from coursebridge.learning.models import (
    FINISHED_STATUSES,
    ActivityDay,
    Attempt,
    Enrollment,
    EntryPoint,
    LearningStatus,
    TimeSource,
)
from coursebridge.learning.services import (
    COMPLETED_STATUSES,
    activity_totals_refresh,
    enrollment_figures_from,
    enrollments_completed,
)

BATCH = 2000
MAX_SECONDS = 2**31 - 1


@dataclass
class ImportResult:
    rows: int = 0
    applied: int = 0  # rows that matched a learner and a course
    unmatched: int = 0
    changed_enrollments: int = 0
    completed_enrollment_ids: list[int] | None = None
    days: set[date] = field(default_factory=set)  # the days whose activity days were written


def statistics_fetch_and_import(
    *, run: SyncRun, connection: Connection, provider: Provider, session: ProviderSession, day: date,
    progress: Callable[[str, int, int | None], None], renew: Callable[[], None],
) -> str:
    """Fetch the day's statistics page by page and import each page; then retry the rows kept aside."""
    outcome = RunState.SUCCEEDED
    pages = 0
    days = {day}  # refreshed even when nothing changed: a run interrupted before its refresh is repaired
    try:
        for page in session.statistics_pages(day):
            pages += 1
            for message in page.errors:
                run.failed += 1
                if len(run.errors) < 200:
                    run.errors.append(message)
            result = statistics_import(connection=connection, provider_name=provider.name, rows=page.rows, day=day,
                                       time_source=provider.time_source)
            run.statistics_rows += result.rows
            run.statistics_applied += result.applied
            run.statistics_unmatched += result.unmatched
            days |= result.days
            run.save()
            renew()
            progress("statistics", pages, page.total_pages)
    except PartialFetch as exc:
        run.errors.append(f"Statistics: {exc.message}")
        outcome = RunState.PARTIAL
    except RemoteError as exc:
        run.errors.append(f"The statistics could not be fetched: {exc.message} The rows already imported stay.")
        outcome = RunState.FAILED
    # The dashboards' daily totals of the days written, once for the whole run.
    activity_totals_refresh(academy_id=connection.academy_id, days=days)
    attached = unmatched_attach(connection=connection, provider_name=provider.name,
                                time_source=provider.time_source)
    run.statistics_applied += attached
    run.save()
    return outcome


def _emails_to_users(academy_id: int, emails: Iterable[str]) -> tuple[dict[str, int], set[str]]:
    """Lower-cased email -> user id; and the emails several users share."""
    found: dict[str, list[int]] = defaultdict(list)
    wanted = sorted(set(emails))
    for start in range(0, len(wanted), BATCH):
        for email, user_id in (
            User.objects.filter(academy_id=academy_id, is_active=True)
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=wanted[start:start + BATCH])
            .values_list("email_lower", "pk")
        ):
            found[email].append(user_id)
    unique = {email: ids[0] for email, ids in found.items() if len(ids) == 1}
    return unique, {email for email, ids in found.items() if len(ids) > 1}


def statistics_import(
    *, connection: Connection, provider_name: str, rows: Sequence[StatisticRow], day: date,
    time_source: str = TimeSource.THEORETICAL, now: datetime | None = None,
) -> ImportResult:
    """Import one batch of rows (a page); see the module's docstring."""
    now = now or timezone.now()
    result = ImportResult(completed_enrollment_ids=[])
    latest: dict[tuple[str, str], StatisticRow] = {}
    for row in rows:
        latest[(row.email.strip().lower(), row.course_external_id)] = row
    result.rows = len(rows)
    items = list(latest.values())
    for start in range(0, len(items), BATCH):
        _import_batch(connection, provider_name, items[start:start + BATCH], day, time_source, now, result)
    return result


def _import_batch(connection: Connection, provider_name: str, rows: list[StatisticRow], day: date,
                  time_source: str, now: datetime, result: ImportResult) -> None:
    academy_id = connection.academy_id
    users, shared = _emails_to_users(academy_id, (r.email.lower() for r in rows))
    courses = dict(Course.objects.filter(
        academy_id=academy_id, provider=provider_name, external_id__in={r.course_external_id for r in rows}
    ).values_list("external_id", "pk"))
    matched: dict[tuple[int, int], StatisticRow] = {}
    aside: list[UnmatchedStatistic] = []
    for row in rows:
        email = row.email.lower()
        reason = None
        if email in shared:
            reason = UnmatchedReason.SEVERAL_LEARNERS
        elif email not in users:
            reason = UnmatchedReason.UNKNOWN_LEARNER
        elif row.course_external_id not in courses:
            reason = UnmatchedReason.UNKNOWN_COURSE
        if reason is not None:
            aside.append(UnmatchedStatistic(
                academy_id=academy_id, connection=connection, email=email[:254],
                course_external_id=row.course_external_id, day=day, progress=row.progress,
                time_seconds=min(row.time_seconds, MAX_SECONDS), reason=reason, received_at=now,
            ))
        else:
            matched[(users[email], courses[row.course_external_id])] = row
    with transaction.atomic():
        if matched:
            # A row kept aside earlier is superseded by this one.
            matched_keys = {(r.email.lower(), r.course_external_id) for r in matched.values()}
            stale = [pk for pk, email, course in UnmatchedStatistic.objects.filter(
                connection=connection, email__in={e for e, _ in matched_keys},
                course_external_id__in={c for _, c in matched_keys},
            ).values_list("pk", "email", "course_external_id") if (email, course) in matched_keys]
            if stale:
                UnmatchedStatistic.objects.filter(pk__in=stale).delete()
        if aside:
            UnmatchedStatistic.objects.bulk_create(
                aside, update_conflicts=True, unique_fields=["connection", "email", "course_external_id"],
                update_fields=["day", "progress", "time_seconds", "reason", "received_at"],
            )
        if matched:
            apply_progress(academy_id=academy_id, rows={k: (r.progress, min(r.time_seconds, MAX_SECONDS))
                                                        for k, r in matched.items()},
                           day=day, time_source=time_source, now=now, result=result)
    result.applied += len(matched)
    result.unmatched += len(aside)


def apply_progress(*, academy_id: int, rows: dict[tuple[int, int], tuple[int, int]], day: date, time_source: str,
                   now: datetime, result: ImportResult | None = None) -> ImportResult:
    """(user id, course id) -> (progress, seconds): the bulk equivalent of attempt_record_progress on
    the latest attempt of every enrollment of the pair, then activity_day_record for the pair.
    Writes are upserts (INSERT ... ON CONFLICT), one statement per batch."""
    result = result or ImportResult(completed_enrollment_ids=[])
    completed_now: list[int] = []  # completed or passed by this call: announced once written
    user_ids = {u for u, _ in rows}
    course_ids = {c for _, c in rows}
    # First, as plain tuples: the pairs' enrollments and the state of each one's latest attempt, so
    # that rows which change nothing (a day imported again) cost two reads and no model objects.
    keys = [
        (pk, u, c) for pk, u, c in Enrollment.objects.filter(
            academy_id=academy_id, user_id__in=user_ids, course_id__in=course_ids,
        ).values_list("pk", "user_id", "course_id").order_by()
        if (u, c) in rows
    ]
    have = {(u, c) for _, u, c in keys}
    latest_state: dict[int, tuple[str, int, int, str]] = {}
    for start in range(0, len(keys), BATCH):
        for enrollment_id, status, progress, seconds, source in (
            Attempt.objects.filter(enrollment_id__in=[pk for pk, _, _ in keys[start:start + BATCH]])
            .order_by("enrollment_id", "number")
            .values_list("enrollment_id", "status", "progress", "time_spent_seconds", "time_source")
        ):
            latest_state[enrollment_id] = (status, progress, seconds, source)  # the last number wins
    changing = [pk for pk, u, c in keys if _needs_update(latest_state.get(pk), *rows[(u, c)], time_source)]
    enrollments: list[Enrollment] = []
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for start in range(0, len(changing), BATCH):
        chunk = changing[start:start + BATCH]
        enrollments += Enrollment.objects.filter(pk__in=chunk).order_by()
        for known in Attempt.objects.filter(enrollment_id__in=chunk).order_by("number"):
            attempts[known.enrollment_id].append(known)
    attempt_rows: list[Attempt] = []
    enrollment_rows: list[Enrollment] = []
    # Pairs without any enrollment: a catalogue enrollment, written with its final values, then its attempt.
    fresh: dict[tuple[int, int], Attempt] = {}
    for pair in rows:
        if pair in have:
            continue
        progress, seconds = rows[pair]
        enrollment = Enrollment(academy_id=academy_id, user_id=pair[0], course_id=pair[1],
                                entry_point=EntryPoint.CATALOGUE, entry_key="catalogue", time_source=time_source)
        if progress or seconds:
            attempt = Attempt(academy_id=academy_id, number=1, started_at=now, time_source=time_source,
                              first_activity_at=now)
            _record(attempt, progress, seconds, time_source, now)
            _roll_up(enrollment, [attempt], time_source)
            fresh[pair] = attempt
        enrollment_rows.append(enrollment)
    for enrollment in enrollments:
        progress, seconds = rows[(enrollment.user_id, enrollment.course_id)]
        mine = attempts[enrollment.pk]
        latest: Attempt | None = mine[-1] if mine else None
        if latest is None:
            latest = Attempt(academy_id=academy_id, enrollment_id=enrollment.pk, number=1, started_at=now,
                             time_source=time_source, first_activity_at=now)
            mine.append(latest)
        _record(latest, progress, seconds, time_source, now)
        before = enrollment.status
        _roll_up(enrollment, mine, time_source)
        attempt_rows.append(latest)
        enrollment_rows.append(enrollment)
        finished_now = enrollment.status in FINISHED_STATUSES and before not in FINISHED_STATUSES
        if finished_now and result.completed_enrollment_ids is not None:
            result.completed_enrollment_ids.append(enrollment.pk)
        if enrollment.status in COMPLETED_STATUSES and before not in COMPLETED_STATUSES:
            completed_now.append(enrollment.pk)
    if enrollment_rows:
        # Rows read from the database are copied without their primary key; new ones have none.
        Enrollment.objects.bulk_create(
            [_unsaved(e, ENROLLMENT_KEYS + ENROLLMENT_FIELDS) if e.pk else e for e in enrollment_rows],
            batch_size=BULK,
            update_conflicts=True, unique_fields=["user", "course", "entry_key"], update_fields=ENROLLMENT_FIELDS,
        )
    if fresh:
        ids = {(u, c): pk for u, c, pk in Enrollment.objects.filter(
            academy_id=academy_id, user_id__in={u for u, _ in fresh}, course_id__in={c for _, c in fresh},
            entry_key="catalogue",
        ).values_list("user_id", "course_id", "pk")}
        for pair, attempt in fresh.items():
            attempt.enrollment_id = ids[pair]
            attempt_rows.append(attempt)
            if attempt.status in FINISHED_STATUSES and result.completed_enrollment_ids is not None:
                result.completed_enrollment_ids.append(ids[pair])
            if attempt.status in COMPLETED_STATUSES:
                completed_now.append(ids[pair])
    if attempt_rows:
        Attempt.objects.bulk_create(
            [_unsaved(a, ATTEMPT_KEYS + ATTEMPT_FIELDS) if a.pk else a for a in attempt_rows], batch_size=BULK,
            update_conflicts=True, unique_fields=["enrollment", "number"], update_fields=ATTEMPT_FIELDS,
        )
    result.changed_enrollments += len(enrollment_rows)
    result.days |= activity_days_record(academy_id=academy_id, rows=rows, day=day, time_source=time_source)
    enrollments_completed(enrollment_ids=completed_now)
    return result


BULK = 1000
ENROLLMENT_KEYS = ["academy_id", "user_id", "course_id", "entry_point", "entry_key"]
ATTEMPT_KEYS = ["academy_id", "enrollment_id", "number", "started_at"]


def _unsaved(obj: Any, names: list[str]) -> Any:
    """A copy without its primary key, so an upsert matches it on its natural key."""
    return type(obj)(**{name: getattr(obj, name) for name in names})


ATTEMPT_FIELDS = ["status", "progress", "time_spent_seconds", "time_source", "first_activity_at", "last_activity_at",
                  "completed_at"]
ENROLLMENT_FIELDS = ["status", "progress", "score", "time_spent_seconds", "time_source", "first_activity_at",
                     "last_activity_at", "completed_at"]


def _next_status(status: str, current: int, progress: int) -> str:
    """The status of an attempt in `status` at progress `current` once `progress` is reported."""
    if status in FINISHED_STATUSES:
        return status  # a late report cannot reopen a finished attempt
    if max(current, progress) >= 100:
        return LearningStatus.COMPLETED
    if progress > 0 or status == LearningStatus.IN_PROGRESS:
        return LearningStatus.IN_PROGRESS
    return status


def _needs_update(latest: tuple[str, int, int, str] | None, progress: int, seconds: int, time_source: str) -> bool:
    """Whether reporting (progress, seconds) changes an enrollment whose latest attempt is in the
    state (status, progress, seconds, time source); None: it has no attempt yet."""
    if latest is None:
        return bool(progress or seconds)  # with nothing reported, nothing happened yet
    status, current, spent, source = latest
    return (
        max(current, progress) != current
        or (status in FINISHED_STATUSES and status != LearningStatus.FAILED and current != 100)
        or spent != seconds
        or source != time_source
        or _next_status(status, current, progress) != status
    )


def _record(attempt: Attempt, progress: int, seconds: int, time_source: str, now: datetime) -> None:
    attempt.status = _next_status(attempt.status, attempt.progress, progress)
    attempt.progress = max(attempt.progress, progress)
    attempt.time_spent_seconds = seconds
    attempt.time_source = time_source
    if attempt.status in FINISHED_STATUSES and attempt.completed_at is None:
        attempt.completed_at = now
    if attempt.status in FINISHED_STATUSES and attempt.status != LearningStatus.FAILED:
        attempt.progress = 100
    attempt.first_activity_at = attempt.first_activity_at or now
    attempt.last_activity_at = now


def _roll_up(enrollment: Enrollment, attempts: list[Attempt], time_source: str) -> None:
    """The enrollment's figures from attempts already in memory (saved in bulk by the caller)."""
    enrollment_figures_from(enrollment, attempts)
    enrollment.time_source = time_source


def activity_days_record(*, academy_id: int, rows: dict[tuple[int, int], tuple[int, int]], day: date,
                         time_source: str) -> set[date]:
    """learning.services.activity_day_record for many (user, course) pairs at once: the day's
    seconds are the increase over the latest earlier day, the next later day's part follows, and a
    day recorded again with the same values is not written. Returns the days written (the caller
    refreshes their daily totals with learning.services.activity_totals_refresh, once per run)."""
    user_ids = {u for u, _ in rows}
    course_ids = {c for _, c in rows}
    base = ActivityDay.objects.filter(time_source=time_source, user_id__in=user_ids, course_id__in=course_ids)
    same_day = {
        (u, c): (cum, prog) for u, c, cum, prog in base.filter(day=day).values_list(
            "user_id", "course_id", "cumulative_seconds", "progress")
    }
    todo = {pair: value for pair, value in rows.items() if same_day.get(pair) != (value[1], value[0])}
    if not todo:
        return set()
    last_day = {(u, c): d for u, c, d in base.filter(day__lt=day).values("user_id", "course_id").annotate(
        d=Max("day")).values_list("user_id", "course_id", "d") if (u, c) in todo}
    earlier: dict[tuple[int, int], int] = {}
    if last_day:
        for u, c, d, cum in base.filter(day__in=set(last_day.values())).values_list(
                "user_id", "course_id", "day", "cumulative_seconds"):
            if last_day.get((u, c)) == d:
                earlier[(u, c)] = cum
    ActivityDay.objects.bulk_create(
        [ActivityDay(academy_id=academy_id, user_id=u, course_id=c, day=day, time_source=time_source,
                     cumulative_seconds=seconds, progress=progress,
                     seconds=max(0, seconds - earlier.get((u, c), 0)))
         for (u, c), (progress, seconds) in todo.items()],
        update_conflicts=True, unique_fields=["user", "course", "time_source", "day"],
        update_fields=["cumulative_seconds", "progress", "seconds"], batch_size=1000,
    )
    next_day = {(u, c): d for u, c, d in base.filter(day__gt=day).values("user_id", "course_id").annotate(
        d=Min("day")).values_list("user_id", "course_id", "d") if (u, c) in todo}
    for (u, c), d in next_day.items():
        later = ActivityDay.objects.get(user_id=u, course_id=c, time_source=time_source, day=d)
        ActivityDay.objects.filter(pk=later.pk).update(
            seconds=max(0, later.cumulative_seconds - todo[(u, c)][1]))
    return {day, *next_day.values()}


def unmatched_attach(*, connection: Connection, provider_name: str, time_source: str) -> int:
    """Rows kept aside whose learner (or course) now exists: imported on their day, then removed."""
    attached = 0
    pending = list(UnmatchedStatistic.objects.filter(connection=connection).order_by("pk"))
    if not pending:
        return 0
    users, shared = _emails_to_users(connection.academy_id, (p.email for p in pending))
    courses = dict(Course.objects.filter(
        academy_id=connection.academy_id, provider=provider_name,
        external_id__in={p.course_external_id for p in pending},
    ).values_list("external_id", "pk"))
    by_day: dict[date, dict[tuple[int, int], tuple[int, int]]] = defaultdict(dict)
    done: list[int] = []
    for p in pending:
        if p.email in users and p.email not in shared and p.course_external_id in courses:
            by_day[p.day][(users[p.email], courses[p.course_external_id])] = (p.progress, p.time_seconds)
            done.append(p.pk)
    now = timezone.now()
    with transaction.atomic():
        written: set[date] = set()
        for day in sorted(by_day):
            written |= apply_progress(academy_id=connection.academy_id, rows=by_day[day], day=day,
                                      time_source=time_source, now=now).days
            attached += len(by_day[day])
        UnmatchedStatistic.objects.filter(pk__in=done).delete()
        activity_totals_refresh(academy_id=connection.academy_id, days=written)
    return attached
