"""The demo academy's OpenSesame connection, pointed at this deployment's own marketplace (the demo
customer account's push integration, CIID demo-academy-ciid) and switched off: the walk in
docs/connectors/opensesame.md starts by switching it on in the Control Panel."""

from __future__ import annotations

import os

from coursebridge.accounts.models import Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save

DEMO_CIID = "demo-academy-ciid"
DEMO_CLIENT_ID = "demo-academy-client"
DEMO_CLIENT_SECRET = "demo-academy-secret"  # noqa: S105 (the marketplace demo's published client)
# The demo marketplace's push integration signs with the same published demo value.
DEMO_WEBHOOK_SECRET = "demo-academy-webhook-secret"  # noqa: S105 (a demo value)


def marketplace_base() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/marketplace/api"


def demo_opensesame(*, group: Group) -> Connection:
    base = marketplace_base()
    return opensesame_save(
        academy=group.academy, enabled=False, ciid=DEMO_CIID, logo="custom", group=group,
        client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, webhook_secret=DEMO_WEBHOOK_SECRET,
        duplicate_policy="skip", api_url=base, token_url=f"{base}/oauth2/token",
    ).connection
