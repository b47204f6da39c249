"""The Control Panel's OpenSesame settings over the API: read them (secrets only as "stored or not")
and save them in one go. Sync now, Test connection and the run history are the connection's own
endpoints (/api/academies/{slug}/connections/{id}/...). Training admins only."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from coursebridge.accounts.api import academy_of, group_in, require_training_admin
from coursebridge.connectors import services
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame.control_panel import (
    ciid_warning,
    opensesame_connection_of,
    opensesame_save,
)
from coursebridge.connectors.providers.opensesame.duplicates import DEFAULT_POLICY, policy_of
from coursebridge.connectors.providers.opensesame.provider import LOGO_OPENSESAME
from coursebridge.core.api import Id, InputSchema, responses
from coursebridge.core.errors import NotFound

router = Router(tags=["connectors"])


class OpenSesameOut(Schema):
    connection_id: int
    enabled: bool
    ciid: str
    logo: str = Field(description="opensesame (OpenSesame's logo) or custom (white-labelled academy).")
    group_id: int | None
    duplicate_policy: str = Field(description="skip, replace or keep_both.")
    sync_time: str = Field(description="UTC, HH:MM.")
    api_url: str
    token_url: str
    credentials_set: dict[str, bool] = Field(description="Which secrets are stored. Their values are never shown.")
    warnings: list[str] = Field(description="A CIID another academy of this deployment uses, explained.")


class OpenSesameIn(InputSchema):
    enabled: bool = True
    ciid: str = Field(default="", max_length=64)
    logo: str = LOGO_OPENSESAME
    group_id: Id
    client_id: str = Field(default="", max_length=1000, description="Write-only; blank keeps the stored one.")
    client_secret: str = Field(default="", max_length=1000, description="Write-only; blank keeps the stored one.")
    webhook_secret: str = Field(default="", max_length=1000, description="Write-only; blank keeps the stored one.")
    duplicate_policy: str = DEFAULT_POLICY
    sync_time: time | None = Field(default=None, description="UTC; default 05:50.")
    api_url: str = ""
    token_url: str = ""


def _out(connection: Connection, warnings: list[str]) -> dict[str, Any]:
    options = connection.options or {}
    return {
        "connection_id": connection.pk, "enabled": connection.enabled, "ciid": options.get("ciid", ""),
        "logo": options.get("logo", LOGO_OPENSESAME), "group_id": connection.group_id,
        "duplicate_policy": policy_of(connection), "sync_time": connection.sync_time.strftime("%H:%M"),
        "api_url": connection.api_url, "token_url": connection.token_url,
        "credentials_set": services.credentials_set(connection), "warnings": warnings,
    }


@router.get("/academies/{slug}/connectors/opensesame", response=responses(OpenSesameOut),
            summary="The academy's OpenSesame settings")
def opensesame_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    connection = opensesame_connection_of(academy)
    if connection is None:
        raise NotFound("OpenSesame is not set up in this academy: PUT its settings first.")
    warning = ciid_warning(academy=academy, ciid=str((connection.options or {}).get("ciid") or ""))
    return _out(connection, [warning] if warning else [])


@router.put("/academies/{slug}/connectors/opensesame", response=responses(OpenSesameOut),
            summary="Save the academy's OpenSesame settings")
def opensesame_put(request: HttpRequest, slug: str, payload: OpenSesameIn) -> dict[str, Any]:
    """Creates the connection the first time. A custom logo needs client_id and client_secret (stored
    ones count). `warnings` explains a CIID another academy of this deployment already uses."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    result = opensesame_save(
        academy=academy, enabled=payload.enabled, ciid=payload.ciid, logo=payload.logo,
        group=group_in(academy, payload.group_id, field="group_id"), client_id=payload.client_id,
        client_secret=payload.client_secret, webhook_secret=payload.webhook_secret,
        duplicate_policy=payload.duplicate_policy, sync_time=payload.sync_time, api_url=payload.api_url,
        token_url=payload.token_url,
    )
    return _out(result.connection, result.warnings)
