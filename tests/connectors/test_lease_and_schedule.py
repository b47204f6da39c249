"""One run per connection (a lease that a dead worker's run gives up), the daily schedule, and
the command line."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from coursebridge.connectors.models import Connection, RunState, SyncRun
from coursebridge.connectors.services import connections_due, lease_acquire
from coursebridge.connectors.sync import connection_sync
from coursebridge.core.errors import Conflict
from tests.connectors.factories import openclassrooms_connection
from tests.factories import AcademyFactory, GroupFactory
from tests.fakes.openclassrooms import FakeOpenClassrooms, fake_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with FakeOpenClassrooms() as server:
        server.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 121)]
        yield server


@pytest.fixture
def team():
    return GroupFactory(academy=AcademyFactory(slug="lease-oc"), name="Data team")


def test_a_second_run_is_refused_clearly_while_the_first_holds_the_connection(fake, team):
    connection = openclassrooms_connection(team, fake)
    assert lease_acquire(connection_id=connection.pk, holder="first")

    with pytest.raises(Conflict) as caught:
        connection_sync(connection_id=connection.pk)

    assert caught.value.message.startswith("A sync of this connection is already running. Wait for it to end; "
                                           "if its worker stopped, the lock is released at ")
    assert not SyncRun.objects.exists()


def test_the_lease_of_a_dead_worker_runs_out_and_the_next_run_goes_ahead(fake, team):
    connection = openclassrooms_connection(team, fake)
    lease_acquire(connection_id=connection.pk, holder="dead worker")
    Connection.objects.filter(pk=connection.pk).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))

    run = connection_sync(connection_id=connection.pk)

    assert (run.state, run.created) == (RunState.SUCCEEDED, 120)
    connection.refresh_from_db()
    assert (connection.lease_until, connection.lease_holder) == (None, "")


def test_each_connection_is_due_once_a_day_at_its_time(fake, team):
    connection = openclassrooms_connection(team, fake, sync_time=datetime.time(6, 0))
    morning = datetime.datetime(2026, 11, 24, 5, 59, tzinfo=datetime.UTC)

    assert connections_due(now=morning) == []
    assert connections_due(now=morning + datetime.timedelta(minutes=1)) == [connection.pk]
    assert connections_due(now=morning + datetime.timedelta(minutes=6)) == []
    assert connections_due(now=morning + datetime.timedelta(days=1, minutes=1)) == [connection.pk]


def test_the_command_syncs_with_progress_and_counts(fake, team):
    openclassrooms_connection(team, fake)
    out = io.StringIO()

    call_command("sync", "lease-oc/openclassrooms", stdout=out)

    text = out.getvalue()
    assert "catalogue   [###############...............] page 1 of 2" in text
    assert "catalogue   [##############################] page 2 of 2" in text
    assert "Succeeded. created 120, updated 0, unchanged 0" in text

    out = io.StringIO()
    call_command("sync", str(Connection.objects.get().pk), "--full", stdout=out)
    assert "updated 120" in out.getvalue()


def test_the_command_names_the_connections_it_knows(fake, team):
    connection = openclassrooms_connection(team, fake)

    with pytest.raises(CommandError) as caught:
        call_command("sync", "nowhere/openclassrooms")

    assert str(caught.value) == (f"No connection 'nowhere/openclassrooms'. Give an id or ACADEMY/PROVIDER. "
                                 f"Known: {connection.pk} (lease-oc/openclassrooms).")


def test_a_run_left_running_by_a_dead_worker_is_marked_failed_by_the_next(fake, team):
    connection = openclassrooms_connection(team, fake)
    dead = SyncRun.objects.create(academy=team.academy, connection=connection, trigger="schedule",
                                  started_at=timezone.now())

    connection_sync(connection_id=connection.pk)

    dead.refresh_from_db()
    assert dead.state == RunState.FAILED
    assert dead.errors == ["The worker running this sync stopped before it ended; the next run took over."]


def test_the_daily_run_reconciles_the_whole_catalogue_and_writes_only_what_changed(
        fake, team, eager_tasks, django_capture_on_commit_callbacks):
    from coursebridge.catalog.models import Course
    from coursebridge.connectors.tasks import schedule_due

    connection = openclassrooms_connection(team, fake, sync_time=datetime.time(0, 0))
    connection_sync(connection_id=connection.pk)
    before = timezone.now()
    fake.courses = [fake_course(str(n), f"Course {n}") for n in range(1, 120)]  # course 120 is gone
    fake.courses[0] = fake_course("1", "Course 1, second edition")

    with django_capture_on_commit_callbacks(execute=True):
        schedule_due()

    run = SyncRun.objects.latest("pk")
    assert (run.trigger, run.full, run.state) == ("schedule", False, RunState.SUCCEEDED)
    assert (run.created, run.updated, run.unchanged, run.archived) == (0, 1, 118, 1)
    assert list(Course.objects.filter(academy=team.academy, updated_at__gt=before).order_by("external_id")
                .values_list("external_id", "status")) == [("1", "active"), ("120", "archived")]
