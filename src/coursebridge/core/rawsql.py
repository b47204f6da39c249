"""Plain DB-API statements on Django's own connection, for the few hot paths where Django's cursor
wrapper, savepoints and query compiler cost more than the database's work (HACP PutParam, see
docs/decisions/0007-hacp-hot-path.md). Everything else goes through the ORM.

Statements are written once with `%s` placeholders; `sql()` gives them in the driver's own style
(SQLite's DB-API takes `?`). Values must be adapted as Django would (connection.ops.adapt_*).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from django.db import connection, transaction


@functools.cache
def _for_vendor(text: str, vendor: str) -> str:
    return text.replace("%s", "?") if vendor == "sqlite" else text


def sql(text: str) -> str:
    """`text` with the placeholders of the connection's driver."""
    return _for_vendor(text, connection.vendor)


@contextmanager
def dbapi_cursor() -> Iterator[Any]:
    """A cursor of the DB-API connection Django holds (opened if needed), closed after the block.
    The driver's errors are turned into Django's, as its own cursors do, so a broken connection is
    noticed and not kept for the next request."""
    connection.ensure_connection()
    with connection.wrap_database_errors, closing(connection.connection.cursor()) as cursor:
        yield cursor


@contextmanager
def write_transaction() -> Iterator[Any]:
    """A DB-API cursor inside one write transaction: a savepoint of the atomic block already open
    (a caller's, or a test's), else BEGIN and COMMIT on the DB-API connection itself, which is
    what transaction.atomic would do at a fraction of its cost (BEGIN IMMEDIATE on SQLite, as the
    settings ask, so the write lock is taken before anything is read). Rolled back on any error."""
    if connection.in_atomic_block:
        with transaction.atomic(), dbapi_cursor() as cursor:
            yield cursor
        return
    with dbapi_cursor() as cursor:
        cursor.execute(f"BEGIN {getattr(connection, 'transaction_mode', None) or ''}".strip())
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
