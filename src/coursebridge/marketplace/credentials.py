"""Provider API credentials: client ids and secrets (secrets stored as SHA-256, shown once), bearer
tokens (stored as SHA-256), and the CIIDs of integrations."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from coursebridge.core.errors import DomainError, NotFound
from coursebridge.marketplace.models import AccessToken, ApiClient, CustomerAccount, Integration, IntegrationKind

TOKEN_LIFETIME = timedelta(hours=1)


class Unauthorized(DomainError):
    code = "unauthenticated"
    status = 401


def digest(value: str) -> str:
    # The secrets are 256 random bits: a fast hash is enough, a slow one would only slow every token request.
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCredentials:
    ciid: str
    client_id: str
    client_secret: str

    def as_dict(self, *, token_url: str, api_url: str) -> dict[str, str]:
        return {"ciid": self.ciid, "client_id": self.client_id, "client_secret": self.client_secret,
                "token_url": token_url, "api_url": api_url}


@transaction.atomic
def credentials_issue(*, account: CustomerAccount, integration_name: str | None = None) -> IssuedCredentials:
    """New API credentials for an account, with the CIID of the named integration (created as a pull
    integration when the account has none of that name), else of its first active integration."""
    from coursebridge.marketplace.services import integration_create

    if integration_name:
        integration = Integration.objects.filter(account=account, name=integration_name).first()
        if integration is None:
            integration = integration_create(account=account, name=integration_name, kind=IntegrationKind.PULL)
    else:
        integration = Integration.objects.filter(account=account, active=True).order_by("id").first()
        if integration is None:
            integration = integration_create(account=account, name="Learning platform", kind=IntegrationKind.PULL)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        account=account, client_id=f"mk-{secrets.token_hex(10)}", secret_hash=digest(secret)
    )
    return IssuedCredentials(ciid=integration.ciid, client_id=client.client_id, client_secret=secret)


@transaction.atomic
def credentials_revoke(*, account: CustomerAccount, client_id: str) -> None:
    client = ApiClient.objects.filter(account=account, client_id=client_id, revoked_at__isnull=True).first()
    if client is None:
        raise NotFound("No such active client id in this account.")
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    client.tokens.all().delete()


@transaction.atomic
def token_issue(*, client_id: str, client_secret: str) -> tuple[str, int]:
    """A bearer token for valid client credentials: (token, seconds it lives)."""
    client = ApiClient.objects.filter(client_id=client_id, revoked_at__isnull=True).first()
    # Compare even for an unknown id, so the answer takes as long either way.
    expected = client.secret_hash if client else digest("unknown client")
    if not hmac.compare_digest(expected, digest(client_secret)) or client is None:
        raise Unauthorized("The client id or secret is wrong, or the credentials were revoked.")
    now = timezone.now()
    AccessToken.objects.filter(client=client, expires_at__lt=now).delete()
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(client=client, token_hash=digest(token), expires_at=now + TOKEN_LIFETIME)
    return token, int(TOKEN_LIFETIME.total_seconds())


def token_client(*, token: str) -> ApiClient:
    """The client a bearer token was issued to, or Unauthorized."""
    row = (AccessToken.objects.select_related("client").filter(token_hash=digest(token))
           .only("expires_at", "client__id", "client__account_id", "client__revoked_at").first())
    if row is None or row.client.revoked_at is not None:
        raise Unauthorized("The access token is not valid. Request a new one.")
    if row.expires_at <= timezone.now():
        raise Unauthorized("The access token has expired. Request a new one.")
    return row.client
