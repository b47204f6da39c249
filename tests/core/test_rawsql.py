"""core.rawsql: statements on the DB-API connection Django holds, in a transaction of their own or
in the atomic block already open, with the driver's errors turned into Django's."""

import pytest
from django.db import DatabaseError, connection, transaction

from coursebridge.accounts.models import Academy
from coursebridge.core import rawsql
from tests.factories import AcademyFactory

RENAME = f"UPDATE {Academy._meta.db_table} SET name = %s WHERE id = %s"


@pytest.mark.django_db(transaction=True)
def test_a_write_transaction_commits_on_its_own_and_rolls_back_on_an_error():
    academy = AcademyFactory(name="Riverside")
    assert not connection.in_atomic_block

    with rawsql.write_transaction() as cursor:
        cursor.execute(rawsql.sql(RENAME), ["Lakeside", academy.pk])
    with pytest.raises(RuntimeError, match="stop"), rawsql.write_transaction() as cursor:
        cursor.execute(rawsql.sql(RENAME), ["Hillside", academy.pk])
        raise RuntimeError("stop")

    assert Academy.objects.get(pk=academy.pk).name == "Lakeside"
    assert connection.get_autocommit()


@pytest.mark.django_db
def test_inside_an_atomic_block_an_error_rolls_back_only_its_own_writes():
    academy = AcademyFactory(name="Riverside")

    with transaction.atomic():
        Academy.objects.filter(pk=academy.pk).update(name="Lakeside")
        with pytest.raises(RuntimeError, match="stop"), rawsql.write_transaction() as cursor:
            cursor.execute(rawsql.sql(RENAME), ["Hillside", academy.pk])
            raise RuntimeError("stop")

    assert Academy.objects.get(pk=academy.pk).name == "Lakeside"


@pytest.mark.django_db
def test_the_drivers_errors_come_out_as_djangos():
    with pytest.raises(DatabaseError, match="no_such_table"), rawsql.dbapi_cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


def test_placeholders_follow_the_driver():
    assert rawsql.for_vendor("a = %s AND b = %s", "sqlite") == "a = ? AND b = ?"
    assert rawsql.for_vendor("a = %s AND b = %s", "postgresql") == "a = %s AND b = %s"


def test_a_value_is_bound_as_a_placeholder_and_a_fragment_as_its_text():
    params: list = []

    assert rawsql.bind(7, params) == "%s"
    assert rawsql.bind(rawsql.Fragment("(SELECT id FROM go)"), params) == "(SELECT id FROM go)"
    assert params == [7]


@pytest.mark.django_db
def test_datetimes_are_adapted_as_django_adapts_them():
    from datetime import UTC, datetime, timedelta, timezone

    for value in (datetime(2026, 11, 24, 13, 5, 7, 123456, tzinfo=UTC),
                  datetime(2026, 11, 24, 13, 5, 7, tzinfo=timezone(timedelta(hours=2)))):
        assert rawsql.datetime_value(value) == connection.ops.adapt_datetimefield_value(value)
