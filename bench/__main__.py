"""`python -m bench` (or `make bench`): every benchmark on a fresh SQLite file, then on PostgreSQL
when one answers at localhost:5432 (in a database of its own, created and dropped here). Each
figure prints on its own line as `bench: NAME VALUE UNIT`."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("CB_BENCH_POSTGRES_URL", "postgres://postgres@localhost:5432/postgres")
POSTGRES_DATABASE = os.environ.get("CB_BENCH_POSTGRES_DB", "cb_bench")


def var_dir() -> Path:
    path = Path(os.environ.get("CB_VAR_DIR") or PROJECT_DIR / "var" / "bench")
    if not path.is_absolute():
        path = PROJECT_DIR / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def sqlite_database() -> Iterator[str]:
    path = var_dir() / "bench.sqlite3"
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    yield f"sqlite:///{path}"


@contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL, name: str = POSTGRES_DATABASE) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    def drop(connection: psycopg.Connection) -> None:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    with psycopg.connect(admin_url, autocommit=True) as connection:
        drop(connection)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            drop(connection)


def run_child(*, label: str, database_url: str, options: list[str], module: str = "bench.run") -> int:
    """Run the benchmarks of one database in a process of its own, passing its lines through."""
    env = {
        **os.environ, "DATABASE_URL": database_url, "CB_VAR_DIR": str(var_dir()),
        "DJANGO_SETTINGS_MODULE": "coursebridge.config.settings", "CB_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", module, "--label", label, *options]
    return subprocess.call(command, cwd=PROJECT_DIR, env=env)  # noqa: S603


def run_package_import(*, label: str, database_url: str, size_mb: int) -> int:
    """The package import benchmark (peak memory of a big import) on the same database; 1 if it failed."""
    if not size_mb:
        return 0
    options = ["--size-mb", str(size_mb)]
    return int(run_child(label=label, database_url=database_url, options=options, module="bench.package_import") != 0)


def run_hacp(*, label: str, database_url: str, aus: int, per_au: int) -> int:
    """HACP PutParam under load against a minimal view, on the same database; 1 if it failed."""
    if not per_au:
        return 0
    options = ["--aus", str(aus), "--per-au", str(per_au)]
    return int(run_child(label=label, database_url=database_url, options=options, module="bench.hacp") != 0)


def run_records_import(*, label: str, database_url: str, rows: int) -> int:
    """The course record import (preview, apply, raw bulk load) on the same database; 1 if it failed."""
    if not rows:
        return 0
    options = ["--rows", str(rows)]
    return int(run_child(label=label, database_url=database_url, options=options, module="bench.records_import") != 0)


def run_marketplace(*, label: str, database_url: str, courses: int) -> int:
    """The marketplace's /v1/content paging and delivery job on the same database; 1 if it failed."""
    if not courses:
        return 0
    options = ["--courses", str(courses)]
    return int(run_child(label=label, database_url=database_url, options=options, module="bench.marketplace") != 0)
def run_statistics_import(*, label: str, database_url: str, rows: int) -> int:
    """Provider learner statistics imported in bulk vs a raw bulk insert, on the same database; 1 if it failed."""
    if not rows:
        return 0
    options = ["--rows", str(rows)]
    return int(run_child(label=label, database_url=database_url, options=options,
                         module="bench.statistics_import") != 0)
def run_reporting(*, label: str, database_url: str, attempts: int) -> int:
    """Dashboard and Activity Report timings on a big academy, on the same database; 1 if it failed."""
    if not attempts:
        return 0
    options = ["--attempts", str(attempts)]
    return int(run_child(label=label, database_url=database_url, options=options, module="bench.reporting") != 0)


def run_opensesame_sync(*, label: str, database_url: str, courses: int) -> int:
    """The OpenSesame catalogue sync over HTTP vs a raw bulk insert, on the same database; 1 if it failed."""
    if not courses:
        return 0
    options = ["--courses", str(courses)]
    return int(run_child(label=label, database_url=database_url, options=options,
                         module="bench.opensesame_sync") != 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="courses upserted and searched")
    parser.add_argument("--queries", type=int, default=240, help="learner searches timed")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each insert; the best counts")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma separated: sqlite, postgres")
    parser.add_argument("--package-mb", type=int, default=200, help="size of the imported package; 0 skips it")
    parser.add_argument("--hacp-aus", type=int, default=50, help="concurrent simulated AICC AUs")
    parser.add_argument("--hacp-per-au", type=int, default=40, help="PutParams per AU and round; 0 skips HACP")
    parser.add_argument("--records-rows", type=int, default=1_000_000, help="rows of the course record file; 0 skips")
    parser.add_argument("--marketplace-courses", type=int, default=None,
                        help="courses delivered for the marketplace API benchmark (default: --size); 0 skips it")
    parser.add_argument("--statistics-rows", type=int, default=1_000_000,
                        help="learner statistics rows imported; 0 skips it")
    parser.add_argument("--reporting-attempts", type=int, default=1_000_000,
                        help="attempts behind the dashboard and Activity Report timings; 0 skips them")
    parser.add_argument("--opensesame-courses", type=int, default=100_000,
                        help="courses of the OpenSesame catalogue synced over HTTP; 0 skips it")
    args = parser.parse_args(argv)
    options = ["--size", str(args.size), "--queries", str(args.queries), "--repeat", str(args.repeat)]
    if args.marketplace_courses is None:
        args.marketplace_courses = args.size
    wanted = {name.strip() for name in args.databases.split(",") if name.strip()}
    failures = 0
    began = time.perf_counter()
    if "sqlite" in wanted:
        with sqlite_database() as url:
            failures += run_child(label="sqlite", database_url=url, options=options) != 0
            failures += run_package_import(label="sqlite", database_url=url, size_mb=args.package_mb)
            failures += run_hacp(label="sqlite", database_url=url, aus=args.hacp_aus, per_au=args.hacp_per_au)
            failures += run_records_import(label="sqlite", database_url=url, rows=args.records_rows)
            failures += run_marketplace(label="sqlite", database_url=url, courses=args.marketplace_courses)
            failures += run_statistics_import(label="sqlite", database_url=url, rows=args.statistics_rows)
            failures += run_reporting(label="sqlite", database_url=url, attempts=args.reporting_attempts)
            failures += run_opensesame_sync(label="sqlite", database_url=url, courses=args.opensesame_courses)
    if "postgres" in wanted:
        if reachable(POSTGRES_ADMIN_URL):
            with postgres_database() as url:
                failures += run_child(label="postgres", database_url=url, options=options) != 0
                failures += run_package_import(label="postgres", database_url=url, size_mb=args.package_mb)
                failures += run_hacp(label="postgres", database_url=url, aus=args.hacp_aus, per_au=args.hacp_per_au)
                failures += run_records_import(label="postgres", database_url=url, rows=args.records_rows)
                failures += run_marketplace(label="postgres", database_url=url, courses=args.marketplace_courses)
                failures += run_statistics_import(label="postgres", database_url=url, rows=args.statistics_rows)
                failures += run_reporting(label="postgres", database_url=url, attempts=args.reporting_attempts)
                failures += run_opensesame_sync(label="postgres", database_url=url, courses=args.opensesame_courses)
        else:
            print("PostgreSQL is not reachable at localhost:5432: its benchmarks are skipped.", flush=True)
    print(f"benchmarks finished in {time.perf_counter() - began:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
