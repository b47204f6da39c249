"""Writes on enrollments and attempts, and the launch gate every START goes through."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Q, Sum
from django.utils import timezone

from coursebridge.accounts.models import User
from coursebridge.catalog.models import Course, CourseKind, CourseStatus
from coursebridge.catalog.selectors import course_visible_to_learner
from coursebridge.core import rawsql
from coursebridge.core.errors import DomainError, LaunchRefused, NotFound
from coursebridge.learning.models import (
    FINISHED_STATUSES,
    ActivityDay,
    ActivityDayTotal,
    Attempt,
    Enrollment,
    EntryPoint,
    LearningStatus,
    TimeSource,
)


@dataclass(frozen=True)
class Launch:
    """Where START sends the learner, and the attempt it recorded."""

    url: str
    attempt: Attempt


MAX_SCORE = 10000  # the score column holds 6 digits, 2 of them decimals
MAX_SECONDS = 2**31 - 1  # the time columns are 32-bit integers

# A launcher turns an attempt into the address the browser opens. Content kinds register theirs.
Launcher = Callable[[Attempt], str]
LAUNCHERS: dict[str, Launcher] = {}


def register_launcher(kind: str, launcher: Launcher) -> None:
    LAUNCHERS[kind] = launcher


def _launch_url_of(attempt: Attempt) -> str:
    course = attempt.enrollment.course
    if not course.launch_url:
        raise LaunchRefused(f"'{course.title}' has no address to open. Ask an administrator to set one.")
    return course.launch_url


register_launcher(CourseKind.WEB_LINK, _launch_url_of)
register_launcher(CourseKind.PROVIDER, _launch_url_of)

# Statuses from least to most finished: an enrollment shows its best attempt.
STATUS_RANK = {
    LearningStatus.NOT_STARTED: 0, LearningStatus.IN_PROGRESS: 1, LearningStatus.FAILED: 2,
    LearningStatus.COMPLETED: 3, LearningStatus.PASSED: 4,
}
# What completes a course (and earns what the course awards, such as credit); failed does not.
COMPLETED_STATUSES = frozenset({LearningStatus.COMPLETED, LearningStatus.PASSED})
# Apps that act on a completion register a listener here, as content kinds register their launcher:
# learning imports none of them (see docs/decisions/0012-native-credit-through-a-completion-listener.md).
CompletionListener = Callable[[list[int]], None]
COMPLETION_LISTENERS: list[CompletionListener] = []


def register_completion_listener(listener: CompletionListener) -> None:
    if listener not in COMPLETION_LISTENERS:
        COMPLETION_LISTENERS.append(listener)


def enrollments_completed(*, enrollment_ids: Sequence[int]) -> None:
    """Announce enrollments that have just become completed or passed, inside the transaction that
    completed them, so what a listener writes is kept or rolled back with the completion. Called once
    per completion, never on a report that leaves the status as it was: the busy tracking requests
    (bookmarks, time) never reach it."""
    if not enrollment_ids:
        return
    for listener in COMPLETION_LISTENERS:
        listener(list(enrollment_ids))


def enrollment_entry_key(entry_point: str, session_id: int | None = None) -> str:
    if entry_point == EntryPoint.CATALOGUE:
        return "catalogue"
    if session_id is None:
        raise DomainError("A program session entry needs its session.", field="session_id")
    return f"session:{session_id}"


@transaction.atomic
def enrollment_create(
    *, user: User, course: Course, entry_point: str = EntryPoint.CATALOGUE, session_id: int | None = None
) -> Enrollment:
    """Enroll a learner (idempotent per entry point). Inactive and archived courses take no new learners."""
    if user.academy_id != course.academy_id:
        raise DomainError("The learner belongs to another academy.", field="user_id")
    if entry_point not in EntryPoint.values:
        raise DomainError(f"Entry point is one of {', '.join(EntryPoint.values)}.", field="entry_point")
    key = enrollment_entry_key(entry_point, session_id)
    existing = Enrollment.objects.filter(user=user, course=course, entry_key=key).first()
    if existing is not None:
        return existing
    if course.status != CourseStatus.ACTIVE:
        raise DomainError(
            f"'{course.title}' is {course.get_status_display().lower()} and takes no new learners.",
            field="course_id",
        )
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                academy_id=course.academy_id, user=user, course=course, entry_point=entry_point, entry_key=key
            )
    except IntegrityError:  # a concurrent request enrolled the same learner first
        return Enrollment.objects.get(user=user, course=course, entry_key=key)


def launch_refusal(*, course: Course, enrollment: Enrollment | None, subject: str = "") -> str | None:
    """Why the learner with this enrollment (None: not enrolled) may not start the course now, or
    None. `subject` names the course in the message (default: its quoted title); the course page
    asks first so it can explain instead of showing START, the launch gate decides."""
    name = subject or f"'{course.title}'"
    if course.status == CourseStatus.ARCHIVED:
        if enrollment is not None and enrollment.status not in FINISHED_STATUSES and enrollment.first_activity_at:
            return (
                f"{name} is archived. Your progress is kept, and you can finish the course "
                "once it is reactivated."
            )
        return f"{name} is archived and cannot be launched."
    if course.status == CourseStatus.INACTIVE and (enrollment is None or enrollment.first_activity_at is None):
        return (
            f"{name} is no longer offered ({course.status_reason or 'deactivated'}). "
            "Only learners who had already started it can open it."
        )
    return None


@transaction.atomic
def launch_course(
    *, user: User, course: Course, entry_point: str = EntryPoint.CATALOGUE, session_id: int | None = None
) -> Launch:
    """The launch gate. Checks the course's lifecycle and the learner's right to it, enrolls when
    needed, records the attempt (resuming an unfinished one) and returns where to go."""
    if user.academy_id != course.academy_id:
        raise NotFound("No such course.")
    key = enrollment_entry_key(entry_point, session_id)
    enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course, entry_key=key).first()
    reason = launch_refusal(course=course, enrollment=enrollment)
    if reason:
        raise LaunchRefused(reason)
    if enrollment is None:
        if entry_point == EntryPoint.CATALOGUE and not course_visible_to_learner(course=course, user=user):
            raise LaunchRefused(f"'{course.title}' is not in your catalogue.")
        enrollment = enrollment_create(user=user, course=course, entry_point=entry_point, session_id=session_id)
    launcher = LAUNCHERS.get(course.kind)
    if launcher is None:
        raise LaunchRefused(f"Courses of the kind '{course.get_kind_display()}' cannot be launched here.")
    now = timezone.now()
    attempt = enrollment.attempts.order_by("-number").first()
    if attempt is None or attempt.status in FINISHED_STATUSES:
        attempt = Attempt.objects.create(
            academy_id=course.academy_id, enrollment=enrollment, number=(attempt.number + 1) if attempt else 1,
            started_at=now, status=LearningStatus.IN_PROGRESS, first_activity_at=now, last_activity_at=now,
            time_source=enrollment.time_source,
        )
    else:
        attempt.status = LearningStatus.IN_PROGRESS
        attempt.first_activity_at = attempt.first_activity_at or now
        attempt.last_activity_at = now
        attempt.save(update_fields=["status", "first_activity_at", "last_activity_at"])
    if enrollment.status == LearningStatus.NOT_STARTED:
        enrollment.status = LearningStatus.IN_PROGRESS
    enrollment.first_activity_at = enrollment.first_activity_at or now
    enrollment.last_activity_at = now
    enrollment.save(update_fields=["status", "first_activity_at", "last_activity_at"])
    attempt.enrollment = enrollment
    return Launch(url=launcher(attempt), attempt=attempt)


@transaction.atomic
def attempt_record_progress(
    *,
    attempt: Attempt,
    status: str | None = None,
    progress: int | None = None,
    score: float | None = None,
    time_spent_seconds: int | None = None,
) -> Attempt:
    """Record what content reported for an attempt, and roll it up into the enrollment. Progress
    never goes back; a finished enrollment keeps its completion date."""
    _check_progress(status=status, progress=progress, score=score, time_spent_seconds=time_spent_seconds)
    now = timezone.now()
    if score is not None:
        attempt.score = Decimal(str(score))
    if time_spent_seconds is not None:
        attempt.time_spent_seconds = time_spent_seconds
    attempt.status, attempt.progress = attempt_progress_change(
        status_now=attempt.status, progress_now=attempt.progress, status=status, progress=progress
    )
    if attempt.status in FINISHED_STATUSES and attempt.completed_at is None:
        attempt.completed_at = now
    attempt.first_activity_at = attempt.first_activity_at or now
    attempt.last_activity_at = now
    attempt.save()
    _roll_up(enrollment=attempt.enrollment)
    return attempt


_STATUS_VALUES = frozenset(LearningStatus.values)  # Choices.values builds its list at every call


def _check_progress(
    *, status: str | None, progress: int | None, score: float | None, time_spent_seconds: int | None
) -> None:
    if progress is not None and not 0 <= progress <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", field="progress")
    if status is not None and status not in _STATUS_VALUES:
        raise DomainError(f"Status is one of {', '.join(LearningStatus.values)}.", field="status")
    if score is not None and not (math.isfinite(score) and abs(round(score, 2)) < MAX_SCORE):
        raise DomainError(f"A score is a number between -{MAX_SCORE} and {MAX_SCORE}.", field="score")
    if time_spent_seconds is not None and not 0 <= time_spent_seconds <= MAX_SECONDS:
        raise DomainError("Time spent is a number of seconds, at least 0.", field="time_spent_seconds")


def attempt_progress_change(
    *, status_now: str, progress_now: int, status: str | None, progress: int | None
) -> tuple[str, int]:
    """The status and progress an attempt at `status_now` and `progress_now` moves to when content
    reports `status` and `progress`: progress never goes back, a late report cannot reopen a
    finished attempt (the next START opens a new one), and a finished attempt that did not fail is
    at 100."""
    if progress is not None:
        progress_now = max(progress_now, progress)
    if status is not None and (status in FINISHED_STATUSES or status_now not in FINISHED_STATUSES):
        status_now = status
    if status_now in FINISHED_STATUSES and status_now != LearningStatus.FAILED:
        progress_now = 100
    return status_now, progress_now


def attempt_progress_statements(
    *,
    status_now: str,
    progress_now: int,
    attempt_id: int,
    enrollment_id: int,
    status: str | None,
    progress: int,
    score: float | None,
    time_spent_seconds: int,
    time_source: str,
    now: datetime,
    db: BaseDatabaseWrapper,
) -> list[tuple[str, list[Any]]]:
    """attempt_record_progress for an attempt known by its ids, as statements (in the driver's
    placeholders) to run inside the caller's transaction after the attempt was read locked
    (attempt_lock_query) with `status_now` and `progress_now`: the attempt's update, and the
    enrollment rolled up from its attempts by the database. Same rules, same result (tests pin it);
    HACP PutParam uses it (docs/decisions/0007-hacp-hot-path.md)."""
    _check_progress(status=status, progress=progress, score=score, time_spent_seconds=time_spent_seconds)
    status_now, progress_now = attempt_progress_change(
        status_now=status_now, progress_now=progress_now, status=status, progress=progress
    )
    when = rawsql.datetime_value(now, db)
    return [
        (rawsql.sql(_ATTEMPT_UPDATE, db),
         [status_now, progress_now, None if score is None else db.ops.adapt_decimalfield_value(
             Decimal(str(score)), 6, 2), time_spent_seconds, time_source, status_now in FINISHED_STATUSES, when,
          when, when, attempt_id]),
        (rawsql.sql(_ENROLLMENT_ROLL_UP, db), [enrollment_id]),
    ]


@functools.cache
def attempt_lock_query(vendor: str) -> str:
    """The attempt's status and progress, locked (in the driver's placeholders; one parameter: its id)."""
    lock = " FOR UPDATE" if vendor == "postgresql" else ""  # SQLite's write transaction already excludes others
    return rawsql.for_vendor(f"SELECT status, progress FROM {Attempt._meta.db_table} WHERE id = %s{lock}", vendor)


_ATTEMPT_UPDATE = (
    f"UPDATE {Attempt._meta.db_table} SET status = %s, progress = %s, score = COALESCE(%s, score), "
    "time_spent_seconds = %s, time_source = %s, "
    "completed_at = CASE WHEN %s AND completed_at IS NULL THEN %s ELSE completed_at END, "
    "first_activity_at = COALESCE(first_activity_at, %s), last_activity_at = %s WHERE id = %s"
)
# _roll_up below, by the database: the best attempt's status (status, then progress, then the
# latest), the best progress and score, the time of all, the first and last activity, the first
# completion that is not a failure.
_RANK_SQL = "CASE status " + " ".join(
    f"WHEN '{status.value}' THEN {rank}" for status, rank in STATUS_RANK.items()) + " END"
_OF_ENROLLMENT = f"FROM {Attempt._meta.db_table} WHERE enrollment_id = {Enrollment._meta.db_table}.id"
_ENROLLMENT_ROLL_UP = (
    f"UPDATE {Enrollment._meta.db_table} SET "
    f"status = (SELECT status {_OF_ENROLLMENT} ORDER BY {_RANK_SQL} DESC, progress DESC, number DESC LIMIT 1), "
    f"progress = (SELECT MAX(progress) {_OF_ENROLLMENT}), score = (SELECT MAX(score) {_OF_ENROLLMENT}), "
    f"time_spent_seconds = (SELECT SUM(time_spent_seconds) {_OF_ENROLLMENT}), "
    f"first_activity_at = (SELECT MIN(first_activity_at) {_OF_ENROLLMENT}), "
    f"last_activity_at = (SELECT MAX(last_activity_at) {_OF_ENROLLMENT}), "
    f"completed_at = (SELECT MIN(CASE WHEN status <> '{LearningStatus.FAILED.value}' THEN completed_at END) "
    f"{_OF_ENROLLMENT}) WHERE id = %s"
)


def enrollment_figures_from(enrollment: Enrollment, attempts: Sequence[Attempt]) -> None:
    """Set (not save) what the enrollment shows from its attempts: the best attempt's status (status,
    then progress, then the latest), the best progress and score, the time of all, the first and last
    activity, the first completion that is not a failure. The SQL roll-up (_ENROLLMENT_ROLL_UP) does
    the same in the database."""
    best = max(attempts, key=lambda a: (STATUS_RANK[LearningStatus(a.status)], a.progress, a.number))
    enrollment.status = best.status
    enrollment.progress = max(a.progress for a in attempts)
    scores = [a.score for a in attempts if a.score is not None]
    enrollment.score = max(scores) if scores else None
    enrollment.time_spent_seconds = min(MAX_SECONDS, sum(a.time_spent_seconds for a in attempts))
    firsts = [a.first_activity_at for a in attempts if a.first_activity_at]
    lasts = [a.last_activity_at for a in attempts if a.last_activity_at]
    enrollment.first_activity_at = min(firsts) if firsts else None
    enrollment.last_activity_at = max(lasts) if lasts else None
    completions = [a.completed_at for a in attempts if a.completed_at and a.status != LearningStatus.FAILED]
    enrollment.completed_at = min(completions) if completions else None


def _roll_up(*, enrollment: Enrollment) -> None:
    """The enrollment shows its best attempt, and the time of all of them."""
    attempts = list(enrollment.attempts.all())
    if not attempts:
        return
    was_completed = enrollment.status in COMPLETED_STATUSES
    enrollment_figures_from(enrollment, attempts)
    enrollment.save()
    if not was_completed and enrollment.status in COMPLETED_STATUSES:
        enrollments_completed(enrollment_ids=[enrollment.pk])


def activity_day_record(
    *,
    academy_id: int,
    user_id: int,
    course_id: int,
    day: date,
    time_source: str,
    cumulative_seconds: int,
    progress: int,
) -> ActivityDay:
    """Record where a learner stood in a course at the end of `day`: their total time for that
    source, and their progress. The day's seconds are the increase over the learner's latest earlier
    day of that source (never negative: a total that went down counts 0), and the next recorded day's
    part follows when a day is recorded late. Recording the same day again replaces it, so re-running
    a day's statistics changes nothing."""
    if time_source not in TimeSource.values:
        raise DomainError(f"Time source is one of {', '.join(TimeSource.values)}.", field="time_source")
    if not 0 <= cumulative_seconds <= MAX_SECONDS:
        raise DomainError("Time spent is a number of seconds, at least 0.", field="cumulative_seconds")
    if not 0 <= progress <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", field="progress")
    with transaction.atomic():
        earlier = (
            ActivityDay.objects.filter(user_id=user_id, course_id=course_id, time_source=time_source, day__lt=day)
            .order_by("-day")
            .values_list("cumulative_seconds", flat=True)
            .first()
        )
        row, _ = ActivityDay.objects.update_or_create(
            user_id=user_id, course_id=course_id, time_source=time_source, day=day,
            defaults={
                "academy_id": academy_id, "cumulative_seconds": cumulative_seconds, "progress": progress,
                "seconds": max(0, cumulative_seconds - (earlier or 0)),
            },
        )
        later = (
            ActivityDay.objects.filter(user_id=user_id, course_id=course_id, time_source=time_source, day__gt=day)
            .order_by("day")
            .first()
        )
        if later is not None:
            ActivityDay.objects.filter(pk=later.pk).update(
                seconds=max(0, later.cumulative_seconds - cumulative_seconds))
        activity_totals_refresh(academy_id=academy_id, days=[day] + ([later.day] if later is not None else []))
    return row


TOTALS_DAYS_PER_READ = 31


def activity_totals_refresh(*, academy_id: int, days: Iterable[date]) -> int:
    """Recompute the academy's daily totals (ActivityDayTotal) of `days` from its activity days: the
    learners with time recorded that day and the seconds per time source; a day without any row
    loses its total. Every writer of activity days calls this for the days it wrote, once per run
    (a statistics import, a snapshot), not per row. Returns the number of days refreshed."""
    wanted = sorted(set(days))
    sums = {f"{source}_seconds": Sum("seconds", filter=Q(time_source=source)) for source in TimeSource.values}
    for start in range(0, len(wanted), TOTALS_DAYS_PER_READ):
        chunk = wanted[start:start + TOTALS_DAYS_PER_READ]
        rows: list[dict[str, Any]] = [
            dict(row) for row in ActivityDay.objects.filter(academy_id=academy_id, day__in=chunk).values("day")
            .annotate(active_learners=Count("user_id", distinct=True, filter=Q(seconds__gt=0)), **sums).order_by()
        ]
        found = [
            ActivityDayTotal(academy_id=academy_id, day=row["day"], active_learners=row["active_learners"],
                             **{name: int(row[name] or 0) for name in sums})
            for row in rows
        ]
        with transaction.atomic():
            ActivityDayTotal.objects.filter(academy_id=academy_id, day__in=chunk).exclude(
                day__in=[t.day for t in found]).delete()
            ActivityDayTotal.objects.bulk_create(
                found, update_conflicts=True, unique_fields=["academy", "day"],
                update_fields=["active_learners", *sums],
            )
    return len(wanted)
