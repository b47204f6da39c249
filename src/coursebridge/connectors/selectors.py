"""Reads of connections, their runs, records and the statistics kept aside, scoped to one academy."""

from __future__ import annotations

from django.db.models import QuerySet

from coursebridge.accounts.models import Academy
from coursebridge.connectors.models import Connection, SyncRecord, SyncRun, UnmatchedStatistic


def connection_list(*, academy: Academy) -> QuerySet[Connection]:
    return Connection.objects.filter(academy=academy).select_related("group").order_by("provider", "pk")


def connection_get(*, academy: Academy, connection_id: int) -> Connection:
    """Raises Connection.DoesNotExist for another academy's connection."""
    return Connection.objects.select_related("group", "academy").get(academy=academy, pk=connection_id)


def run_list(*, connection: Connection) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(academy_id=connection.academy_id, connection=connection).order_by(
        "-started_at", "-pk")


def run_get(*, connection: Connection, run_id: int) -> SyncRun:
    return SyncRun.objects.get(academy_id=connection.academy_id, connection=connection, pk=run_id)


def last_run(*, connection: Connection) -> SyncRun | None:
    return run_list(connection=connection).first()


def record_errors(*, connection: Connection) -> QuerySet[SyncRecord]:
    return SyncRecord.objects.filter(academy_id=connection.academy_id, connection=connection).exclude(last_error="")


def unmatched_list(*, connection: Connection) -> QuerySet[UnmatchedStatistic]:
    return UnmatchedStatistic.objects.filter(academy_id=connection.academy_id, connection=connection).order_by(
        "email", "course_external_id")


def course_origin(*, academy: Academy, course_id: int) -> SyncRecord | None:
    """Where a course came from: the sync record of the connection that wrote it (its provider's id,
    status, when a sync last saw it and last changed it), or None for a course made in the academy."""
    return (SyncRecord.objects.select_related("connection", "course")
            .filter(academy=academy, course_id=course_id).order_by("-last_changed_at", "-pk").first())
