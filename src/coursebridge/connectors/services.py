"""Writes on connections: create and change them (credentials write-only), the lease that keeps
one run per connection, starting a run in the background, and Test connection."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from coursebridge.accounts.models import Academy, Group, User
from coursebridge.connectors.models import Connection, RunState, RunTrigger, SyncRun
from coursebridge.connectors.registry import provider_get
from coursebridge.core import jobs
from coursebridge.core.errors import Conflict, DomainError
from coursebridge.core.http import RemoteError
from coursebridge.core.models import Job

LEASE = timedelta(minutes=10)
SYNC_JOB_KIND = "connectors.sync"


def _check_group(academy: Academy, group: Group | None) -> None:
    if group is None:
        raise DomainError("Choose the synchronized group that receives the courses.", field="group_id")
    if group.academy_id != academy.pk:
        raise DomainError("The group belongs to another academy.", field="group_id")


def _check_url(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if value and not value.startswith(("http://", "https://")):
        raise DomainError(f"'{value[:100]}' is not an http(s) address.", field=field_name)
    if len(value) > 500:
        raise DomainError("An address has at most 500 characters.", field=field_name)
    return value


def _merged_credentials(provider_name: str, stored: str, given: dict[str, str]) -> str:
    """Write-only secrets: a value given replaces the stored one; a blank one keeps it."""
    provider = provider_get(provider_name)
    known = {f.name for f in provider.credential_fields}
    unknown = sorted(set(given) - known)
    if unknown:
        raise DomainError(f"'{unknown[0]}' is not a credential of {provider.label}.", field=unknown[0])
    current = json.loads(stored) if stored else {}
    for name, value in given.items():
        value = (value or "").strip()
        if len(value) > 1000:
            raise DomainError("A credential has at most 1000 characters.", field=name)
        if value:
            current[name] = value
    return json.dumps(current, sort_keys=True)


def credentials_set(connection: Connection) -> dict[str, bool]:
    """Which credentials are stored (never their values)."""
    stored = json.loads(connection.credentials) if connection.credentials else {}
    provider = provider_get(connection.provider)
    return {f.name: bool(stored.get(f.name)) for f in provider.credential_fields}


@transaction.atomic
def connection_create(
    *,
    academy: Academy,
    provider: str,
    group: Group | None,
    credentials: dict[str, str],
    api_url: str = "",
    token_url: str = "",
    sync_time: time | None = None,
    enabled: bool = True,
) -> Connection:
    spec = provider_get(provider)
    _check_group(academy, group)
    connection = Connection(
        academy=academy, provider=spec.name, group=group, enabled=enabled,
        api_url=_check_url(api_url, "api_url"), token_url=_check_url(token_url, "token_url"),
        credentials=_merged_credentials(spec.name, "", credentials),
    )
    if sync_time is not None:
        connection.sync_time = sync_time
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError as exc:
        raise Conflict(f"This academy already has a {spec.label} connection.", field="provider") from exc
    return connection


@transaction.atomic
def connection_update(*, connection: Connection, changes: dict[str, Any]) -> Connection:
    """Change a connection. `credentials` is a dict of the secrets to replace (blank: keep)."""
    for name, value in changes.items():
        if name == "group":
            _check_group(connection.academy, value)
            connection.group = value
        elif name == "credentials":
            connection.credentials = _merged_credentials(connection.provider, connection.credentials, value or {})
        elif name in {"api_url", "token_url"}:
            setattr(connection, name, _check_url(value, name))
        elif name == "sync_time":
            if not isinstance(value, time):
                raise DomainError("The daily sync time is a time of day, like 05:50.", field="sync_time")
            connection.sync_time = value
        elif name == "enabled":
            connection.enabled = bool(value)
        else:
            raise DomainError(f"'{name}' cannot be changed.", field=name)
    connection.save()
    return connection


@transaction.atomic
def connection_delete(*, connection: Connection) -> None:
    """Remove the connection and its history; its courses stay (with their records and learners)."""
    if connection.lease_until and connection.lease_until > timezone.now():
        raise Conflict("A sync of this connection is running; delete it once the sync ends.")
    connection.delete()


# --- The lease ------------------------------------------------------------------------------------


def lease_acquire(*, connection_id: int, holder: str) -> bool:
    now = timezone.now()
    taken = Connection.objects.filter(pk=connection_id).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ).update(lease_until=now + LEASE, lease_holder=holder)
    return taken == 1


def lease_renew(*, connection_id: int, holder: str) -> None:
    Connection.objects.filter(pk=connection_id, lease_holder=holder).update(lease_until=timezone.now() + LEASE)


def lease_release(*, connection_id: int, holder: str) -> None:
    Connection.objects.filter(pk=connection_id, lease_holder=holder).update(lease_until=None, lease_holder="")


def busy_message(connection: Connection) -> str:
    running = SyncRun.objects.filter(connection=connection, state=RunState.RUNNING).first()
    started = f" (run #{running.pk}, started {running.started_at:%Y-%m-%d %H:%M} UTC)" if running else ""
    until = connection.lease_until or timezone.now()
    return (
        f"A sync of this connection is already running{started}. Wait for it to end; if its worker "
        f"stopped, the lock is released at {until:%H:%M} UTC."
    )


def refuse_if_busy(connection: Connection) -> None:
    if connection.lease_until is not None and connection.lease_until > timezone.now():
        raise Conflict(busy_message(connection))


# --- Runs in the background -------------------------------------------------------------------------


def sync_start(*, connection: Connection, trigger: str = RunTrigger.MANUAL, full: bool = False,
               by: User | None = None, only: Sequence[str] | None = None, retire_named: bool = False) -> Job:
    """Queue a run ("Sync now", the API, the schedule, a push). Refused at once when one is running.
    `only`: the provider's ids a push named (an incremental run of just those, where it can);
    `retire_named`: the push announced a lifecycle change (see connection_sync)."""
    from coursebridge.connectors.tasks import sync_connection

    if trigger not in RunTrigger.values:
        raise DomainError(f"Trigger is one of {', '.join(RunTrigger.values)}.", field="trigger")
    if connection.group_id is None:
        raise DomainError("Choose the synchronized group first.", field="group_id")
    provider_get(connection.provider)
    refuse_if_busy(connection)
    with transaction.atomic():
        job = jobs.job_create(
            kind=SYNC_JOB_KIND, academy_id=connection.academy_id, created_by_id=by.pk if by else None,
            params={"connection_id": connection.pk, "trigger": trigger, "full": full,
                    **({"only": list(only), "retire_named": retire_named} if only and not full else {})},
        )
        transaction.on_commit(lambda: sync_connection.delay(job.pk))
    return job


def connection_test(*, connection: Connection) -> str:
    """Fetch a token and the first catalogue page; the summary, or a DomainError saying exactly
    what failed (which address, which answer)."""
    provider = provider_get(connection.provider)
    session = provider.open(connection)
    try:
        return session.check()
    except RemoteError as exc:
        raise DomainError(f"{provider.label}: {exc.message}", field="connection", code=f"remote_{exc.kind}") from exc
    finally:
        session.close()


def connections_due(*, now: datetime | None = None) -> list[int]:
    """Claim the connections whose daily time has come today (each claimed once a day)."""
    now = now or timezone.now()
    today = now.date()
    due: list[int] = []
    candidates = Connection.objects.filter(enabled=True, group__isnull=False, sync_time__lte=now.time()).filter(
        Q(last_scheduled_on__isnull=True) | Q(last_scheduled_on__lt=today)
    )
    for connection_id in candidates.values_list("pk", flat=True):
        claimed = Connection.objects.filter(pk=connection_id).filter(
            Q(last_scheduled_on__isnull=True) | Q(last_scheduled_on__lt=today)
        ).update(last_scheduled_on=today)
        if claimed:
            due.append(connection_id)
    return due


def new_holder() -> str:
    return uuid.uuid4().hex
