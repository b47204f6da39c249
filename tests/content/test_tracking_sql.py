"""content.tracking's SQL path (what HACP PutParam writes with) against its ORM path: the same
reports, on two learners' attempts of the same course, leave the same unit states, attempts and
enrollments, roll-ups included."""

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.content.models import UnitState
from coursebridge.content.tracking import (
    STATUS_RANK,
    unit_state_record,
    unit_state_record_in_sql,
    unit_state_record_without_roll_up,
)
from coursebridge.core import rawsql
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Attempt, Enrollment, LearningStatus
from coursebridge.learning.services import attempt_record_progress
from tests.content.tracking_helpers import package_course, started_attempt, state_of
from tests.factories import AcademyFactory, GroupFactory, learner_in

pytestmark = pytest.mark.django_db

# Text as an AU sends it once parsed (no control characters, which PostgreSQL refuses in JSON text).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
SCORES = st.one_of(st.none(), st.decimals(min_value=-50, max_value=150, places=2))


def through_orm(state: UnitState, report: dict) -> None:
    unit_state_record(state_id=state.pk, **report)


def through_sql(state: UnitState, report: dict) -> None:
    attempt = Attempt.objects.get(pk=state.attempt_id)
    with rawsql.write_transaction() as cursor:
        unit_state_record_in_sql(cursor, state_id=state.pk, attempt_id=attempt.pk,
                                 enrollment_id=attempt.enrollment_id, now=timezone.now(), **report)


def report(*, lesson_status=None, score_raw=None, score_max=None, score_min=None, add_seconds=0, location=None,
           exit_mode=None, suspend_data=None, data=None):
    return {"lesson_status": lesson_status, "score_raw": score_raw, "score_max": score_max, "score_min": score_min,
            "add_seconds": add_seconds, "location": location, "exit_mode": exit_mode, "suspend_data": suspend_data,
            "data": data or {}}


def outcome(attempt: Attempt) -> tuple:
    """What the reports left on the attempt's unit states (by unit), the attempt and the enrollment."""
    attempt = Attempt.objects.select_related("enrollment").get(pk=attempt.pk)
    states = [
        (s.unit_id, s.lesson_status, s.exit_mode, s.location, s.suspend_data, s.score_raw, s.score_max, s.score_min,
         s.progress, s.total_time_seconds, s.data)
        for s in UnitState.objects.filter(attempt=attempt).order_by("unit_id")
    ]
    enrollment = attempt.enrollment
    return (
        states,
        (attempt.status, attempt.progress, attempt.score, attempt.time_spent_seconds, attempt.time_source,
         attempt.completed_at is None, attempt.first_activity_at is None),
        (enrollment.status, enrollment.progress, enrollment.score, enrollment.time_spent_seconds,
         enrollment.completed_at is None, enrollment.first_activity_at is None),
    )


def two_learners(units: int = 2, assets: int = 1, mastery: Decimal | None = None):
    group = GroupFactory(academy=AcademyFactory(), name="Sales")
    course, _, made = package_course(group, units=units, assets=assets, mastery=mastery)
    attempts = [started_attempt(learner_in(group), course) for _ in ("orm", "sql")]
    return attempts, made


def run_both(attempts, units, reports) -> tuple[tuple, tuple]:
    """Each (unit index, report) through the ORM path on the first attempt, through SQL on the second."""
    for record, attempt in zip((through_orm, through_sql), attempts, strict=True):
        states = [state_of(attempt, unit) for unit in units]
        for index, values in reports:
            record(states[index], values)
    return outcome(attempts[0]), outcome(attempts[1])


def test_the_sql_path_rolls_a_multi_unit_attempt_up_as_the_orm_path():
    attempts, units = two_learners()

    orm, sql = run_both(attempts, units, [
        (0, report(lesson_status="incomplete", score_raw=Decimal(40), location="p1", add_seconds=60,
                   data={"core.score": "40"})),
        (1, report(lesson_status="browsed", add_seconds=30, suspend_data="q1=a")),
        (0, report(lesson_status="completed", score_raw=Decimal(80), score_max=Decimal(100), score_min=Decimal(20),
                   add_seconds=45, exit_mode="suspend", data={"core.score": "80,100,20", "core.time": "00:00:45"})),
        (0, report(lesson_status="incomplete", score_raw=Decimal(80), add_seconds=5)),
        (2, report(lesson_status="passed", score_raw=Decimal(100), add_seconds=10)),
        (1, report(lesson_status="failed", score_raw=Decimal("33.3333"), add_seconds=20)),
    ])

    assert orm == sql
    states, attempt, enrollment = sql
    assert [s[1] for s in states] == ["completed", "failed", "passed"]
    assert attempt == ("failed", 100, Decimal("54.17"), 170, "measured", False, False)
    assert enrollment == ("failed", 100, Decimal("54.17"), 170, True, False)


def test_the_sql_path_keeps_an_earlier_finished_attempt_as_the_enrollment_best():
    attempts, units = two_learners(units=1, assets=0)
    for attempt in attempts:
        attempt_record_progress(attempt=attempt, status=LearningStatus.PASSED, score=90, time_spent_seconds=100)
    retries = [started_attempt(attempt.enrollment.user, attempt.enrollment.course) for attempt in attempts]

    orm, sql = run_both(retries, units, [
        (0, report(lesson_status="incomplete", score_raw=Decimal(30), add_seconds=40)),
        (0, report(lesson_status="failed", score_raw=Decimal(95), add_seconds=20)),
    ])

    assert orm == sql
    assert sql[1] == ("failed", 100, Decimal("95.00"), 60, "measured", False, False)
    # The enrollment shows the passed attempt, the best score and the time of both.
    assert sql[2] == ("passed", 100, Decimal("95.00"), 160, False, False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reports=st.lists(st.tuples(
    st.integers(min_value=0, max_value=2),
    st.builds(report, lesson_status=st.one_of(st.none(), st.sampled_from(list(STATUS_RANK))), score_raw=SCORES,
              score_max=st.one_of(st.none(), st.just(Decimal(100)), st.just(Decimal(50))),
              score_min=st.one_of(st.none(), st.just(Decimal(0)), st.just(Decimal(10))),
              add_seconds=st.integers(min_value=0, max_value=3600),
              location=st.one_of(st.none(), TEXT),
              data=st.dictionaries(st.sampled_from(["core.score", "core.time", "comments"]), TEXT)),
), min_size=1, max_size=8))
def test_any_reports_leave_the_same_through_sql_as_through_the_orm(reports):
    attempts, units = two_learners()

    orm, sql = run_both(attempts, units, reports)

    assert orm == sql


def test_the_short_path_adds_time_as_the_orm_path():
    attempts, units = two_learners(units=1, assets=0)
    first = report(lesson_status="incomplete", score_raw=Decimal(50), add_seconds=30, data={"core.time": "00:00:30"})
    through_orm(state_of(attempts[0], units[0]), first)
    through_sql(state_of(attempts[1], units[0]), first)
    bookmark = {"exit_mode": "suspend", "location": "p9", "suspend_data": "s=1", "add_seconds": 15,
                "data": {"core.time": "00:00:45", "core.lesson_location": "p9"}}

    through_orm(state_of(attempts[0], units[0]), report(**bookmark))
    with rawsql.write_transaction() as cursor:
        unit_state_record_without_roll_up(cursor, state_id=state_of(attempts[1], units[0]).pk,
                                          attempt_id=attempts[1].pk, enrollment_id=attempts[1].enrollment_id,
                                          now=timezone.now(), **bookmark)

    assert outcome(attempts[0]) == outcome(attempts[1])
    assert outcome(attempts[1])[1][:4] == ("in_progress", 0, Decimal("50.00"), 45)


def test_an_unknown_status_or_a_negative_time_is_refused_and_nothing_is_written():
    attempts, units = two_learners(units=1, assets=0)
    state = state_of(attempts[1], units[0])

    with pytest.raises(DomainError, match="Unknown lesson status 'done'"):
        through_sql(state, report(lesson_status="done", add_seconds=5))
    with pytest.raises(DomainError, match="Session time cannot be negative"):
        through_sql(state, report(add_seconds=-1))

    assert UnitState.objects.get(pk=state.pk).total_time_seconds == 0
    assert Enrollment.objects.get(pk=attempts[1].enrollment_id).time_spent_seconds == 0
