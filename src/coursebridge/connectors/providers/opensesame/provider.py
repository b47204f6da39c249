"""OpenSesame on the provider protocol: content pages mapped to courses; each course launches as AICC
through one remote unit (the AU stays at OpenSesame, tracking comes to our HACP endpoint); the
duplicate policy for courses that match an uploaded package. See docs/decisions/0050."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Max
from django.urls import reverse

from coursebridge.catalog.models import Course, CourseKind
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.base import (
    CatalogItem,
    CatalogPage,
    CredentialField,
    PartialFetch,
    StatisticsPage,
)
from coursebridge.connectors.providers.opensesame import mapping
from coursebridge.connectors.providers.opensesame.client import Credentials, OpenSesameClient
from coursebridge.connectors.registry import register
from coursebridge.core.errors import DomainError, LaunchRefused
from coursebridge.core.http import HttpClient, RemoteError
from coursebridge.learning.models import TimeSource

if TYPE_CHECKING:
    from coursebridge.connectors.models import SyncRun
    from coursebridge.learning.models import Attempt

DEFAULT_API_URL = "https://api.delivery.opensesame.com"
DEFAULT_TOKEN_URL = "https://auth.coursecloud.net/oauth2/aus1l01v8s55riV0C0h8/v1/token"  # noqa: S105 (an address)
UNIT_IDENTIFIER = "opensesame-au"
# Courses handed to the sync at once (20 of OpenSesame's pages of 50).
BATCH_ITEMS = 1000

LOGO_OPENSESAME = "opensesame"
LOGO_CUSTOM = "custom"
LOGO_CHOICES = [(LOGO_OPENSESAME, "OpenSesame's logo"),
                (LOGO_CUSTOM, "Custom: our own logo (white-labelled academy)")]
DUPLICATE_SKIP = "skip"
DUPLICATE_REPLACE = "replace"
DUPLICATE_KEEP_BOTH = "keep_both"
DUPLICATE_CHOICES = [
    (DUPLICATE_SKIP, "Skip: keep the uploaded course, do not add OpenSesame's"),
    (DUPLICATE_REPLACE, "Replace: the uploaded course becomes the OpenSesame course (its learners and records stay)"),
    (DUPLICATE_KEEP_BOTH, "Keep both: add OpenSesame's course next to the uploaded one"),
]


def deployment_credentials() -> tuple[str, str]:
    """The deployment's own OpenSesame client, used by academies that show OpenSesame's logo."""
    client_id = getattr(settings, "OPENSESAME_CLIENT_ID", "") or os.environ.get("OPENSESAME_CLIENT_ID", "")
    secret = getattr(settings, "OPENSESAME_CLIENT_SECRET", "") or os.environ.get("OPENSESAME_CLIENT_SECRET", "")
    return client_id, secret


def stored_secrets(connection: Connection) -> dict[str, str]:
    try:
        value = json.loads(connection.credentials or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class OpenSesameSession:
    def __init__(self, client: OpenSesameClient, *, batch_items: int = BATCH_ITEMS) -> None:
        self.client = client
        self.batch_items = batch_items

    def close(self) -> None:
        self.client.close()

    def check(self) -> str:
        self.client.fetch_token()
        url = self.client.first_url(limit=1)
        envelope = self.client.page(url, number=1)
        if not envelope.data:
            return ("Connected: the token and the content API answer, but no course has been delivered to "
                    f"the CIID '{self.client.credentials.ciid}' yet.")
        first = mapping.course_item(envelope.data[0])
        what = f"'{first.row.title}'" if first.row else f"one that cannot be read ({first.error})"
        return (f"Connected: courses delivered to the CIID '{self.client.credentials.ciid}' come through; "
                f"the first is {what}.")

    def catalog_pages(self, only: Sequence[str] | None = None) -> Iterator[CatalogPage]:
        """OpenSesame's pages of 50, handed to the sync in batches of about `batch_items` courses: each
        batch is written in a few bulk statements instead of a few per page of 50. When a page fails,
        the batch fetched so far is handed over first, then the error.

        `only` (the ids a push named): the request asks for just those (our marketplace filters on
        them), and the walk stops once every one of them came, so a server that ignores the filter
        is read no further than needed."""
        empty_pages: list[int] = []
        batch: list[CatalogItem] = []
        number = 0
        wanted = set(only or ())
        pages = self.client.pages(only=only)
        while True:
            if only and not wanted:
                break
            try:
                page = next(pages)
            except StopIteration:
                break
            except RemoteError:
                if batch:
                    number += 1
                    yield CatalogPage(items=batch, number=number, total_pages=None)
                raise
            items = [mapping.course_item(raw) for raw in page.envelope.data]
            wanted.difference_update(item.external_id for item in items)
            if not items and page.followed:
                # A page reached through paging.next promised courses: empty, it is a page lost.
                empty_pages.append(page.number)
            batch.extend(items)
            if len(batch) >= self.batch_items:
                number += 1
                yield CatalogPage(items=batch, number=number, total_pages=None)
                batch = []
        if batch:
            number += 1
            yield CatalogPage(items=batch, number=number, total_pages=None)
        if empty_pages:
            raise PartialFetch(
                f"Page {empty_pages[0]} of the catalogue came back empty although the page before announced it: "
                "the catalogue is incomplete."
            )

    def statistics_pages(self, day: date) -> Iterator[StatisticsPage]:
        return iter(())  # OpenSesame's completions come through AICC, as they happen


class OpenSesameProvider:
    name = mapping.PROVIDER
    label = mapping.LABEL
    credential_fields: tuple[CredentialField, ...] = (
        CredentialField("client_id", "Client ID",
                        "Only for a custom logo (white-labelled academy): from your OpenSesame representative."),
        CredentialField("client_secret", "Client secret",
                        "Only for a custom logo (white-labelled academy): from your OpenSesame representative."),
        CredentialField("webhook_secret", "Webhook secret",
                        "Signs OpenSesame's delivery notices, so delivered courses appear at once."),
    )
    default_api_url = DEFAULT_API_URL
    default_token_url = DEFAULT_TOKEN_URL
    retire_action = "deactivate"
    time_source: str = TimeSource.MEASURED
    has_statistics = False

    def open(self, connection: Connection, *, http: HttpClient | None = None, page_size: int | None = None,
             batch_items: int = BATCH_ITEMS) -> OpenSesameSession:
        options = connection.options or {}
        ciid = str(options.get("ciid") or "").strip()
        if not ciid:
            raise DomainError("Enter the Customer Integration ID (CIID) of the OpenSesame connection first.",
                              field="ciid")
        secrets = stored_secrets(connection)
        client_id, client_secret = secrets.get("client_id", ""), secrets.get("client_secret", "")
        if not (client_id and client_secret):
            if options.get("logo") == LOGO_CUSTOM:
                raise DomainError("A custom logo needs the Client ID and Client secret from your OpenSesame "
                                  "representative: enter both.", field="client_id")
            client_id, client_secret = deployment_credentials()
            if not (client_id and client_secret):
                raise DomainError("This deployment has no OpenSesame client of its own: choose the custom logo "
                                  "and enter the Client ID and Client secret from OpenSesame.", field="client_id")
        client = OpenSesameClient(
            api_url=connection.api_url or self.default_api_url,
            token_url=connection.token_url or self.default_token_url,
            credentials=Credentials(client_id=client_id, client_secret=client_secret, ciid=ciid),
            http=http or HttpClient(timeout=float(options.get("timeout", 15))),
            **({"page_size": page_size} if page_size else {}),
        )
        return OpenSesameSession(client, batch_items=batch_items)

    def launch_url(self, *, attempt: Attempt) -> str:
        """START goes to the course's remote AICC unit: that page opens a HACP session and sends the
        browser to OpenSesame's aiccLaunchUrl with aicc_sid and our aicc_url. A course the sync did
        not write (no unit: made by hand, or by the demo) opens its address like a web link."""
        course = attempt.enrollment.course
        unit_id = remote_unit_of(course)
        if unit_id is not None:
            return reverse("web:unit_launch", args=[course.academy.slug, attempt.pk, unit_id])
        if course.launch_url:
            return course.launch_url
        raise LaunchRefused(f"'{course.title}' has no AICC launch address from OpenSesame yet. "
                            "Ask an administrator to sync the OpenSesame connection.")

    # --- Sync hooks ------------------------------------------------------------------------------

    def prepare_writes(self, *, run: SyncRun, connection: Connection, items: list[CatalogItem],
                       existing: dict[str, int]) -> list[CatalogItem]:
        """The duplicate policy, for courses new to the academy whose id is the identifier of a
        package uploaded by hand (an OpenSesame AICC download): skip them, take the uploaded course
        over (replace), or keep both."""
        from coursebridge.connectors.providers.opensesame.duplicates import apply_duplicate_policy

        return apply_duplicate_policy(run=run, connection=connection, items=items, existing=existing)

    def after_write(self, *, connection: Connection, items: list[CatalogItem], course_ids: dict[str, int]) -> None:
        """Each written course launches through one remote AICC unit at its aiccLaunchUrl."""
        remote_units_sync(academy_id=connection.academy_id, items=items, course_ids=course_ids)


def remote_unit_of(course: Course) -> int | None:
    from coursebridge.content.models import Unit

    return (Unit.objects.filter(package__course=course, package__is_current=True, is_remote=True)
            .order_by("position").values_list("pk", flat=True).first())


def remote_units_sync(*, academy_id: int, items: list[CatalogItem], course_ids: dict[str, int]) -> None:
    """In bulk: a current AICC package with one remote unit per course; a changed launch address
    updates the unit in place (open sessions keep working, attempts keep their unit)."""
    from coursebridge.content.models import Package, PackageFormat, Unit

    wanted = {course_ids[item.external_id]: item for item in items
              if item.row is not None and item.external_id in course_ids}
    if not wanted:
        return
    units = {
        course_id: (unit_id, launch, title)
        for course_id, unit_id, launch, title in Unit.objects.filter(
            package__course_id__in=list(wanted), package__is_current=True, identifier=UNIT_IDENTIFIER,
            is_remote=True,
        ).values_list("package__course_id", "pk", "launch", "title")
    }
    changed: list[Unit] = []
    for course_id, (unit_id, launch, title) in units.items():
        row = wanted[course_id].row
        assert row is not None
        if launch != row.launch_url or title != row.title:
            changed.append(Unit(pk=unit_id, launch=row.launch_url, title=row.title))
    if changed:
        Unit.objects.bulk_update(changed, ["launch", "title"], batch_size=1000)
    missing = [course_id for course_id in wanted if course_id not in units]
    if not missing:
        return
    # A course taken over from an uploaded package keeps its old versions: the remote one comes next.
    versions = dict(Package.objects.filter(course_id__in=missing).values("course_id").annotate(
        top=Max("version")).values_list("course_id", "top"))
    Package.objects.filter(course_id__in=missing, is_current=True).update(is_current=False)
    packages = Package.objects.bulk_create([
        Package(academy_id=academy_id, course_id=course_id, format=PackageFormat.AICC,
                identifier=wanted[course_id].external_id[:255], title=(wanted[course_id].row.title  # type: ignore[union-attr]
                                                                        if wanted[course_id].row else ""),
                version=(versions.get(course_id) or 0) + 1, is_current=True)
        for course_id in missing
    ], batch_size=1000)
    if any(p.pk is None for p in packages):  # databases that do not return ids from bulk inserts
        by_course = dict(Package.objects.filter(course_id__in=missing, is_current=True).values_list("course_id", "pk"))
    else:
        by_course = {p.course_id: p.pk for p in packages}
    Unit.objects.bulk_create([
        Unit(package_id=by_course[course_id], position=1, identifier=UNIT_IDENTIFIER,
             title=wanted[course_id].row.title if wanted[course_id].row else "",  # type: ignore[union-attr]
             launch=wanted[course_id].row.launch_url if wanted[course_id].row else "",  # type: ignore[union-attr]
             is_remote=True, is_sco=True)
        for course_id in missing
    ], batch_size=1000)


def is_opensesame_course(course: Course) -> bool:
    return course.provider == mapping.PROVIDER and course.kind == CourseKind.PROVIDER


PROVIDER = register(OpenSesameProvider())
