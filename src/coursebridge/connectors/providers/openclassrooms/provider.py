"""OpenClassrooms on the provider protocol: catalogue pages mapped to courses, statistics pages
mapped to rows, completeness checked against what the API announced."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date

from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.base import (
    CatalogPage,
    CredentialField,
    PartialFetch,
    StatisticRow,
    StatisticsPage,
)
from coursebridge.connectors.providers.openclassrooms import mapping
from coursebridge.connectors.providers.openclassrooms.client import Credentials, OpenClassroomsClient
from coursebridge.connectors.registry import register
from coursebridge.core.errors import DomainError
from coursebridge.core.http import HttpClient
from coursebridge.learning.models import Attempt, TimeSource


class OpenClassroomsSession:
    def __init__(self, client: OpenClassroomsClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def check(self) -> str:
        self.client.fetch_token()
        first = self.client.page("courses", page=1, per_page=1)
        return f"Connected: the organisation's catalogue has {first.pagination.total_items} courses."

    def catalog_pages(self, only: Sequence[str] | None = None) -> Iterator[CatalogPage]:
        # OpenClassrooms has no push: `only` never comes, and the whole catalogue is read anyway.
        seen: set[str] = set()
        announced = None
        number = 0
        short = []
        for envelope in self.client.course_pages():
            number = envelope.pagination.page
            announced = envelope.pagination.total_items
            items = [mapping.course_item(raw) for raw in envelope.data]
            seen.update(item.external_id for item in items if item.external_id)
            last = number >= envelope.pagination.total_pages
            if not last and len(envelope.data) < envelope.pagination.per_page:
                short.append(number)
            yield CatalogPage(items=items, number=number, total_pages=envelope.pagination.total_pages)
        if short:
            raise PartialFetch(f"Page {short[0]} of the catalogue came back short: the catalogue is incomplete.")
        if announced is not None and len(seen) < announced:
            raise PartialFetch(
                f"The provider announced {announced} courses but sent {len(seen)}: the catalogue is incomplete."
            )

    def statistics_pages(self, day: date) -> Iterator[StatisticsPage]:
        for envelope in self.client.statistics_pages(day):
            rows: list[StatisticRow] = []
            errors: list[str] = []
            for index, raw in enumerate(envelope.data):
                result = mapping.statistic_row(raw)
                if isinstance(result, str):
                    errors.append(f"Statistics page {envelope.pagination.page}, row {index + 1}: {result}.")
                else:
                    rows.append(result)
            yield StatisticsPage(rows=rows, number=envelope.pagination.page,
                                 total_pages=envelope.pagination.total_pages, errors=errors)


class OpenClassroomsProvider:
    name = mapping.PROVIDER
    label = "OpenClassrooms"
    credential_fields: tuple[CredentialField, ...] = (
        CredentialField("client_id", "Client ID", "Given by OpenClassrooms customer support."),
        CredentialField("client_secret", "Client secret", "Given by OpenClassrooms customer support."),
        CredentialField("organization_id", "Organization ID", "Given by OpenClassrooms customer support."),
    )
    default_api_url = "https://api.openclassrooms.com"
    default_token_url = "https://api.openclassrooms.com/oauth2/token"  # noqa: S105 (an address, not a secret)
    retire_action = "archive"
    time_source: str = TimeSource.THEORETICAL
    has_statistics = True

    def open(self, connection: Connection, *, http: HttpClient | None = None) -> OpenClassroomsSession:
        try:
            secrets = json.loads(connection.credentials or "{}")
        except ValueError:
            secrets = {}
        missing = [f.label for f in self.credential_fields if not str(secrets.get(f.name) or "").strip()]
        if missing:
            raise DomainError(f"Enter the {', '.join(missing)} of the connection first.", field="credentials")
        client = OpenClassroomsClient(
            api_url=connection.api_url or self.default_api_url,
            token_url=connection.token_url or self.default_token_url,
            credentials=Credentials(
                client_id=secrets["client_id"], client_secret=secrets["client_secret"],
                organization_id=secrets["organization_id"],
            ),
            http=http or HttpClient(timeout=float(connection.options.get("timeout", 15))),
        )
        return OpenClassroomsSession(client)

    def launch_url(self, *, attempt: Attempt) -> str:
        # OpenClassrooms grants or refuses access itself: the learner goes to the course's page there.
        return attempt.enrollment.course.launch_url


register(OpenClassroomsProvider())
