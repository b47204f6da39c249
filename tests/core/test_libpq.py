"""core.libpq: PostgreSQL statements through libpq itself, with text parameters, rows read by a
function per column, errors as Django's, and pipelines answered in one round trip."""

import enum
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from coursebridge.accounts.models import Academy
from coursebridge.core import libpq
from coursebridge.learning.models import TimeSource
from tests.factories import AcademyFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: libpq is PostgreSQL's client library; SQLite's hot statements go through "
    "rawsql's DB-API cursors (tests/core/test_rawsql.py)",
)
RENAME = f"UPDATE {Academy._meta.db_table} SET name = %s WHERE id = %s"


class Level(enum.IntEnum):
    HIGH = 3


def test_placeholders_are_numbered_and_a_doubled_percent_is_one():
    assert libpq.numbered("SELECT %s, '100%%', %s") == b"SELECT $1, '100%', $2"


def test_parameters_are_written_in_postgresqls_text_format():
    moment = datetime(2026, 11, 24, 15, 30, 5, 250, tzinfo=UTC)

    written = libpq.parameters([None, "Zoë", True, False, 42, Decimal("80.5000"), moment,
                                TimeSource.MEASURED, Level.HIGH])

    assert written == [None, "Zoë".encode(), b"t", b"f", b"42", b"80.5000", b"2026-11-24T15:30:05.000250+00:00",
                       b"measured", b"3"]


def test_a_naive_datetime_or_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        libpq.parameter(datetime(2026, 11, 24, 15, 30))
    with pytest.raises(TypeError, match="type list"):
        libpq.parameter(["a"])


def test_a_datetime_repeated_is_written_once_across_statements():
    moment = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    written: dict[datetime, bytes] = {}

    first = libpq.parameters([moment, moment], written)
    second = libpq.parameters([moment], written)

    assert first[0] is first[1] is second[0]
    assert written == {moment: b"2026-11-24T15:30:00+00:00"}


def test_an_array_quotes_every_element():
    assert libpq.array(["passed", 'say "hi"', "back\\slash"]) == '{"passed","say \\"hi\\"","back\\\\slash"}'


@postgresql_only
@pytest.mark.django_db
def test_rows_are_read_column_by_column_and_null_stays_none():
    moment = datetime(2026, 11, 24, 15, 30, tzinfo=timezone(timedelta(hours=2)))

    rows = libpq.rows(
        connection,
        "SELECT %s::integer + 1, %s::boolean, %s::numeric(9, 4), %s::timestamptz = %s, NULL::text, "
        "%s::text[] @> ARRAY['x\"y']",
        [41, True, Decimal("66.67"), moment, moment, libpq.array(["x\"y", "z\\w"])],
        (int, libpq.read_boolean, libpq.read_decimal, libpq.read_boolean, libpq.read_text, libpq.read_boolean),
    )

    assert rows == [(42, True, Decimal("66.6700"), True, None, True)]


@postgresql_only
@pytest.mark.django_db
def test_an_error_comes_out_as_djangos_by_its_sqlstate_and_the_connection_still_works():
    academy = AcademyFactory(slug="riverside")

    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        libpq.rows(connection, "SELECT 1 / %s::integer", [0], (int,))
    with pytest.raises(IntegrityError), transaction.atomic():
        libpq.rows(connection, f"INSERT INTO {Academy._meta.db_table} (slug, name, created_at) "
                   "SELECT slug, name, created_at FROM accounts_academy WHERE id = %s", [academy.pk], ())

    assert libpq.rows(connection, "SELECT %s::text", ["still here"], (libpq.read_text,)) == [("still here",)]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_inside_an_atomic_block_a_statement_is_part_of_its_transaction():
    academy = AcademyFactory(name="Riverside")
    assert connection.get_autocommit()

    with pytest.raises(RuntimeError, match="stop"), transaction.atomic():
        libpq.rows(connection, RENAME, ["Lakeside", academy.pk], ())
        raise RuntimeError("stop")
    libpq.rows(connection, RENAME, ["Hillside", academy.pk], ())  # autocommit: on its own

    assert Academy.objects.get(pk=academy.pk).name == "Hillside"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_pipeline_answers_each_statement_in_order_with_the_rows_it_changed():
    first, second = AcademyFactory(name="Riverside"), AcademyFactory(name="Hillside")

    outcomes = libpq.pipeline(connection, [
        ("BEGIN", (), ()),
        (RENAME, ("Lakeside", first.pk), ()),
        (RENAME, ("Seaside", 0), ()),
        (f"SELECT name FROM {Academy._meta.db_table} WHERE id IN (%s, %s) ORDER BY name", (first.pk, second.pk),
         (libpq.read_text,)),
        ("COMMIT", (), ()),
    ])

    assert [outcome.rowcount for outcome in outcomes] == [0, 1, 0, 2, 0]
    assert outcomes[3].rows == [("Hillside",), ("Lakeside",)]
    assert Academy.objects.get(pk=first.pk).name == "Lakeside"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_pipeline_stops_at_its_first_error_and_raises_it_after_reading_to_its_end():
    academy = AcademyFactory(name="Riverside")

    with pytest.raises(DataError, match="division by zero"):
        libpq.pipeline(connection, [
            ("BEGIN", (), ()),
            (RENAME, ("Lakeside", academy.pk), ()),
            ("SELECT 1 / %s::integer", (0,), (int,)),
            (RENAME, ("Hillside", academy.pk), ()),
        ])
    libpq.rollback_if_open(connection)

    assert Academy.objects.get(pk=academy.pk).name == "Riverside"
    assert libpq.rows(connection, "SELECT 1", (), (int,)) == [(1,)]
    libpq.rollback_if_open(connection)  # nothing open: nothing sent
    assert connection.connection.pgconn.transaction_status == 0  # idle
