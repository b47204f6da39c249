"""REST endpoints for connections to content providers: set them up (credentials write-only), test
them, sync now, and read their run history and the statistics kept aside. Training admins only."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from coursebridge.accounts.api import academy_of, group_in, require_training_admin
from coursebridge.accounts.models import Academy
from coursebridge.connectors import selectors, services
from coursebridge.connectors.models import Connection, RunTrigger, SyncRun
from coursebridge.connectors.registry import provider_get
from coursebridge.core.api import Id, InputSchema, JobOut, PageParams, PatchSchema, paged, paginate, responses
from coursebridge.core.errors import NotFound
from coursebridge.core.jobs import job_payload

router = Router(tags=["connectors"])


class ConnectionOut(Schema):
    id: int
    provider: str
    provider_label: str
    group_id: int | None = Field(description="The synchronized group: its catalogue and library get the courses.")
    group_name: str | None
    enabled: bool = Field(description="false: no daily sync (Sync now still works).")
    credentials_set: dict[str, bool] = Field(description="Which credentials are stored. Their values are never shown.")
    api_url: str = Field(description="Empty: the provider's public address.")
    token_url: str
    sync_time: str = Field(description="The daily sync time, UTC, HH:MM.")
    running: bool = Field(description="true while a sync holds the connection.")

    @staticmethod
    def resolve_provider_label(obj: Connection) -> str:
        return provider_get(obj.provider).label

    @staticmethod
    def resolve_group_name(obj: Connection) -> str | None:
        return obj.group.name if obj.group else None

    @staticmethod
    def resolve_credentials_set(obj: Connection) -> dict[str, bool]:
        return services.credentials_set(obj)

    @staticmethod
    def resolve_sync_time(obj: Connection) -> str:
        return obj.sync_time.strftime("%H:%M")

    @staticmethod
    def resolve_running(obj: Connection) -> bool:
        return bool(obj.lease_until and obj.lease_until > timezone.now())


class ConnectionIn(InputSchema):
    provider: str = Field(description="openclassrooms")
    group_id: Id
    credentials: dict[str, str] = Field(
        default_factory=dict, description="For OpenClassrooms: client_id, client_secret, organization_id. Write-only."
    )
    api_url: str = ""
    token_url: str = ""
    sync_time: time | None = Field(default=None, description="UTC; default 05:50.")
    enabled: bool = True


class ConnectionPatch(PatchSchema):
    group_id: Id | None = None
    credentials: dict[str, str] | None = Field(default=None, description="Only the secrets to replace; blank keeps.")
    api_url: str | None = None
    token_url: str | None = None
    sync_time: time | None = None
    enabled: bool | None = None


class TestOut(Schema):
    ok: bool
    message: str


class SyncIn(InputSchema):
    full: bool = Field(default=False, description="Rewrite every course, changed or not.")


class RunOut(Schema):
    id: int
    trigger: str
    full: bool
    state: str = Field(description="running, succeeded, partial (incomplete answer: nothing archived) or failed.")
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    errors: list[str]


class OriginOut(Schema):
    course_id: int
    provider: str
    connection_id: int
    external_id: str = Field(description="The course's id at the provider.")
    remote_status: str = Field(description="The provider's own status word, as last received.")
    added_at: datetime = Field(description="When a sync first created the course in the academy.")
    last_seen_at: datetime | None = Field(description="When a sync last found the course at the provider.")
    last_changed_at: datetime | None = Field(description="When a sync last wrote a change the provider made.")
    retired_by_sync: bool = Field(description="True when a sync made the course inactive or archived it.")
    last_error: str


class UnmatchedOut(Schema):
    email: str
    course_external_id: str
    day: date
    progress: int
    time_seconds: int
    reason: str
    received_at: datetime


def _connection(request: HttpRequest, slug: str, connection_id: int) -> tuple[Academy, Connection]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    try:
        return academy, selectors.connection_get(academy=academy, connection_id=connection_id)
    except Connection.DoesNotExist:
        raise NotFound(f"No connection {connection_id} in this academy.") from None


@router.get("/academies/{slug}/connections", response=responses(paged(ConnectionOut)),
            summary="List the academy's connections")
def connection_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    return paginate(request, selectors.connection_list(academy=academy), page)


@router.post("/academies/{slug}/connections", response=responses(ConnectionOut, 201),
             summary="Connect a content provider")
def connection_create(request: HttpRequest, slug: str, payload: ConnectionIn) -> Status[Connection]:
    """One connection per provider. Its courses go to `group_id`'s catalogue and library, at any depth
    of the tree; credentials are stored encrypted and never shown back."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    group = group_in(academy, payload.group_id, field="group_id")
    connection = services.connection_create(
        academy=academy, provider=payload.provider, group=group, credentials=payload.credentials,
        api_url=payload.api_url, token_url=payload.token_url, sync_time=payload.sync_time, enabled=payload.enabled,
    )
    return Status(201, connection)


@router.get("/academies/{slug}/connections/{connection_id}", response=responses(ConnectionOut),
            summary="Get a connection")
def connection_get(request: HttpRequest, slug: str, connection_id: int) -> Connection:
    return _connection(request, slug, connection_id)[1]


@router.patch("/academies/{slug}/connections/{connection_id}", response=responses(ConnectionOut),
              summary="Change a connection")
def connection_update(request: HttpRequest, slug: str, connection_id: int, payload: ConnectionPatch) -> Connection:
    academy, connection = _connection(request, slug, connection_id)
    changes = payload.changes()
    if "group_id" in changes:
        changes["group"] = group_in(academy, changes.pop("group_id"), field="group_id")
    return services.connection_update(connection=connection, changes=changes)


@router.delete("/academies/{slug}/connections/{connection_id}", response=responses(None, 204),
               summary="Remove a connection (its courses stay)")
def connection_delete(request: HttpRequest, slug: str, connection_id: int) -> Status[None]:
    services.connection_delete(connection=_connection(request, slug, connection_id)[1])
    return Status(204, None)


@router.post("/academies/{slug}/connections/{connection_id}/test", response=responses(TestOut),
             summary="Test a connection")
def connection_test(request: HttpRequest, slug: str, connection_id: int) -> dict[str, Any]:
    """Fetches a token and the first catalogue page. A failure is a 400 whose message says exactly
    what failed (the address and the answer)."""
    connection = _connection(request, slug, connection_id)[1]
    return {"ok": True, "message": services.connection_test(connection=connection)}


@router.post("/academies/{slug}/connections/{connection_id}/sync", response=responses(JobOut, 202),
             summary="Sync now")
def connection_sync(request: HttpRequest, slug: str, connection_id: int, payload: SyncIn) -> Status[Any]:
    """Queue a run: catalogue, then learner statistics. Follow it with `GET /api/jobs/{job_id}`;
    409 while another run holds the connection."""
    academy, connection = _connection(request, slug, connection_id)
    user = require_training_admin(request, academy)
    job = services.sync_start(connection=connection, trigger=RunTrigger.API, full=payload.full, by=user)
    return Status(202, job_payload(job))


@router.get("/academies/{slug}/connections/{connection_id}/runs", response=responses(paged(RunOut)),
            summary="A connection's run history")
def run_list(request: HttpRequest, slug: str, connection_id: int, page: Query[PageParams]) -> dict[str, Any]:
    connection = _connection(request, slug, connection_id)[1]
    return paginate(request, selectors.run_list(connection=connection), page)


@router.get("/academies/{slug}/connections/{connection_id}/runs/{sync_run_id}", response=responses(RunOut),
            summary="One run")
def run_get(request: HttpRequest, slug: str, connection_id: int, sync_run_id: int) -> SyncRun:
    connection = _connection(request, slug, connection_id)[1]
    try:
        return selectors.run_get(connection=connection, run_id=sync_run_id)
    except SyncRun.DoesNotExist:
        raise NotFound(f"No run {sync_run_id} of this connection.") from None


@router.get("/academies/{slug}/connections/{connection_id}/unmatched", response=responses(paged(UnmatchedOut)),
            summary="Statistics kept aside")
def unmatched_list(request: HttpRequest, slug: str, connection_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """Rows whose email matches no learner (or whose course is not in the academy yet). They attach at
    the next run after the learner appears."""
    connection = _connection(request, slug, connection_id)[1]
    rows: Any = selectors.unmatched_list(connection=connection)
    return paginate(request, rows, page)



@router.get("/academies/{slug}/courses/{course_id}/origin", response=responses(OriginOut),
            summary="Where a provider course came from")
def course_origin(request: HttpRequest, slug: str, course_id: int) -> dict[str, Any]:
    """The connection that brought the course, its id and status at the provider, and when a sync last
    saw it and last changed it. 404 for a course made in the academy."""
    academy = academy_of(request, slug)
    require_training_admin(request, academy)
    record = selectors.course_origin(academy=academy, course_id=course_id)
    if record is None or record.course is None:
        raise NotFound(f"Course {course_id} of this academy did not come from a connection.")
    return {"course_id": course_id, "provider": record.connection.provider, "connection_id": record.connection_id,
            "external_id": record.external_id, "remote_status": record.remote_status,
            "added_at": record.course.created_at, "last_seen_at": record.last_seen_at,
            "last_changed_at": record.last_changed_at, "retired_by_sync": record.retired_by_sync,
            "last_error": record.last_error}
