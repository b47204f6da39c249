"""Provider learner statistics imported in bulk: `python -m bench.statistics_import --label sqlite
--rows 1000000` with DATABASE_URL set (`python -m bench` runs it on each database).

An academy with `rows / courses` learners and `courses` OpenClassrooms courses; one statistics row per
learner and course (progress and theoretical duration), generated page by page as the provider would
send them (never all in memory). The rows are mapped (mapping.statistic_row) and imported through
connectors.statistics.statistics_import, which creates the catalogue enrollments, the attempts and
the activity days. In the same run, on a second academy of the same shape, the same enrollment,
attempt and activity-day rows are written by a plain bulk insert (bulk_create, no reads, no logic):
the ratio of the two is the import's database overhead. Then the same day is imported again (it
must write nothing).

Figures, each suffixed with the database label: statistics_import_total (s, mapping included),
statistics_import_db (s), statistics_raw_insert (s), statistics_import_vs_raw (x),
statistics_reimport_same_day (s), statistics_import_peak_memory_growth (MB: how much the process's
peak resident memory grew during the import; bounded by the page size, not by the number of rows)."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bench.run import Figure

if TYPE_CHECKING:
    from coursebridge.accounts.models import Academy
    from coursebridge.connectors.models import Connection

PAGE = 5000
DAY = datetime.date(2026, 11, 20)
PROVIDER = "openclassrooms"


def world(*, slug: str, learners: int, courses: int) -> tuple[Academy, Connection, list[int], list[int]]:
    """An academy with its learners and provider courses, written in bulk."""
    from coursebridge.accounts.models import User
    from coursebridge.accounts.selectors import group_root
    from coursebridge.accounts.services import academy_create, group_create
    from coursebridge.catalog.models import Course, CourseKind
    from coursebridge.connectors.models import Connection

    academy = academy_create(slug=slug, name=slug)
    group = group_create(parent=group_root(academy=academy), name="Learners")
    User.objects.bulk_create(
        [User(academy=academy, username=f"{slug}-{n}", email=f"Learner.{n}@{slug}.example", password="!")  # noqa: S106 (an unusable password)
         for n in range(learners)], batch_size=5000,
    )
    Course.objects.bulk_create(
        [Course(academy=academy, kind=CourseKind.PROVIDER, provider=PROVIDER, external_id=f"oc-{n}",
                title=f"Course {n}", duration_minutes=60 + n) for n in range(courses)], batch_size=5000,
    )
    connection = Connection.objects.create(academy=academy, provider=PROVIDER, group=group)
    user_ids = list(User.objects.filter(academy=academy).order_by("pk").values_list("pk", flat=True))
    course_ids = list(Course.objects.filter(academy=academy).order_by("pk").values_list("pk", flat=True))
    return academy, connection, user_ids, course_ids


def raw_pages(*, slug: str, learners: int, courses: int) -> Iterator[list[dict[str, object]]]:
    """The provider's payload rows, page by page; emails in a different case than stored."""
    page: list[dict[str, object]] = []
    for n in range(learners):
        for c in range(courses):
            page.append({"user_email": f"learner.{n}@{slug.upper()}.example", "course_id": f"oc-{c}",
                         "progress": (n * 7 + c * 13) % 101, "theoretical_duration_minutes": 60 + c})
            if len(page) == PAGE:
                yield page
                page = []
    if page:
        yield page


def timed_import(*, connection: Connection, slug: str, learners: int, courses: int) -> tuple[float, float, float]:
    """(total seconds, database seconds, growth of the process's peak memory in MB)."""
    import resource

    from coursebridge.connectors.providers.base import StatisticRow
    from coursebridge.connectors.providers.openclassrooms.mapping import statistic_row
    from coursebridge.connectors.statistics import statistics_import
    from coursebridge.learning.services import activity_totals_refresh

    database = 0.0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    days = {DAY}
    for raw in raw_pages(slug=slug, learners=learners, courses=courses):
        rows = [r for r in (statistic_row(item) for item in raw) if isinstance(r, StatisticRow)]
        assert len(rows) == len(raw)
        start = time.perf_counter()
        days |= statistics_import(connection=connection, provider_name=PROVIDER, rows=rows, day=DAY).days
        database += time.perf_counter() - start
    start = time.perf_counter()
    # The dashboards' daily totals, once per run as connectors.statistics.statistics_fetch_and_import does.
    activity_totals_refresh(academy_id=connection.academy_id, days=days)
    database += time.perf_counter() - start
    total = time.perf_counter() - began
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024  # kB on Linux
    return total, database, peak


def raw_insert(*, academy: Academy, user_ids: list[int], course_ids: list[int]) -> float:
    """The same rows, written by plain bulk inserts: enrollments, their attempts, the activity days."""
    from django.utils import timezone

    from coursebridge.learning.models import ActivityDay, Attempt, Enrollment

    now = timezone.now()
    began = time.perf_counter()
    for start in range(0, len(user_ids), max(1, PAGE // len(course_ids))):
        users = user_ids[start:start + max(1, PAGE // len(course_ids))]
        pairs = [(u, c, ((i * 7 + j * 13) % 101)) for i, u in enumerate(users, start) for j, c in enumerate(course_ids)]
        Enrollment.objects.bulk_create(
            [Enrollment(academy_id=academy.pk, user_id=u, course_id=c, status="in_progress", progress=p,
                        time_source="theoretical", time_spent_seconds=p * 36, first_activity_at=now,
                        last_activity_at=now) for u, c, p in pairs], batch_size=1000)
        ids = {(u, c): pk for u, c, pk in Enrollment.objects.filter(
            academy_id=academy.pk, user_id__in=users).values_list("user_id", "course_id", "pk")}
        Attempt.objects.bulk_create(
            [Attempt(academy_id=academy.pk, enrollment_id=ids[(u, c)], number=1, started_at=now,
                     status="in_progress", progress=p, time_source="theoretical", time_spent_seconds=p * 36,
                     first_activity_at=now, last_activity_at=now) for u, c, p in pairs], batch_size=1000)
        ActivityDay.objects.bulk_create(
            [ActivityDay(academy_id=academy.pk, user_id=u, course_id=c, day=DAY, time_source="theoretical",
                         seconds=p * 36, cumulative_seconds=p * 36, progress=p) for u, c, p in pairs],
            batch_size=1000)
    return time.perf_counter() - began


def bench(*, rows: int, courses: int, label: str) -> Iterator[Figure]:
    from django.db import transaction

    learners = max(1, rows // courses)
    _, connection, _, _ = world(slug="statsimport", learners=learners, courses=courses)
    academy_b, _, user_ids_b, course_ids_b = world(slug="statsraw", learners=learners, courses=courses)
    with transaction.atomic():
        raw = raw_insert(academy=academy_b, user_ids=user_ids_b, course_ids=course_ids_b)
    with transaction.atomic():
        total, database, peak = timed_import(connection=connection, slug="statsimport", learners=learners,
                                             courses=courses)
    size = f"{learners * courses}"
    # Each figure is printed as soon as it is measured.
    yield Figure(f"statistics_import_total_{size}_{label}", total, "s")
    yield Figure(f"statistics_import_db_{size}_{label}", database, "s")
    yield Figure(f"statistics_raw_insert_{size}_{label}", raw, "s")
    yield Figure(f"statistics_import_vs_raw_{size}_{label}", database / raw, "x")
    with transaction.atomic():
        again, _, _ = timed_import(connection=connection, slug="statsimport", learners=learners, courses=courses)
    yield Figure(f"statistics_reimport_same_day_{size}_{label}", again, "s")
    yield Figure(f"statistics_import_peak_memory_growth_{size}_{label}", peak, "MB")


def check(*, label: str) -> None:
    """The import wrote one enrollment, attempt and day per row, like the raw insert."""
    from coursebridge.learning.models import ActivityDay, Attempt, Enrollment

    for slug in ("statsimport", "statsraw"):
        counts = (Enrollment.objects.filter(academy__slug=slug).count(),
                  Attempt.objects.filter(academy__slug=slug).count(),
                  ActivityDay.objects.filter(academy__slug=slug).count())
        print(f"{label} {slug}: enrollments, attempts, activity days = {counts}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statistics_import", description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--courses", type=int, default=50)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for figure in bench(rows=args.rows, courses=args.courses, label=args.label):
        print(figure.line(), flush=True)
    check(label=args.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
