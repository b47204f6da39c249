import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from bench.__main__ import POSTGRES_ADMIN_URL, postgres_database, reachable
from bench.data import course_row
from bench.run import (
    Figure,
    bench_search,
    bench_upsert,
    delete_courses,
    percentile,
    place_for_search,
    set_up_academy,
    time_raw_insert,
    time_upsert,
)

from coursebridge.catalog.models import Course, CourseKind, CourseStatus, Placement, Visibility
from coursebridge.catalog.selectors import catalogue_search

PROJECT_DIR = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^bench: [a-z0-9_]+ [0-9]+(\.[0-9]+)? (s|x|ms|us|courses|MB|req/s|attempts)$")
COMPARED = ("kind", "title", "description", "provider", "external_id", "launch_url", "image_url",
            "duration_minutes", "language", "publisher", "visibility", "status", "search_text", "content_hash")


def test_figures_print_as_one_line_each():
    assert Figure("course_upsert_sqlite", 14.849, "s").line() == "bench: course_upsert_sqlite 14.85 s"
    assert Figure("search_p95_postgres", 12.345, "ms").line() == "bench: search_p95_postgres 12.3 ms"
    assert Figure("course_upsert_vs_raw_sqlite", 1.5, "x").line() == "bench: course_upsert_vs_raw_sqlite 1.50 x"
    assert Figure("search_courses_sqlite", 97000, "courses").line() == "bench: search_courses_sqlite 97000 courses"


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0], 0.95) == 3.0


@pytest.mark.django_db
def test_the_raw_insert_writes_exactly_what_the_upsert_writes():
    academy, _, _ = set_up_academy()

    time_raw_insert(academy=academy, size=7, chunk=3)
    raw = list(Course.objects.filter(academy=academy).order_by("external_id").values(*COMPARED))
    delete_courses(academy=academy)
    assert Course.objects.filter(academy=academy).count() == 0
    time_upsert(academy=academy, size=7, chunk=3)
    upserted = list(Course.objects.filter(academy=academy).order_by("external_id").values(*COMPARED))

    assert len(raw) == 7
    assert raw == upserted
    assert raw[3]["title"] == course_row(3).title
    assert (raw[3]["kind"], raw[3]["status"], raw[3]["visibility"]) == (
        CourseKind.PROVIDER, CourseStatus.ACTIVE, Visibility.VISIBLE,
    )


@pytest.mark.django_db
def test_the_upsert_benchmark_reports_its_four_figures_and_leaves_the_courses():
    academy, _, _ = set_up_academy()

    figures = list(bench_upsert(academy=academy, size=25, repeat=2, suffix="sqlite"))

    assert [(f.name, f.unit) for f in figures] == [
        ("course_upsert_sqlite", "s"), ("course_raw_insert_sqlite", "s"), ("course_upsert_vs_raw_sqlite", "x"),
        ("course_upsert_update_sqlite", "s"),
    ]
    assert all(f.value > 0 for f in figures)
    assert figures[2].value == pytest.approx(figures[0].value / figures[1].value)
    assert Course.objects.filter(academy=academy).count() == 25


@pytest.mark.django_db
def test_the_search_benchmark_searches_the_learners_catalogue():
    academy, group, learner = set_up_academy()
    list(bench_upsert(academy=academy, size=120, repeat=1, suffix="sqlite"))

    findable = place_for_search(academy=academy, group=group)
    figures = list(bench_search(academy=academy, learner=learner, queries=12, suffix="postgres"))

    visible = Course.objects.filter(academy=academy, status=CourseStatus.ACTIVE, visibility=Visibility.VISIBLE)
    assert findable == visible.count()
    assert 100 < findable < 120
    assert Placement.objects.filter(group=group, kind="catalogue").count() == 120
    assert catalogue_search(academy=academy, user=learner, query="").total == findable
    assert [(f.name, f.unit) for f in figures] == [
        ("search_p50_postgres", "ms"), ("search_p95_postgres", "ms"), ("search_max_postgres", "ms"),
        ("catalogue_first_page_postgres", "ms"),
    ]
    assert figures[0].value <= figures[1].value <= figures[2].value


def test_python_m_bench_runs_every_benchmark_on_a_fresh_sqlite_file(tmp_path):
    env = {**os.environ, "CB_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "30", "--queries", "5", "--repeat", "1", "--databases", "sqlite",
         "--package-mb", "2", "--hacp-aus", "4", "--hacp-per-au", "2", "--statistics-rows", "100",
         "--reporting-attempts", "400", "--opensesame-courses", "60",
         "--records-rows", "40"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    figures = [line for line in lines if line.startswith("bench: ")]
    assert all(LINE.match(line) for line in figures), figures
    assert [line.split()[1] for line in figures] == [
        "course_upsert_sqlite", "course_raw_insert_sqlite", "course_upsert_vs_raw_sqlite",
        "course_upsert_update_sqlite", "search_courses_sqlite", "search_p50_sqlite", "search_p95_sqlite",
        "search_max_sqlite", "catalogue_first_page_sqlite", "package_import_2mb_peak_memory_sqlite",
        "package_import_2mb_python_peak_sqlite", "package_import_2mb_seconds_sqlite",
        "hacp_putparam_rps_sqlite", "hacp_putparam_p99_sqlite", "minimal_view_rps_sqlite", "minimal_view_p99_sqlite",
        "hacp_cost_vs_minimal_sqlite", "hacp_server_cpu_per_request_sqlite",
        "minimal_view_server_cpu_per_request_sqlite", "hacp_cpu_cost_vs_minimal_sqlite",
        "records_import_40_preview_seconds_sqlite",
        "records_import_40_apply_seconds_sqlite", "records_import_40_raw_seconds_sqlite",
        "records_import_40_apply_vs_raw_sqlite", "records_import_40_peak_memory_sqlite",
        "marketplace_content_page_p95_sqlite", "marketplace_content_page_p50_sqlite",
        "marketplace_content_full_read_sqlite", "marketplace_deliver_30_sqlite",
        "statistics_import_total_100_sqlite", "statistics_import_db_100_sqlite",
        "statistics_raw_insert_100_sqlite", "statistics_import_vs_raw_100_sqlite",
        "statistics_reimport_same_day_100_sqlite", "statistics_import_peak_memory_growth_100_sqlite",
        "reporting_attempts_sqlite", "reporting_generate_seconds_sqlite",
        "reporting_dashboard_p95_ms_sqlite", "reporting_dashboard_group_p95_ms_sqlite",
        "reporting_activity_first_page_p95_ms_sqlite", "reporting_activity_first_page_group_p95_ms_sqlite",
        "opensesame_sync_total_60_sqlite", "opensesame_sync_fetch_60_sqlite", "opensesame_sync_db_60_sqlite",
        "opensesame_raw_insert_60_sqlite", "opensesame_sync_db_vs_raw_60_sqlite",
        "opensesame_resync_unchanged_60_sqlite",
        "opensesame_resync_unchanged_written_60_sqlite", "opensesame_resync_1pct_60_sqlite",
        "opensesame_resync_1pct_written_60_sqlite", "opensesame_push_to_visible_100_60_sqlite",
        "opensesame_push_to_visible_full_walk_100_60_sqlite",
    ]
    assert lines[-1].startswith("benchmarks finished in ")
    assert (tmp_path / "bench.sqlite3").exists()


@pytest.mark.skipif(
    not reachable(POSTGRES_ADMIN_URL), reason="no PostgreSQL answers at localhost:5432"
)
def test_the_postgres_database_is_created_for_the_run_and_dropped_after():
    import psycopg

    name = f"cb_bench_selftest_{uuid.uuid4().hex[:8]}"

    def exists() -> bool:
        with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
            return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    with postgres_database(name=name) as url:
        assert url == f"postgres://postgres@localhost:5432/{name}"
        assert exists()
    assert not exists()
