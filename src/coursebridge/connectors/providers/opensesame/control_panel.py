"""The OpenSesame settings of an academy's Control Panel ("Connect external content providers"):
one service that saves them all in one transaction, and the warning about a CIID another academy of
this deployment already uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.db import transaction

from coursebridge.accounts.models import Academy, Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame import mapping
from coursebridge.connectors.providers.opensesame.duplicates import DEFAULT_POLICY, POLICIES
from coursebridge.connectors.providers.opensesame.provider import LOGO_CUSTOM, LOGO_OPENSESAME, stored_secrets
from coursebridge.connectors.services import connection_create, connection_update
from coursebridge.core.errors import DomainError

CIID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass
class SaveResult:
    connection: Connection
    warnings: list[str] = field(default_factory=list)


def opensesame_connection_of(academy: Academy) -> Connection | None:
    return Connection.objects.filter(academy=academy, provider=mapping.PROVIDER).select_related("group").first()


def ciid_shared_with(*, academy: Academy, ciid: str) -> list[str]:
    """Names of the other academies of this deployment whose OpenSesame connection has this CIID."""
    if not ciid:
        return []
    return sorted(
        Connection.objects.filter(provider=mapping.PROVIDER, options__ciid=ciid).exclude(academy=academy)
        .values_list("academy__name", flat=True)
    )


def ciid_warning(*, academy: Academy, ciid: str) -> str:
    others = ciid_shared_with(academy=academy, ciid=ciid)
    if not others:
        return ""
    return (
        f"The CIID '{ciid}' is already used by another academy on this deployment ({', '.join(others)}). "
        "OpenSesame delivers to a CIID, not to an academy: every course sent to it appears in each academy "
        "that uses it, a course removed for one disappears from all of them, and OpenSesame's reports cannot "
        "tell the academies apart. Ask your OpenSesame representative for a CIID of this academy's own."
    )


@transaction.atomic
def opensesame_save(
    *,
    academy: Academy,
    enabled: bool,
    ciid: str,
    logo: str,
    group: Group | None,
    client_id: str = "",
    client_secret: str = "",
    webhook_secret: str = "",
    duplicate_policy: str = DEFAULT_POLICY,
    sync_time: time | None = None,
    api_url: str = "",
    token_url: str = "",
) -> SaveResult:
    """Create or change the academy's OpenSesame connection. Secrets are write-only: a blank one keeps
    the stored value. Switching OpenSesame off keeps the courses and stops the daily sync."""
    ciid = (ciid or "").strip()
    if enabled and not ciid:
        raise DomainError("Enter the Customer Integration ID (CIID) from your OpenSesame representative.",
                          field="ciid")
    if ciid and not CIID_RE.match(ciid):
        raise DomainError("A CIID has at most 64 letters, digits, dots, dashes, colons or underscores.",
                          field="ciid")
    if logo not in {LOGO_OPENSESAME, LOGO_CUSTOM}:
        raise DomainError("Logo display is 'opensesame' (OpenSesame's logo) or 'custom'.", field="logo")
    if duplicate_policy not in POLICIES:
        raise DomainError(f"The duplicate policy is one of {', '.join(POLICIES)}.", field="duplicate_policy")
    given = {"client_id": client_id, "client_secret": client_secret, "webhook_secret": webhook_secret}
    connection = opensesame_connection_of(academy)
    if connection is None:
        connection = connection_create(
            academy=academy, provider=mapping.PROVIDER, group=group, credentials=given, api_url=api_url,
            token_url=token_url, sync_time=sync_time, enabled=enabled,
        )
    else:
        changes: dict[str, Any] = {"group": group, "credentials": given, "api_url": api_url,
                                   "token_url": token_url, "enabled": enabled}
        if sync_time is not None:
            changes["sync_time"] = sync_time
        connection = connection_update(connection=connection, changes=changes)
    secrets = stored_secrets(connection)
    if logo == LOGO_CUSTOM and not (secrets.get("client_id") and secrets.get("client_secret")):
        missing = [label for name, label in (("client_id", "Client ID"), ("client_secret", "Client secret"))
                   if not secrets.get(name)]
        raise DomainError(f"A custom logo needs the {' and the '.join(missing)} from your OpenSesame "
                          "representative.", field="client_id" if "Client ID" in missing else "client_secret")
    connection.options = {**(connection.options or {}), "ciid": ciid, "logo": logo,
                          "duplicate_policy": duplicate_policy}
    connection.save(update_fields=["options", "updated_at"])
    warning = ciid_warning(academy=academy, ciid=ciid)
    return SaveResult(connection=connection, warnings=[warning] if warning else [])
