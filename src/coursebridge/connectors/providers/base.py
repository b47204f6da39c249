"""The provider protocol every connector implements, and the data it hands to the sync."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from coursebridge.catalog.services import ProviderCourseRow
from coursebridge.core.http import RemoteError

if TYPE_CHECKING:
    from coursebridge.connectors.models import Connection
    from coursebridge.learning.models import Attempt


class PartialFetch(RemoteError):
    """The provider's answer was incomplete (a short page, a missing page, fewer items than it
    announced, an empty catalogue answered by mistake): what came is kept, nothing is retired."""

    kind = "partial"


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    help: str = ""


@dataclass
class CatalogItem:
    """One remote course. `row` is None when the item could not be read (then `error` says why)."""

    external_id: str
    row: ProviderCourseRow | None
    available: bool = True
    remote_status: str = ""
    category_paths: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class CatalogPage:
    items: list[CatalogItem]
    number: int
    total_pages: int | None = None


@dataclass(frozen=True)
class StatisticRow:
    """Where a learner stands in a provider course: progress 0-100 and time in seconds."""

    email: str
    course_external_id: str
    progress: int
    time_seconds: int


@dataclass
class StatisticsPage:
    rows: list[StatisticRow]
    number: int
    total_pages: int | None = None
    errors: list[str] = field(default_factory=list)


class ProviderSession(Protocol):
    """A provider opened with one connection's credentials, for one run."""

    def check(self) -> str:
        """Fetch a token and the first catalogue page; a summary, or a RemoteError saying what failed."""
        ...

    def catalog_pages(self, only: Sequence[str] | None = None) -> Iterator[CatalogPage]:
        """Every page, in order; raises PartialFetch (after the last page) when the whole was short.
        `only`: the provider's ids a push named; a session may then fetch just those (or more: the
        sync treats the answer as incremental either way)."""
        ...

    def statistics_pages(self, day: date) -> Iterator[StatisticsPage]: ...

    def close(self) -> None: ...


class Provider(Protocol):
    name: str
    label: str
    credential_fields: tuple[CredentialField, ...]
    default_api_url: str
    default_token_url: str
    # What happens to a course the provider no longer offers: "archive" or "deactivate".
    retire_action: str
    time_source: str
    has_statistics: bool

    def open(self, connection: Connection) -> ProviderSession: ...

    def launch_url(self, *, attempt: Attempt) -> str:
        """Where START sends the learner for this attempt (the attempt knows its course and learner)."""
        ...
