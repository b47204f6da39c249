"""The benchmarks against one database: `python -m bench.run --label sqlite` with DATABASE_URL set.

`python -m bench` starts this once per database, each in its own process, so every run gets its own
settings and a freshly migrated database.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coursebridge.accounts.models import Academy, Group, User

UPSERT_CHUNK = 5000
RAW_COLUMNS = (
    "academy_id", "kind", "title", "description", "provider", "external_id", "launch_url", "image_url",
    "duration_minutes", "language", "publisher", "visibility", "status", "status_reason", "status_changed_at",
    "status_before_archive", "search_text", "content_hash", "created_at", "updated_at",
)
PROVIDER = "benchprovider"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str

    def line(self) -> str:
        decimals = {"ms": 1, "s": 2, "x": 2}.get(self.unit, 0)
        return f"bench: {self.name} {self.value:.{decimals}f} {self.unit}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _db_vendor() -> str:
    from django.db import connection

    return connection.vendor


def delete_courses(*, academy: Academy) -> None:
    """Empty the academy's catalogue with plain SQL (cascading through the ORM would load 100k rows)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        in_academy = "SELECT id FROM catalog_course WHERE academy_id = %s"
        cursor.execute("DELETE FROM catalog_placement WHERE academy_id = %s", [academy.pk])
        for table in ("catalog_course_categories", "catalog_course_tags", "catalog_coursestatuschange"):
            cursor.execute(f"DELETE FROM {table} WHERE course_id IN ({in_academy})", [academy.pk])
        cursor.execute("DELETE FROM catalog_course WHERE academy_id = %s", [academy.pk])
    tidy_up()


def tidy_up() -> None:
    """What a maintained database has: fresh planner statistics, and no dead rows on PostgreSQL
    (VACUUM cannot run inside a transaction, as in the tests: there, statistics only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for table in ("catalog_course", "catalog_placement"):
                cursor.execute(f"{command} {table}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")


def time_upsert(*, academy: Academy, size: int, chunk: int = UPSERT_CHUNK) -> float:
    """Seconds spent in course_bulk_upsert for `size` generated rows, sent `chunk` rows per call
    the way a sync sends one page at a time. Generating the rows is not counted."""
    from bench.data import chunks, course_rows
    from coursebridge.catalog.services import course_bulk_upsert

    spent = 0.0
    for start, count in chunks(size, chunk):
        rows = course_rows(start, count)
        began = time.perf_counter()
        course_bulk_upsert(academy=academy, provider=PROVIDER, rows=rows)
        spent += time.perf_counter() - began
    return spent


def raw_values(*, academy: Academy, start: int, count: int) -> list[tuple[Any, ...]]:
    """The rows course_bulk_upsert would write, as plain tuples in RAW_COLUMNS order."""
    from django.db import connection
    from django.utils import timezone

    from bench.data import course_rows
    from coursebridge.catalog import search

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return [
        (
            academy.pk, "provider", row.title[:300], row.description, PROVIDER, row.external_id, row.launch_url,
            row.image_url, row.duration_minutes, row.language, row.publisher, "visible", "active", "", now, "",
            search.build_search_text(row.title, row.description, row.category_names), row.content_hash, now, now,
        )
        for row in course_rows(start, count)
    ]


def time_raw_insert(*, academy: Academy, size: int, chunk: int = UPSERT_CHUNK) -> float:
    """Seconds spent in a plain executemany INSERT of the same rows into the same table, one
    transaction per chunk like the upsert. Building the tuples is not counted."""
    from django.db import connection, transaction

    from bench.data import chunks

    sql = (
        f"INSERT INTO catalog_course ({', '.join(RAW_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(RAW_COLUMNS))})"
    )
    spent = 0.0
    for start, count in chunks(size, chunk):
        values = raw_values(academy=academy, start=start, count=count)
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, values)
        spent += time.perf_counter() - began
    return spent


def bench_upsert(*, academy: Academy, size: int, repeat: int, suffix: str) -> Iterator[Figure]:
    """Best of `repeat` for the upsert and for the raw insert, alternated on an empty catalogue;
    then a second upsert of the same rows (all updates). Leaves the upserted courses in place."""
    raw_times, upsert_times = [], []
    for _ in range(repeat):
        delete_courses(academy=academy)
        raw_times.append(time_raw_insert(academy=academy, size=size))
        delete_courses(academy=academy)
        upsert_times.append(time_upsert(academy=academy, size=size))
    upsert, raw = min(upsert_times), min(raw_times)
    yield Figure(f"course_upsert_{suffix}", upsert, "s")
    yield Figure(f"course_raw_insert_{suffix}", raw, "s")
    yield Figure(f"course_upsert_vs_raw_{suffix}", upsert / raw, "x")
    tidy_up()
    yield Figure(f"course_upsert_update_{suffix}", time_upsert(academy=academy, size=size), "s")


def place_for_search(*, academy: Academy, group: Group) -> int:
    """Put every course of the academy in the group's catalogue; deactivate one in fifty and hide
    one in a hundred so the lifecycle and visibility filters have work to do. Returns the number
    of courses a learner can find."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_placement (academy_id, group_id, course_id, kind, created_at) "
            "SELECT academy_id, %s, id, 'catalogue', %s FROM catalog_course WHERE academy_id = %s",
            [group.pk, now, academy.pk],
        )
        cursor.execute(
            "UPDATE catalog_course SET status = 'inactive' WHERE academy_id = %s AND id %% 50 = 7", [academy.pk]
        )
        cursor.execute(
            "UPDATE catalog_course SET visibility = 'hidden' WHERE academy_id = %s AND id %% 100 = 3",
            [academy.pk],
        )
        cursor.execute(
            "SELECT COUNT(*) FROM catalog_course WHERE academy_id = %s AND status = 'active' "
            "AND visibility = 'visible'",
            [academy.pk],
        )
        findable = int(cursor.fetchone()[0])
    tidy_up()
    return findable


def time_queries(search: Callable[[str], object], queries: list[str]) -> list[float]:
    """Milliseconds per query."""
    spent = []
    for query in queries:
        began = time.perf_counter()
        search(query)
        spent.append((time.perf_counter() - began) * 1000)
    return spent


def bench_search(*, academy: Academy, learner: User, queries: int, suffix: str) -> Iterator[Figure]:
    """Learner searches through catalogue_search (first page of 20 with the total), after a warm-up
    with other queries."""
    from bench.data import SEED, search_queries
    from coursebridge.catalog.selectors import catalogue_search

    def run(query: str) -> object:
        return catalogue_search(academy=academy, user=learner, query=query, limit=20)

    time_queries(run, search_queries(40, seed=SEED + 1))
    spent = time_queries(run, search_queries(queries))
    yield Figure(f"search_p50_{suffix}", statistics.median(spent), "ms")
    yield Figure(f"search_p95_{suffix}", percentile(spent, 0.95), "ms")
    yield Figure(f"search_max_{suffix}", max(spent), "ms")
    # The catalogue without a query: every course by title, with the exact total.
    yield Figure(f"catalogue_first_page_{suffix}", statistics.median(time_queries(run, [""] * 5)), "ms")


def set_up_academy() -> tuple[Academy, Group, User]:
    from coursebridge.accounts.models import Role
    from coursebridge.accounts.selectors import group_root
    from coursebridge.accounts.services import academy_create, group_create, membership_grant, user_create

    academy = academy_create(slug="bench", name="Bench Academy")
    group = group_create(parent=group_root(academy=academy), name="Everyone")
    learner = user_create(academy=academy, username="bench-learner")
    membership_grant(user=learner, group=group, role=Role.LEARNER)
    return academy, group, learner


def run_all(*, label: str, size: int, queries: int, repeat: int) -> Iterator[Figure]:
    academy, group, learner = set_up_academy()
    yield from bench_upsert(academy=academy, size=size, repeat=repeat, suffix=label)
    yield Figure(f"search_courses_{label}", place_for_search(academy=academy, group=group), "courses")
    yield from bench_search(academy=academy, learner=learner, queries=queries, suffix=label)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True, help="suffix of every figure: sqlite or postgres")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for figure in run_all(label=args.label, size=args.size, queries=args.queries, repeat=args.repeat):
        print(figure.line(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
