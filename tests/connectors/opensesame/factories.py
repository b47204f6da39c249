"""OpenSesame connections against the fake server, built through the real services."""

from __future__ import annotations

from typing import Any

from coursebridge.accounts.models import Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save
from coursebridge.connectors.providers.opensesame.provider import OpenSesameProvider, OpenSesameSession
from coursebridge.core.http import HttpClient
from tests.connectors.factories import Waits
from tests.fakes.opensesame import CIID, CLIENT_ID, CLIENT_SECRET, FakeOpenSesame

WEBHOOK_SECRET = "whsec-test-value"


def opensesame_connection(group: Group, fake: FakeOpenSesame, **changes: Any) -> Connection:
    values: dict[str, Any] = {
        "enabled": True, "ciid": CIID, "logo": "custom", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "webhook_secret": WEBHOOK_SECRET, "group": group, "duplicate_policy": "skip",
        "api_url": fake.url, "token_url": fake.token_url,
    }
    values.update(changes)
    return opensesame_save(academy=group.academy, **values).connection


def fast_session(connection: Connection, *, timeout: float = 0.3, retries: int = 3, waits: Waits | None = None,
                 page_size: int | None = None, batch_items: int = 3) -> OpenSesameSession:
    """The real provider session, with a short timeout and no real sleeping between retries; pages
    handed to the sync in batches of `batch_items` courses or more."""
    http = HttpClient(timeout=timeout, retries=retries, backoff=0.01, sleep=waits if waits is not None else Waits())
    return OpenSesameProvider().open(connection, http=http, page_size=page_size, batch_items=batch_items)
