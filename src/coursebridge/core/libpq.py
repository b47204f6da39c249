"""PostgreSQL statements sent through libpq itself, for the hot paths where psycopg's cursor costs
more than the statement (HACP PutParam, docs/decisions/0007-hacp-hot-path.md): the connection's
`pgconn` (psycopg's documented way to libpq) on the connection Django holds, parameters in
PostgreSQL's text format (typed by PostgreSQL from the statement, as a literal would be), rows read
column by column with a function per column.

psycopg's cursor costs its caller about 50 us of CPU per statement on a quiet machine and several
times that under load (converting the query, its generators and wait loop); the libpq call it wraps
costs about 30. Everything else goes through the ORM or rawsql's DB-API cursors.
"""

from __future__ import annotations

import functools
import itertools
import re
import select
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import OperationalError, pq
from psycopg import errors as pg_errors

# How a column's value is read from its text (a NULL stays None and never reaches these).
Column = Callable[[bytes], Any]


def read_text(value: bytes) -> str:
    return value.decode()


def read_boolean(value: bytes) -> bool:
    return value == b"t"


def read_decimal(value: bytes) -> Decimal:
    return Decimal(value.decode())


_PLACEHOLDER = re.compile(r"%s|%%")


@functools.lru_cache(maxsize=256)
def numbered(text: str) -> bytes:
    """`text` with `$1`, `$2`... for its `%s` placeholders (and `%` for `%%`), as libpq takes it."""
    number = itertools.count(1)
    return _PLACEHOLDER.sub(lambda match: f"${next(number)}" if match.group() == "%s" else "%", text).encode()


def array(values: Sequence[str]) -> str:
    """A one-dimensional array of texts in PostgreSQL's text format (`{"a","b"}`), for a parameter."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def _iso(value: datetime) -> bytes:
    if value.tzinfo is None:
        raise ValueError("A naive datetime has no meaning for a timestamp with time zone.")
    return value.isoformat().encode()


_TEXT_FORMAT: dict[type, Callable[[Any], bytes]] = {
    str: str.encode,
    bool: lambda value: b"t" if value else b"f",
    int: lambda value: str(value).encode(),
    Decimal: lambda value: str(value).encode(),
    datetime: _iso,
}


def parameter(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format: None (NULL), text, a boolean, an integer, a decimal
    or an aware datetime (an array is passed as the text array gives)."""
    if value is None:
        return None
    write = _TEXT_FORMAT.get(type(value))
    if write is not None:
        return write(value)
    # A subclass: a TextChoices member is a str, an IntEnum member an int.
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, str):
        return str.encode(value)
    if isinstance(value, int):
        return str(int(value)).encode()
    if isinstance(value, Decimal):
        return str(value).encode()
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"No text format for a parameter of type {type(value).__name__}.")


def parameters(params: Sequence[Any], written: dict[datetime, bytes] | None = None) -> list[bytes | None]:
    """parameter for each of `params`; a datetime repeated (the `now` of a report's statements)
    is written once (`written` keeps them across the statements of a pipeline)."""
    written = {} if written is None else written
    out: list[bytes | None] = []
    for value in params:
        if type(value) is datetime:
            text = written.get(value)
            if text is None:
                text = written[value] = _iso(value)
            out.append(text)
        else:
            out.append(parameter(value))
    return out


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one statement gave: its rows (read by its columns' functions) and the rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int


Statement = tuple[str, Sequence[Any], Sequence[Column]]


def rows(db: BaseDatabaseWrapper, text: str, params: Sequence[Any],
            columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    """PostgreSQL: run one statement (`%s` placeholders) through libpq and return its rows, each
    value read by its column's function (NULL stays None). Inside a transaction Django opened (its
    atomic blocks turn autocommit off), the transaction is begun first if it is not yet, as
    psycopg's cursor would. An error is raised as psycopg's error for its SQLSTATE, inside Django's
    error wrapper, so it reaches the caller as Django's and a broken connection is not kept."""
    pgconn = _ready(db)
    with db.wrap_database_errors:
        _begin_if_needed(db.connection, pgconn)
        result = pgconn.exec_params(numbered(text), parameters(params))
        try:
            _check(result, pgconn)
            return _read(result, columns)
        finally:
            result.clear()


def pipeline(db: BaseDatabaseWrapper, statements: Sequence[Statement]) -> list[Outcome]:
    """PostgreSQL: several statements sent together and answered together, one round trip
    (libpq's pipeline mode), each with its own parameters; returns what each gave, in order. When
    one fails, the ones after it are not run and its error is raised (as in rows) once the
    pipeline has been read to its end; a transaction the statements opened is then in error, and
    it is the caller's to roll it back. Waiting for the answer releases the GIL."""
    pgconn = _ready(db)
    with db.wrap_database_errors:
        _begin_if_needed(db.connection, pgconn)
        pgconn.enter_pipeline_mode()
        try:
            written: dict[datetime, bytes] = {}
            for text, params, _ in statements:
                pgconn.send_query_params(numbered(text), parameters(params, written))
            pgconn.pipeline_sync()
            outcomes: list[Outcome] = []
            failure: Exception | None = None
            for _, _, columns in statements:
                result = _result(pgconn)
                try:
                    failure = failure or _error(result, pgconn)
                    if failure is None:
                        outcomes.append(Outcome(_read(result, columns), int(result.command_tuples or 0)))
                finally:
                    result.clear()
                if _next_result(pgconn) is not None:  # each statement's results end with a NULL
                    raise OperationalError("A statement of the pipeline answered more than one result.")
            _result(pgconn).clear()  # the pipeline's sync
        finally:
            if pgconn.status == pq.ConnStatus.OK:
                pgconn.exit_pipeline_mode()
        if failure is not None:
            raise failure
        return outcomes


def rollback_if_open(db: BaseDatabaseWrapper) -> None:
    """PostgreSQL: roll back the transaction statements sent through libpq opened, if one is open
    on a working connection (after an error, whose own exception the caller raises)."""
    pgconn = None if db.connection is None else db.connection.pgconn
    if pgconn is not None and pgconn.status == pq.ConnStatus.OK and (
            pgconn.transaction_status != pq.TransactionStatus.IDLE):
        pgconn.exec_(b"ROLLBACK").clear()


def _ready(db: BaseDatabaseWrapper) -> Any:
    if db.connection is None:
        db.ensure_connection()
    return db.connection.pgconn


def _begin_if_needed(connection: Any, pgconn: Any) -> None:
    if connection.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    level = connection.isolation_level
    begin = "BEGIN" if level is None else f"BEGIN ISOLATION LEVEL {level.name.replace('_', ' ')}"
    result = pgconn.exec_(begin.encode())
    try:
        _check(result, pgconn)
    finally:
        result.clear()


def _next_result(pgconn: Any) -> Any:
    """The next result of the connection (None between two statements' results), waited for
    without holding the GIL, which libpq's own wait would hold here."""
    while pgconn.is_busy():
        poll = select.poll()
        poll.register(pgconn.socket, select.POLLIN)
        poll.poll()
        pgconn.consume_input()
    return pgconn.get_result()


def _result(pgconn: Any) -> Any:
    result = _next_result(pgconn)
    if result is None:
        message = pgconn.error_message.decode(errors="replace").strip()
        raise OperationalError(message or "The database answered less than it was sent.")
    return result


def _read(result: Any, columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    return [
        tuple(None if (value := result.get_value(row, column)) is None else read(value)
              for column, read in enumerate(columns))
        for row in range(result.ntuples)
    ]


_SUCCEEDED = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)


def _error(result: Any, pgconn: Any) -> Exception | None:
    """psycopg's error for a result that failed (by its SQLSTATE), None for one that succeeded."""
    if result.status in _SUCCEEDED:
        return None
    message = (result.error_message or pgconn.error_message).decode(errors="replace").strip()
    sqlstate = result.error_field(pq.DiagnosticField.SQLSTATE)
    if sqlstate is None:
        return OperationalError(message or "The connection to the database failed.")
    error: Exception = pg_errors.lookup(sqlstate.decode())(message)
    return error


def _check(result: Any, pgconn: Any) -> None:
    error = _error(result, pgconn)
    if error is not None:
        raise error
