"""The fault-injecting fake: after each fault nothing is lost or wrongly deactivated, and a clean run
converges to the catalogue."""

import pytest

from coursebridge.catalog.models import Course
from coursebridge.connectors.models import RunState
from coursebridge.connectors.sync import connection_sync
from tests.connectors.factories import Waits
from tests.connectors.opensesame.factories import fast_session, opensesame_connection
from tests.factories import AcademyFactory, GroupFactory
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db

CATALOGUE = [os_course(f"c{i}", f"Course {i}") for i in range(6)]


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        server.courses = list(CATALOGUE)
        yield server


@pytest.fixture
def connection(fake):
    academy = AcademyFactory(slug="faults")
    team = GroupFactory(academy=academy, name="Team")
    connection = opensesame_connection(team, fake)
    # The first complete run: six active courses.
    run = sync(connection)
    assert (run.state, run.created) == (RunState.SUCCEEDED, 6)
    return connection


def sync(connection, *, waits=None, retries=3, timeout=0.3):
    session = fast_session(connection, page_size=2, waits=waits, retries=retries, timeout=timeout)
    return connection_sync(connection_id=connection.pk, session=session)


def all_active(connection):
    return {c.external_id: c.status for c in Course.objects.filter(academy_id=connection.academy_id)} == {
        f"c{i}": "active" for i in range(6)}


def converges(fake, connection):
    fake.courses = list(CATALOGUE)
    fake.courses[0] = os_course("c0", "Course 0 renamed")
    run = sync(connection)
    assert run.state == RunState.SUCCEEDED
    assert (run.updated, run.deactivated, run.failed) == (1, 0, 0)
    assert all_active(connection)


@pytest.mark.parametrize("fault", ["500", "429:2", "timeout", "malformed"])
def test_a_transient_fault_is_retried_and_the_run_succeeds(fake, connection, fault):
    fake.slow_seconds = 0.6
    fake.fail("content", page=2, faults=[fault])
    waits = Waits()

    run = sync(connection, waits=waits)

    assert (run.state, run.unchanged, run.deactivated) == (RunState.SUCCEEDED, 6, 0)
    if fault == "429:2":
        assert waits == [2.0]
    assert all_active(connection)
    converges(fake, connection)


@pytest.mark.parametrize("fault", ["500", "429:1", "timeout"])
def test_a_fault_that_persists_fails_the_run_and_deactivates_nothing(fake, connection, fault):
    fake.slow_seconds = 0.6
    fake.courses = CATALOGUE[:2]  # two courses left the catalogue, but page 2 never comes
    fake.courses += [os_course("c9", "New"), os_course("c2", "Course 2")]
    fake.fail("content", page=2, faults=[fault] * 4)

    run = sync(connection)

    assert run.state == RunState.FAILED
    assert run.deactivated == 0
    assert "Nothing was archived or deactivated." in run.errors[0]
    assert "page=2" in run.errors[0]
    assert all_active(connection)
    converges(fake, connection)


def test_malformed_json_twice_fails_the_run_with_the_address(fake, connection):
    fake.courses = CATALOGUE[:3]
    fake.fail("content", page=2, faults=["malformed", "malformed"])

    run = sync(connection)

    assert (run.state, run.deactivated) == (RunState.FAILED, 0)
    assert "answered something that is not JSON" in run.errors[0]
    assert all_active(connection)
    converges(fake, connection)


def test_a_token_that_expires_mid_run_is_fetched_again_once(fake, connection):
    fake.expire_tokens_after = 2
    issued = fake.tokens_issued

    run = sync(connection)

    assert (run.state, run.unchanged) == (RunState.SUCCEEDED, 6)
    assert fake.tokens_issued == issued + 2
    converges(fake, connection)


def test_refused_credentials_fail_with_a_clear_message(fake, connection):
    fake.expire_tokens_after = 0

    run = sync(connection)

    assert run.state == RunState.FAILED
    assert "refused the credentials (HTTP 401)" in run.errors[0]
    assert all_active(connection)
    fake.expire_tokens_after = None
    converges(fake, connection)


def test_a_page_that_vanishes_fails_the_run(fake, connection):
    fake.courses = CATALOGUE[:4]  # c4, c5 left; but the run cannot know: page 2 is missing
    fake.fail("content", page=2, faults=["missing"])

    run = sync(connection)

    assert (run.state, run.deactivated) == (RunState.FAILED, 0)
    assert "HTTP 404" in run.errors[0]
    assert all_active(connection)
    converges(fake, connection)


def test_an_empty_catalogue_answered_by_mistake_deactivates_nothing(fake, connection):
    fake.fail("content", page=1, faults=["empty"])

    run = sync(connection)

    assert (run.state, run.deactivated) == (RunState.PARTIAL, 0)
    assert run.errors[0].startswith("OpenSesame answered an empty catalogue while 6 courses came from it before")
    assert all_active(connection)
    converges(fake, connection)


def test_an_empty_page_in_the_middle_is_a_partial_fetch(fake, connection):
    fake.fail("content", page=2, faults=["empty"])  # no courses and no next: it looks like the end

    run = sync(connection)

    assert (run.state, run.deactivated) == (RunState.PARTIAL, 0)
    assert run.errors[0].startswith("Page 2 of the catalogue came back empty although the page before announced it")
    assert all_active(connection)
    converges(fake, connection)


def test_what_came_before_a_failing_page_is_kept(fake, connection):
    fake.courses = [os_course("c9", "New on page 1"), *CATALOGUE[:3]]  # c3, c4, c5 would be absent
    fake.fail("content", page=2, faults=["500"] * 4)

    run = sync(connection)

    assert (run.state, run.created, run.deactivated) == (RunState.FAILED, 1, 0)
    assert Course.objects.filter(external_id="c9").exists()


def test_a_token_is_cached_until_it_expires(fake, connection):
    issued = fake.tokens_issued
    sync(connection)
    assert fake.tokens_issued == issued + 1  # one token for the three pages

    fake.expires_in = 10  # within the safety margin: every page asks for a new one
    issued = fake.tokens_issued
    sync(connection)
    assert fake.tokens_issued == issued + 3
