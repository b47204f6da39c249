"""Dashboards and the Activity Report on a big academy: `python -m bench.reporting --label sqlite`
with DATABASE_URL set (`python -m bench` runs it after the other benchmarks of each database).

The academy gets ATTEMPTS attempts (1,000,000 by default; two per enrollment, so half as many
enrollments), 20 enrollments per learner, learners spread over 10 groups of 2 subgroups each,
200 courses (a quarter from a provider, with estimated time), and one activity day per enrollment
over the last 60 days. Rows are written in bulk, not through the services: the figures are about
reading them. Then the pages are requested as a signed-in admin would, through the whole stack
(URL, permission checks, queries, template), and timed:

- reporting_dashboard_p95_ms_<label>: the academy dashboard (last 30 days), a training admin.
- reporting_dashboard_group_p95_ms_<label>: one group's dashboard, its group admin.
- reporting_activity_first_page_p95_ms_<label>: the Activity Report's first page, a training admin.
- reporting_activity_first_page_group_p95_ms_<label>: the same for the group admin (their subtree).
Target: every p95 under 500 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.run import Figure, percentile

TARGET_MS = 500
GROUPS = 10
SUBGROUPS = 2
COURSES = 200
PER_LEARNER = 20
ATTEMPTS_PER_ENROLLMENT = 2
CHUNK = 5000
SLUG = "bench-reports"


def generate(*, attempts: int, seed: int = 7) -> dict[str, Any]:
    """The academy and its rows; returns the ids the timings need."""
    from django.db import transaction
    from django.utils import timezone

    from coursebridge.accounts.models import Membership, Role, User
    from coursebridge.accounts.selectors import group_root
    from coursebridge.accounts.services import academy_create, group_create, membership_grant, user_create
    from coursebridge.catalog.models import Course, CourseKind
    from coursebridge.learning.models import ActivityDay, Attempt, Enrollment, EntryPoint, LearningStatus, TimeSource
    from coursebridge.learning.services import activity_totals_refresh

    rng = random.Random(seed)
    academy = academy_create(slug=SLUG, name="Bench Reports")
    root = group_root(academy=academy)
    leaves = []
    first_group = None
    for g in range(GROUPS):
        group = group_create(parent=root, name=f"Region {g:02d}")
        first_group = first_group or group
        leaves += [group_create(parent=group, name=f"Team {g:02d}-{s}") for s in range(SUBGROUPS)]
    admin = user_create(academy=academy, username="bench-admin")
    membership_grant(user=admin, group=root, role=Role.TRAINING_ADMIN)
    group_admin = user_create(academy=academy, username="bench-group-admin")
    membership_grant(user=group_admin, group=first_group, role=Role.GROUP_ADMIN)
    now = timezone.now()
    courses = Course.objects.bulk_create([
        Course(academy=academy, title=f"Course {n:03d}",
               kind=CourseKind.PROVIDER if n % 4 == 0 else CourseKind.WEB_LINK,
               provider="openclassrooms" if n % 4 == 0 else "", external_id=f"oc-{n}" if n % 4 == 0 else None,
               launch_url=f"https://learn.example.org/{n}")
        for n in range(COURSES)
    ])
    enrollments_wanted = attempts // ATTEMPTS_PER_ENROLLMENT
    learners = max(1, enrollments_wanted // PER_LEARNER)
    statuses = [LearningStatus.NOT_STARTED, LearningStatus.IN_PROGRESS, LearningStatus.IN_PROGRESS,
                LearningStatus.COMPLETED, LearningStatus.COMPLETED, LearningStatus.PASSED, LearningStatus.FAILED]
    made = 0
    for start in range(0, learners, CHUNK // PER_LEARNER):
        with transaction.atomic():
            users = User.objects.bulk_create([
                User(academy=academy, username=f"learner-{n:07d}", email=f"learner-{n:07d}@example.org",
                     first_name="Learner", last_name=f"{n:07d}")
                for n in range(start, min(learners, start + CHUNK // PER_LEARNER))
            ])
            Membership.objects.bulk_create([
                Membership(user=u, group=leaves[(start + i) % len(leaves)], role=Role.LEARNER)
                for i, u in enumerate(users)
            ])
            rows = []
            for u in users:
                for course in rng.sample(courses, PER_LEARNER):
                    status = rng.choice(statuses)
                    last = now - timedelta(days=rng.randrange(60), seconds=rng.randrange(86400))
                    provider = bool(course.provider)
                    rows.append(Enrollment(
                        academy=academy, user=u, course=course, status=status,
                        progress=100 if status in (LearningStatus.COMPLETED, LearningStatus.PASSED)
                        else rng.randrange(0, 100),
                        time_spent_seconds=rng.randrange(60, 7200),
                        time_source=TimeSource.THEORETICAL if provider else TimeSource.MEASURED,
                        first_activity_at=last - timedelta(days=2), last_activity_at=last,
                        completed_at=last if status in (LearningStatus.COMPLETED, LearningStatus.PASSED,
                                                        LearningStatus.FAILED) else None,
                        entry_point=EntryPoint.CATALOGUE, entry_key="catalogue",
                    ))
            enrollments = Enrollment.objects.bulk_create(rows)
            Attempt.objects.bulk_create([
                Attempt(academy=academy, enrollment=e, number=k + 1, started_at=e.first_activity_at or now,
                        status=e.status, progress=e.progress, time_spent_seconds=e.time_spent_seconds // 2,
                        time_source=e.time_source)
                for e in enrollments for k in range(ATTEMPTS_PER_ENROLLMENT)
            ])
            ActivityDay.objects.bulk_create([
                ActivityDay(academy=academy, user_id=e.user_id, course_id=e.course_id,
                            day=(e.last_activity_at or now).date(), time_source=e.time_source,
                            seconds=e.time_spent_seconds, cumulative_seconds=e.time_spent_seconds,
                            progress=e.progress)
                for e in enrollments
            ])
            made += len(enrollments)
    # The daily totals, as the statistics import and the measured-time snapshot keep them.
    activity_totals_refresh(academy_id=academy.pk, days=ActivityDay.objects.filter(academy=academy)
                            .values_list("day", flat=True).distinct())
    return {"academy": academy, "admin": admin, "group_admin": group_admin, "group": first_group,
            "enrollments": made, "attempts": made * ATTEMPTS_PER_ENROLLMENT}


def analyze() -> None:
    """Refresh the planner's statistics (and on PostgreSQL the visibility map that lets a query read
    an index alone), as autovacuum or a routine ANALYZE does on a live database: right after a bulk
    load they describe empty tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (a test's, for one): ANALYZE alone there.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def existing(slug: str = SLUG) -> dict[str, Any] | None:
    """The academy a previous run generated (--reuse), with the ids the timings need."""
    from coursebridge.accounts.models import Academy, Group, User
    from coursebridge.learning.models import Attempt

    academy = Academy.objects.filter(slug=slug).first()
    if academy is None:
        return None
    return {"academy": academy, "admin": User.objects.get(username="bench-admin"),
            "group_admin": User.objects.get(username="bench-group-admin"),
            "group": Group.objects.get(academy=academy, name="Region 00"),
            "attempts": Attempt.objects.filter(academy=academy).count()}


def time_page(client: Any, url: str, requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return timings


def run_all(*, label: str, attempts: int, requests: int, reuse: bool = False) -> Iterator[Figure]:
    from django.test import Client, override_settings

    began = time.perf_counter()
    data = existing() if reuse else None
    if data is None:
        data = generate(attempts=attempts)
        analyze()
        yield Figure(f"reporting_attempts_{label}", data["attempts"], "attempts")
        yield Figure(f"reporting_generate_seconds_{label}", time.perf_counter() - began, "s")
    else:
        analyze()
        yield Figure(f"reporting_attempts_{label}", data["attempts"], "attempts")
    plain_static = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain_static):
        admin, group_admin = Client(), Client()
        admin.force_login(data["admin"])
        group_admin.force_login(data["group_admin"])
        base = f"/a/{SLUG}/admin"
        pages = [
            ("reporting_dashboard", admin, f"{base}/dashboard/"),
            ("reporting_dashboard_group", group_admin, f"{base}/dashboard/?group={data['group'].pk}"),
            ("reporting_activity_first_page", admin, f"{base}/activity-report/"),
            ("reporting_activity_first_page_group", group_admin, f"{base}/activity-report/"),
        ]
        for name, client, url in pages:
            time_page(client, url, 2)  # warm the caches
            yield Figure(f"{name}_p95_ms_{label}", percentile(time_page(client, url, requests), 0.95), "ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True, help="suffix of every figure: sqlite or postgres")
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true",
                        help="time the academy a previous run left in this database instead of generating one")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for figure in run_all(label=args.label, attempts=args.attempts, requests=args.requests, reuse=args.reuse):
        print(figure.line(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
