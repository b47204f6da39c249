"""The OpenSesame catalogue sync over HTTP: `python -m bench.opensesame_sync --label sqlite --courses
100000` with DATABASE_URL set (`python -m bench` runs it on each database).

The fake OpenSesame server (tests/fakes/opensesame.py, OpenSesame's wire format) serves `courses`
courses on loopback in pages of 50; the academy's connection syncs them through the real client,
mapping and sync (token, paging.next, courses, placements in the synchronized group's catalogue and
library, provider categories, one remote AICC package and unit per course, one sync record per
course). The time spent waiting for pages and mapping them is measured apart from the rest, the
database part. In the same run, on a second academy, the same rows (courses, placements, category
links, packages, units, sync records) are written by plain bulk inserts: the ratio of the two is the
sync's database overhead (at most 2 is the target). Then a resync with nothing changed (no course
row may be written) and one with 1% of the courses changed (exactly those are written). Then push to
visible: a signed notice naming 100 newly delivered courses, until a learner's search finds them
(target 5 s): once against a server that lists just the named courses (`ids`, our marketplace), once
against one that ignores the filter (OpenSesame's API: the sync reads until it has seen them all).

Figures, suffixed with the size and the database label: opensesame_sync_total (s),
opensesame_sync_fetch (s: HTTP and mapping), opensesame_sync_db (s), opensesame_raw_insert (s),
opensesame_sync_db_vs_raw (x), opensesame_resync_unchanged (s), opensesame_resync_unchanged_written
(courses), opensesame_resync_1pct (s), opensesame_resync_1pct_written (courses),
opensesame_push_to_visible_100 (s), opensesame_push_to_visible_full_walk_100 (s)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bench.run import Figure

if TYPE_CHECKING:
    from coursebridge.accounts.models import Academy, Group
    from coursebridge.connectors.models import Connection
    from coursebridge.connectors.providers.opensesame.provider import OpenSesameSession

CATEGORIES = ["|Business|Leadership", "|Business|Communication", "|Technology|Programming", "|Technology|Cloud",
              "|Compliance|Safety", "|Compliance|Privacy", "|Wellness|Mindfulness", "|Sales|Negotiation"]


def catalogue(courses: int) -> list[dict[str, Any]]:
    from tests.fakes.opensesame import os_course

    return [os_course(f"os-{n}", f"Course {n} of the catalogue", categories=[CATEGORIES[n % len(CATEGORIES)]],
                      duration=f"{n % 5:02d}:{n % 60:02d}:00") for n in range(courses)]


def world(slug: str) -> tuple[Academy, Group]:
    from coursebridge.accounts.selectors import group_root
    from coursebridge.accounts.services import academy_create, group_create

    academy = academy_create(slug=slug, name=slug)
    return academy, group_create(parent=group_root(academy=academy), name="OpenSesame learners")


class TimedSession:
    """The real session, with the time spent inside it (HTTP and mapping) added up."""

    def __init__(self, session: OpenSesameSession) -> None:
        self.session = session
        self.fetch = 0.0

    def catalog_pages(self, only: Any = None) -> Iterator[Any]:
        pages = self.session.catalog_pages(only=only)
        while True:
            began = time.perf_counter()
            try:
                page = next(pages)
            except StopIteration:
                self.fetch += time.perf_counter() - began
                return
            self.fetch += time.perf_counter() - began
            yield page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def timed_sync(connection: Connection) -> tuple[float, float, Any]:
    """(total seconds, fetch seconds, the run)."""
    from coursebridge.connectors.providers.opensesame.provider import OpenSesameProvider
    from coursebridge.connectors.sync import connection_sync
    from coursebridge.core.http import HttpClient

    session = TimedSession(OpenSesameProvider().open(connection, http=HttpClient(timeout=60)))
    began = time.perf_counter()
    run = connection_sync(connection_id=connection.pk, session=session)  # type: ignore[arg-type]
    total = time.perf_counter() - began
    assert run.state == "succeeded", run.errors[:3]
    return total, session.fetch, run


def raw_insert(*, academy: Academy, group: Group, connection: Connection, items: list[Any]) -> float:
    """The rows the sync writes, by plain bulk inserts."""
    from django.utils import timezone

    from coursebridge.catalog.models import Course, CourseKind, Placement, PlacementKind
    from coursebridge.catalog.search import build_search_text
    from coursebridge.catalog.services import provider_categories_ensure
    from coursebridge.connectors.models import SyncRecord
    from coursebridge.content.models import Package, PackageFormat, Unit

    now = timezone.now()
    began = time.perf_counter()
    leaves = provider_categories_ensure(academy=academy, provider="opensesame", paths=CATEGORIES)
    for start in range(0, len(items), 2000):
        batch = items[start:start + 2000]
        courses = Course.objects.bulk_create([
            Course(academy=academy, kind=CourseKind.PROVIDER, provider="opensesame", external_id=i.row.external_id,
                   title=i.row.title, description=i.row.description, launch_url=i.row.launch_url,
                   image_url=i.row.image_url, duration_minutes=i.row.duration_minutes, language=i.row.language,
                   publisher=i.row.publisher, content_hash=i.row.content_hash, status_changed_at=now,
                   search_text=build_search_text(i.row.title, i.row.description, i.row.category_names))
            for i in batch])
        ids = [c.pk for c in courses]
        Placement.objects.bulk_create([Placement(academy=academy, group=group, course_id=pk, kind=kind)
                                       for pk in ids for kind in (PlacementKind.CATALOGUE, PlacementKind.LIBRARY)])
        Course.categories.through.objects.bulk_create([
            Course.categories.through(course_id=pk, category_id=leaves[i.category_paths[0]].pk)
            for pk, i in zip(ids, batch, strict=True)])
        packages = Package.objects.bulk_create([
            Package(academy=academy, course_id=pk, format=PackageFormat.AICC, identifier=i.external_id,
                    title=i.row.title) for pk, i in zip(ids, batch, strict=True)])
        Unit.objects.bulk_create([
            Unit(package_id=p.pk, position=1, identifier="opensesame-au", title=i.row.title,
                 launch=i.row.launch_url, is_remote=True) for p, i in zip(packages, batch, strict=True)])
        SyncRecord.objects.bulk_create([
            SyncRecord(academy=academy, connection=connection, external_id=i.external_id, course_id=pk,
                       content_hash=i.row.content_hash, remote_status="active", last_seen_at=now,
                       last_changed_at=now) for pk, i in zip(ids, batch, strict=True)])
    return time.perf_counter() - began


PUSHED = 100
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 (a bench value)


def push_to_visible(fake: Any, connection: Connection, *, first: int, count: int = PUSHED) -> float:
    """Seconds from the signed notice of `count` new courses to their being found by the catalogue
    search of a learner of the synchronized group. The notice goes through the webhook view; the
    sync it queues runs in this process (the worker's part, less the broker's hand-over, which the
    end-to-end test's worker log shows to take milliseconds)."""
    import hashlib
    import hmac
    import json

    from django.test import Client
    from tests.fakes.opensesame import os_course

    from coursebridge.accounts.models import Role, User
    from coursebridge.accounts.services import membership_grant, user_create
    from coursebridge.catalog.selectors import catalogue_search

    ids = [f"os-{n}" for n in range(first, first + count)]
    # A word of letters only that no other title holds (full-text search splits "os-100000" apart).
    word = "push" + "".join(chr(ord("a") + int(digit)) for digit in str(first))
    fake.courses += [os_course(i, f"{word} course {i}", categories=[CATEGORIES[0]]) for i in ids]
    learner = User.objects.filter(username=f"bench-learner-{connection.pk}").first()
    if learner is None:
        learner = user_create(academy=connection.academy, username=f"bench-learner-{connection.pk}")
        membership_grant(user=learner, group=connection.group, role=Role.LEARNER)
    body = json.dumps({"event": "content.delivered", "customerIntegrationId": connection.options["ciid"],
                       "count": count, "courseIds": ids, "truncated": False,
                       "occurredAt": "2026-11-24T08:00:00+00:00"}).encode()
    stamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    began = time.perf_counter()
    answer = Client(SERVER_NAME="127.0.0.1").post(
        f"/api/academies/{connection.academy.slug}/connectors/opensesame/webhook", data=body,
        content_type="application/json", headers={"X-Marketplace-Timestamp": str(stamp),
                                                  "X-Marketplace-Signature": f"sha256={digest}"})
    assert answer.status_code == 202 and answer.json()["accepted"], answer.content
    found = catalogue_search(academy=connection.academy, user=learner, query=word).total
    elapsed = time.perf_counter() - began
    assert found >= 1, f"the pushed course {word} is not searchable"
    return elapsed


def written_since(academy: Academy, moment: Any) -> int:
    from coursebridge.catalog.models import Course

    return Course.objects.filter(academy=academy, updated_at__gt=moment).count()


def bench(*, courses: int, label: str) -> Iterator[Figure]:
    from django.db import transaction
    from django.utils import timezone
    from tests.fakes.opensesame import CIID, CLIENT_ID, CLIENT_SECRET, FakeOpenSesame, os_course

    from coursebridge.connectors.models import Connection
    from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save
    from coursebridge.connectors.providers.opensesame.mapping import course_item

    with FakeOpenSesame() as fake:
        fake.courses = catalogue(courses)
        academy, group = world("opensesame-sync")
        connection = opensesame_save(
            academy=academy, enabled=True, ciid=CIID, logo="custom", group=group, client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET, api_url=fake.url, token_url=fake.token_url, webhook_secret=WEBHOOK_SECRET,
        ).connection
        total, fetch, run = timed_sync(connection)
        assert run.created == courses, run.counts

        raw_academy, raw_group = world("opensesame-raw")
        raw_connection = Connection.objects.create(academy=raw_academy, provider="opensesame-raw", group=raw_group)
        items = [course_item(raw) for raw in fake.courses]
        with transaction.atomic():
            raw = raw_insert(academy=raw_academy, group=raw_group, connection=raw_connection, items=items)

        before = timezone.now()
        again, _, run_again = timed_sync(connection)
        unchanged_written = written_since(academy, before)
        assert (run_again.created, run_again.updated) == (0, 0), run_again.counts

        changed = max(1, courses // 100)
        for n in range(0, courses, courses // changed):
            fake.courses[n] = os_course(f"os-{n}", f"Course {n}, second edition",
                                        categories=[CATEGORIES[n % len(CATEGORIES)]],
                                        duration=f"{n % 5:02d}:{n % 60:02d}:00")
        before = timezone.now()
        one_pct, _, run_pct = timed_sync(connection)
        pct_written = written_since(academy, before)
        assert run_pct.updated == pct_written, (run_pct.counts, pct_written)

        # Push: 100 more courses delivered, a signed notice naming them; visible = found by search.
        # A first push of one course warms this process up (modules, URL resolver, task machinery), as a
        # running server and worker are.
        fake.filters_ids = True
        push_to_visible(fake, connection, first=courses, count=1)
        push_ids = push_to_visible(fake, connection, first=courses + 1)
        fake.filters_ids = False
        walk_ids = push_to_visible(fake, connection, first=courses + 1 + PUSHED)

    database = total - fetch
    yield Figure(f"opensesame_sync_total_{courses}_{label}", total, "s")
    yield Figure(f"opensesame_sync_fetch_{courses}_{label}", fetch, "s")
    yield Figure(f"opensesame_sync_db_{courses}_{label}", database, "s")
    yield Figure(f"opensesame_raw_insert_{courses}_{label}", raw, "s")
    yield Figure(f"opensesame_sync_db_vs_raw_{courses}_{label}", database / raw, "x")
    yield Figure(f"opensesame_resync_unchanged_{courses}_{label}", again, "s")
    yield Figure(f"opensesame_resync_unchanged_written_{courses}_{label}", unchanged_written, "courses")
    yield Figure(f"opensesame_resync_1pct_{courses}_{label}", one_pct, "s")
    yield Figure(f"opensesame_resync_1pct_written_{courses}_{label}", pct_written, "courses")
    yield Figure(f"opensesame_push_to_visible_{PUSHED}_{courses}_{label}", push_ids, "s")
    yield Figure(f"opensesame_push_to_visible_full_walk_{PUSHED}_{courses}_{label}", walk_ids, "s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.opensesame_sync", description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("--courses", type=int, default=100_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    # The sync a push queues runs in this process, as the worker would run it.
    os.environ["CB_TASKS_EAGER"] = "1"
    import logging

    import django

    django.setup()
    logging.getLogger("coursebridge").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for figure in bench(courses=args.courses, label=args.label):
        print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
