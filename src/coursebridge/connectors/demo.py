"""The demo's connection: OpenClassrooms on a subgroup, switched off and pointing at an address that
never resolves, without credentials. An admin sees how a connection looks; Test connection asks for
the credentials; nothing runs in the background."""

from __future__ import annotations

from coursebridge.accounts.models import Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.services import connection_create

# ".invalid" never resolves (RFC 2606): the demo never calls anyone.
DEMO_API_URL = "https://openclassrooms.invalid"
DEMO_TOKEN_URL = "https://openclassrooms.invalid/oauth2/token"  # noqa: S105 (an address)


def demo_connections(*, group: Group) -> Connection:
    return connection_create(
        academy=group.academy, provider="openclassrooms", group=group, credentials={},
        api_url=DEMO_API_URL, token_url=DEMO_TOKEN_URL, enabled=False,
    )
