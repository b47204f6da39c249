"""Plain DB-API statements on Django's own connection, for the few hot paths where Django's cursor
wrapper, savepoints and query compiler cost more than the database's work (HACP PutParam, see
docs/decisions/0007-hacp-hot-path.md). Everything else goes through the ORM.

Statements are written once with `%s` placeholders; `sql()` gives them in the driver's own style
(SQLite's DB-API takes `?`). Values must be adapted as Django would (connection.ops.adapt_*).
The connection is looked up once per call (`database()`), not through django.db.connection, whose
every attribute is a lookup of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@functools.cache
def for_vendor(text: str, vendor: str) -> str:
    """`text` with the placeholders of the driver of `vendor`."""
    return text.replace("%s", "?") if vendor == "sqlite" else text


@dataclass(frozen=True, slots=True)
class Fragment:
    """SQL text that stands where a parameter's placeholder would: a subquery of the statement a
    query is made part of (a CTE's result), instead of a value known beforehand."""

    text: str


def bind(value: Any, params: list[Any]) -> str:
    """The placeholder for `value`, appended to `params`; or, for a Fragment, its text."""
    if isinstance(value, Fragment):
        return value.text
    params.append(value)
    return "%s"


def database() -> BaseDatabaseWrapper:
    """The default database's connection wrapper (the object django.db.connection stands for)."""
    return connections[DEFAULT_DB_ALIAS]


def sql(text: str, db: BaseDatabaseWrapper | None = None) -> str:
    """`text` with the placeholders of the connection's driver."""
    return for_vendor(text, (db or database()).vendor)


def datetime_value(value: datetime, db: BaseDatabaseWrapper | None = None) -> Any:
    """`value` as a parameter, as connection.ops.adapt_datetimefield_value gives it, several times
    faster for the case of every hot path: an aware UTC datetime on SQLite with UTC connections
    (the text of the naive UTC time)."""
    db = db or database()
    if value.tzinfo is UTC and db.vendor == "sqlite" and db.timezone is UTC:
        return str(value.replace(tzinfo=None))
    return db.ops.adapt_datetimefield_value(value)


@contextmanager
def dbapi_cursor(db: BaseDatabaseWrapper | None = None) -> Iterator[Any]:
    """A cursor of the DB-API connection Django holds (opened if needed), closed after the block.
    The driver's errors are turned into Django's, as its own cursors do, so a broken connection is
    noticed and not kept for the next request."""
    db = db or database()
    if db.connection is None:
        db.ensure_connection()
    with db.wrap_database_errors, closing(db.connection.cursor()) as cursor:
        yield cursor


@contextmanager
def write_transaction(db: BaseDatabaseWrapper | None = None) -> Iterator[Any]:
    """A DB-API cursor inside one write transaction: a savepoint of the atomic block already open
    (a caller's, or a test's), else BEGIN and COMMIT on the DB-API connection itself, which is
    what transaction.atomic would do at a fraction of its cost (BEGIN IMMEDIATE on SQLite, as the
    settings ask, so the write lock is taken before anything is read). Rolled back on any error."""
    db = db or database()
    if db.in_atomic_block:
        with transaction.atomic(using=db.alias), dbapi_cursor(db) as cursor:
            yield cursor
        return
    with dbapi_cursor(db) as cursor:
        cursor.execute(_begin(getattr(db, "transaction_mode", None)))
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")


@functools.cache
def _begin(mode: str | None) -> str:
    return f"BEGIN {mode or ''}".strip()
