"""The course record import at scale: `python -m bench.records_import --label sqlite --rows 1000000`
with DATABASE_URL set (`python -m bench` runs it after the other benchmarks of each database).

A course-level file of ROWS rows is generated once in the var folder: ROWS / 2 learners, two rows
each (AMA PRA Category 1 and MOC credit), half of them already accounts of the academy and half new.
In a fresh process that has loaded only Django and the import code:

- records_import_<rows>_preview_seconds_<label>: read, check and stage every row (the preview).
- records_import_<rows>_apply_seconds_<label>: the apply (new learners, enrollments, credit records).
- records_import_<rows>_raw_seconds_<label>: the same rows written by a plain bulk load (bulk_create
  from the file, no staging or checks) into the same database, after the apply's rows were removed.
- records_import_<rows>_apply_vs_raw_<label>: apply / raw. Target: at most 3.
- records_import_<rows>_peak_memory_<label>: growth of the resident set over the whole preview and
  apply, in MB. Target: under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench.memory import peak_mb, resident_mb

PROJECT_DIR = Path(__file__).resolve().parent.parent
ACADEMY_SLUG = "bench-records"
COURSE_ID = "BENCH-CME"
RATIO_TARGET = 3.0
MEMORY_TARGET_MB = 500
TARGETS_FROM_ROWS = 100_000
HEADER = "external_email,first_name,last_name,enrollment_start,date_completed,complete,credits,credit_type"


def var_dir() -> Path:
    return Path(os.environ.get("CB_VAR_DIR") or PROJECT_DIR / "var" / "bench")


def email(n: int) -> str:
    return f"learner{n:07d}@bench.example"


def generate(path: Path, rows: int) -> Path:
    """The file, written line by line. Kept between runs of the same size."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for n in range(rows // 2):
            day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
            for credits, credit_type in (("1.50", "ama_pra_1"), ("2.00", "moc")):
                out.write(f"{email(n)},Ada,Learner{n},{day},{day},1,{credits},{credit_type}\r\n")
    partial.replace(path)
    return path


def set_up(rows: int) -> None:
    """The academy, its course offering the two credit types, and the learners who already have an account."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from coursebridge.accounts.models import Academy, User
    from coursebridge.accounts.services import academy_create
    from coursebridge.catalog.models import Course
    from coursebridge.records.selectors import credit_type_get
    from coursebridge.records.services import course_credit_offer_set

    call_command("migrate", interactive=False, verbosity=0)
    academy = Academy.objects.filter(slug=ACADEMY_SLUG).first() or academy_create(slug=ACADEMY_SLUG,
                                                                                    name="Bench Records")
    course = Course.objects.filter(academy=academy, external_id=COURSE_ID).first() or Course.objects.create(
        academy=academy, title="Bench CME course", external_id=COURSE_ID, launch_url="https://bench.example/")
    for machine_name in ("ama_pra_1", "moc"):
        course_credit_offer_set(course=course, credit_type=credit_type_get(academy=academy, machine_name=machine_name),
                                max_credits=Decimal("2.00"), variable_allowed=True)
    password = make_password(None)
    existing = set(User.objects.filter(academy=academy).values_list("email", flat=True))
    wanted = [n for n in range(0, rows // 2, 2) if email(n) not in existing]  # every other learner exists
    for start in range(0, len(wanted), 5000):
        User.objects.bulk_create([
            User(academy=academy, username=f"bench.{email(n)}", email=email(n), first_name="Ada",
                 last_name=f"Learner{n}", password=password) for n in wanted[start:start + 5000]
        ])


def clear(course_id: int, users_before: int) -> None:
    """Remove what an import or the raw load wrote, with plain SQL."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM records_creditrecord WHERE course_id = %s", [course_id])
        cursor.execute("DELETE FROM learning_enrollment WHERE course_id = %s", [course_id])
        cursor.execute("DELETE FROM accounts_membership WHERE user_id > %s", [users_before])
        cursor.execute("DELETE FROM accounts_user WHERE id > %s", [users_before])
        cursor.execute("DELETE FROM records_stagedrow")
        cursor.execute("DELETE FROM records_importlock")


def raw_load(path: Path, academy_id: int, course_id: int) -> float:
    """The same rows as the import writes, by bulk_create straight from the file: the floor to compare with."""
    import csv
    from datetime import UTC, date, datetime
    from datetime import time as day_time

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from coursebridge.accounts.models import Group, Membership, Role, User
    from coursebridge.learning.models import Enrollment, LearningStatus, TimeSource
    from coursebridge.records.models import CreditRecord, CreditSource, CreditType

    began = time.perf_counter()
    types = dict(CreditType.objects.filter(academy_id=academy_id).values_list("machine_name", "pk"))
    users = dict(User.objects.filter(academy_id=academy_id).values_list("email", "pk"))
    root = Group.objects.get(academy_id=academy_id, parent__isnull=True)
    password = make_password(None)
    with transaction.atomic(), path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        batch: list[dict[str, str]] = []

        def flush(rows: list[dict[str, str]]) -> None:
            new = [User(academy_id=academy_id, username=f"raw.{r['external_email']}", email=r["external_email"],
                        first_name=r["first_name"], last_name=r["last_name"], password=password)
                   for r in {r["external_email"]: r for r in rows if r["external_email"] not in users}.values()]
            User.objects.bulk_create(new, batch_size=2000)
            users.update((u.email, u.pk) for u in new)
            Membership.objects.bulk_create([Membership(user_id=u.pk, group=root, role=Role.LEARNER) for u in new],
                                           batch_size=2000)
            enrollments, credits, seen = [], [], set()
            for r in rows:
                user_id = users[r["external_email"]]
                done = datetime.combine(date.fromisoformat(r["date_completed"]), day_time(), tzinfo=UTC)
                if user_id not in seen:
                    seen.add(user_id)
                    enrollments.append(Enrollment(
                        academy_id=academy_id, user_id=user_id, course_id=course_id, entry_key="catalogue",
                        time_source=TimeSource.IMPORTED, status=LearningStatus.COMPLETED, progress=100,
                        first_activity_at=done, last_activity_at=done, completed_at=done))
                credits.append(CreditRecord(
                    academy_id=academy_id, user_id=user_id, course_id=course_id, credit_type_id=types[r["credit_type"]],
                    credits=Decimal(r["credits"]), awarded_on=done.date(), source=CreditSource.COURSE_IMPORT))
            Enrollment.objects.bulk_create(enrollments, batch_size=2000, ignore_conflicts=True)
            CreditRecord.objects.bulk_create(credits, batch_size=2000)

        for row in reader:
            batch.append(row)
            if len(batch) >= 2000:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    return time.perf_counter() - began


def measure(path: Path) -> dict[str, float]:
    """Preview and apply in this process (a fresh one: see main), then the raw load for comparison."""
    from coursebridge.accounts.models import Academy, User
    from coursebridge.catalog.models import Course
    from coursebridge.records.importer import import_apply, import_create, import_stage
    from coursebridge.records.models import RunStatus

    academy = Academy.objects.get(slug=ACADEMY_SLUG)
    course = Course.objects.get(academy=academy, external_id=COURSE_ID)
    users_before = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    clear(course.pk, users_before)
    before = resident_mb()
    began = time.perf_counter()
    run = import_create(academy=academy, scope="course", course=course, by=None, source=path, filename=path.name)
    run = import_stage(run_id=run.pk)
    preview = time.perf_counter() - began
    if run.status != RunStatus.STAGED or run.counts.get("errors"):
        raise SystemExit(f"the bench file did not stage cleanly: {run.status} {run.file_error} {run.counts}")
    began = time.perf_counter()
    run = import_apply(run_id=run.pk)
    apply = time.perf_counter() - began
    if run.status != RunStatus.APPLIED:
        raise SystemExit(f"the apply did not finish: {run.status} {run.file_error}")
    growth = max(0.0, peak_mb() - before)
    written = dict(run.result)
    clear(course.pk, users_before)
    raw = raw_load(path, academy.pk, course.pk)
    clear(course.pk, users_before)
    return {"preview": preview, "apply": apply, "raw": raw, "rss_growth_mb": growth, **written}


def run_measurement(path: Path) -> dict[str, float]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coursebridge.config.settings"}
    command = [sys.executable, "-m", "bench.records_import", "--measure", str(path)]
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:] or done.stdout[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="sqlite", help="suffix of every figure: sqlite or postgres")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated file")
    parser.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)  # the fresh measuring process
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    os.environ.setdefault("CB_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if args.measure:
        import coursebridge.records.importer  # noqa: F401  (loaded before the baseline: the figure is the import)

        print(json.dumps(measure(Path(args.measure))), flush=True)
        return 0
    set_up(args.rows)
    path = generate(var_dir() / f"records-{args.rows}.csv", args.rows)
    figures = run_measurement(path)
    prefix = f"records_import_{args.rows}"
    ratio = figures["apply"] / figures["raw"] if figures["raw"] else 0.0
    for name, value, unit in (
        ("preview_seconds", figures["preview"], "s"), ("apply_seconds", figures["apply"], "s"),
        ("raw_seconds", figures["raw"], "s"), ("apply_vs_raw", ratio, "x"),
        ("peak_memory", figures["rss_growth_mb"], "MB"),
    ):
        decimals = 1 if unit == "MB" else 2
        print(f"bench: {prefix}_{name}_{args.label} {value:.{decimals}f} {unit}", flush=True)
    failed = 0
    if args.rows < TARGETS_FROM_ROWS:  # a small run (the tests'): fixed costs dominate, the targets do not apply
        return 0
    if ratio > RATIO_TARGET:
        print(f"the apply took {ratio:.2f} times the raw bulk load (target: at most {RATIO_TARGET})", file=sys.stderr)
        failed = 1
    if figures["rss_growth_mb"] >= MEMORY_TARGET_MB:
        print(f"peak memory {figures['rss_growth_mb']:.1f} MB is over {MEMORY_TARGET_MB} MB", file=sys.stderr)
        failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
