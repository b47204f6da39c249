"""Connections against the fake OpenClassrooms server, built through the real services."""

from __future__ import annotations

from coursebridge.accounts.models import Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.openclassrooms.provider import OpenClassroomsProvider, OpenClassroomsSession
from coursebridge.connectors.services import connection_create
from coursebridge.core.http import HttpClient
from tests.fakes.openclassrooms import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID, FakeOpenClassrooms


def openclassrooms_connection(group: Group, fake: FakeOpenClassrooms, **kwargs) -> Connection:
    return connection_create(
        academy=group.academy, provider="openclassrooms", group=group,
        credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "organization_id": ORGANIZATION_ID},
        api_url=fake.url, token_url=fake.token_url, **kwargs,
    )


class Waits(list):
    """What the client was asked to wait, instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fast_session(connection: Connection, *, timeout: float = 0.3, retries: int = 3,
                 waits: Waits | None = None) -> OpenClassroomsSession:
    """The real provider session, with a short timeout and no real sleeping between retries."""
    http = HttpClient(timeout=timeout, retries=retries, backoff=0.01, sleep=waits if waits is not None else Waits())
    return OpenClassroomsProvider().open(connection, http=http)
