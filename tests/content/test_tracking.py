"""content.tracking: the merge of what a unit reports into its state (a finished status is never
downgraded, time adds up), the score as a percentage, and the roll-up of every unit of an attempt
into the attempt, the enrollment and the transcript."""

from decimal import Decimal

import pytest

from coursebridge.content.models import UnitState
from coursebridge.content.tracking import STATUS_RANK, _percent, unit_state_for, unit_state_record
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Attempt, Enrollment
from coursebridge.learning.selectors import transcript
from tests.content.tracking_helpers import package_course, started_attempt, state_of
from tests.factories import AcademyFactory, GroupFactory, learner_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")


@pytest.fixture
def learner(group):
    return learner_in(group)


def attempt_of(state: UnitState) -> Attempt:
    return Attempt.objects.get(pk=state.attempt_id)


# --- the unit state ------------------------------------------------------------------------------------


def test_unit_state_for_creates_one_state_per_attempt_and_unit(group, learner):
    course, _, units = package_course(group, units=2)
    attempt = started_attempt(learner, course)

    first = unit_state_for(attempt=attempt, unit_id=units[0].pk)
    again = unit_state_for(attempt=attempt, unit_id=units[0].pk)
    other = unit_state_for(attempt=attempt, unit_id=units[1].pk)

    assert first.pk == again.pk != other.pk
    assert (first.academy_id, first.lesson_status, first.total_time_seconds) == (group.academy_id, "not attempted", 0)
    assert UnitState.objects.filter(attempt=attempt).count() == 2


@pytest.mark.parametrize("current", list(STATUS_RANK))
@pytest.mark.parametrize("reported", list(STATUS_RANK))
def test_a_status_only_ever_moves_up(group, learner, current, reported):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])
    unit_state_record(state_id=state.pk, lesson_status=current)

    merged = unit_state_record(state_id=state.pk, lesson_status=reported)

    expected = reported if STATUS_RANK[reported] >= STATUS_RANK[current] else current
    assert merged.lesson_status == expected
    assert UnitState.objects.get(pk=state.pk).lesson_status == expected


def test_the_ranks_put_finished_above_unfinished():
    assert STATUS_RANK["completed"] > STATUS_RANK["failed"] > STATUS_RANK["incomplete"] > STATUS_RANK["browsed"]
    assert STATUS_RANK["passed"] > STATUS_RANK["completed"]
    assert STATUS_RANK["not attempted"] == 0


def test_an_unknown_status_is_refused(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    with pytest.raises(DomainError) as refused:
        unit_state_record(state_id=state.pk, lesson_status="done")

    assert refused.value.field == "lesson_status"


def test_success_status_never_downgrades(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    unit_state_record(state_id=state.pk, success_status="passed")
    merged = unit_state_record(state_id=state.pk, success_status="failed")
    unit_state_record(state_id=state.pk, success_status="unknown")

    assert merged.success_status == "passed"
    assert UnitState.objects.get(pk=state.pk).success_status == "passed"
    with pytest.raises(DomainError):
        unit_state_record(state_id=state.pk, success_status="maybe")


def test_time_adds_up_and_cannot_be_negative(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    unit_state_record(state_id=state.pk, add_seconds=90)
    unit_state_record(state_id=state.pk, add_seconds=30)

    assert UnitState.objects.get(pk=state.pk).total_time_seconds == 120
    with pytest.raises(DomainError):
        unit_state_record(state_id=state.pk, add_seconds=-1)
    assert UnitState.objects.get(pk=state.pk).total_time_seconds == 120


def test_location_suspend_data_and_raw_data_merge(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    unit_state_record(state_id=state.pk, location="p1", suspend_data="a", data={"x": "1", "y": "1"}, new_session=True)
    unit_state_record(state_id=state.pk, data={"y": "2"}, new_session=True)
    merged = unit_state_record(state_id=state.pk, location="p" * 1200, suspend_data="")

    assert merged.location == "p" * 1000
    assert merged.suspend_data == ""
    assert merged.data == {"x": "1", "y": "2"}
    assert merged.sessions == 2


def test_progress_moves_up_and_a_completion_is_100(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    assert unit_state_record(state_id=state.pk, progress=40).progress == 40
    assert unit_state_record(state_id=state.pk, progress=20).progress == 40
    assert unit_state_record(state_id=state.pk, lesson_status="completed").progress == 100
    with pytest.raises(DomainError):
        unit_state_record(state_id=state.pk, progress=101)


def test_a_failed_unit_keeps_its_reported_progress(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    assert unit_state_record(state_id=state.pk, lesson_status="failed", progress=60).progress == 60


# --- the score as a percentage --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "high", "low", "scaled", "percent"),
    [
        ("15", "20", None, None, Decimal(75)),
        ("15", "20", "10", None, Decimal(50)),
        ("80", None, None, None, Decimal(80)),
        ("5", "5", "5", None, Decimal(5)),  # max equal to min: no range, the raw score
        ("40", "100", None, "0.9", Decimal(90)),  # SCORM 2004's scaled score first
        (None, None, None, None, None),
    ],
)
def test_percent(raw, high, low, scaled, percent):
    def number(value):
        return Decimal(value) if value is not None else None

    state = UnitState(score_raw=number(raw), score_max=number(high), score_min=number(low), score_scaled=number(scaled))

    assert _percent(state) == percent


# --- the roll-up ----------------------------------------------------------------------------------------


def test_one_unit_rolls_up_into_the_attempt_and_the_enrollment(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    unit_state_record(
        state_id=state.pk, lesson_status="passed", score_raw=Decimal(18), score_max=Decimal(20), add_seconds=300
    )

    attempt = attempt_of(state)
    assert (attempt.status, attempt.progress, attempt.score, attempt.time_spent_seconds, attempt.time_source) == (
        "passed",
        100,
        Decimal("90.00"),
        300,
        "measured",
    )
    assert attempt.completed_at is not None
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.progress, enrollment.score, enrollment.time_spent_seconds) == (
        "passed",
        100,
        Decimal("90.00"),
        300,
    )


def test_a_multi_unit_attempt_is_finished_only_when_every_sco_is(group, learner):
    course, _, units = package_course(group, units=3)
    attempt = started_attempt(learner, course)
    states = [state_of(attempt, unit) for unit in units]

    unit_state_record(state_id=states[0].pk, lesson_status="completed", add_seconds=60)
    unit_state_record(state_id=states[1].pk, lesson_status="incomplete", progress=50, add_seconds=30)

    attempt.refresh_from_db()
    # (100 + 50 + 0) / 3 units
    assert (attempt.status, attempt.progress, attempt.time_spent_seconds, attempt.completed_at) == (
        "in_progress",
        50,
        90,
        None,
    )

    unit_state_record(state_id=states[1].pk, lesson_status="completed")
    unit_state_record(state_id=states[2].pk, lesson_status="completed", add_seconds=10)

    attempt.refresh_from_db()
    assert (attempt.status, attempt.progress, attempt.time_spent_seconds) == ("completed", 100, 100)
    assert attempt.completed_at is not None


def test_the_attempt_passes_when_every_unit_passed_and_fails_when_one_failed(group):
    course, _, units = package_course(group, units=2)
    passing, failing, mixed = learner_in(group), learner_in(group), learner_in(group)
    outcomes = {}
    for person, statuses in (
        (passing, ("passed", "passed")),
        (failing, ("passed", "failed")),
        (mixed, ("passed", "completed")),
    ):
        attempt = started_attempt(person, course)
        for unit, status in zip(units, statuses, strict=True):
            unit_state_record(state_id=state_of(attempt, unit).pk, lesson_status=status)
        attempt.refresh_from_db()
        outcomes[person.pk] = attempt.status

    assert outcomes == {passing.pk: "passed", failing.pk: "failed", mixed.pk: "completed"}


def test_scorm_2004_success_status_decides_the_outcome(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])

    unit_state_record(state_id=state.pk, lesson_status="completed", success_status="failed")

    assert attempt_of(state).status == "failed"


def test_the_attempt_score_is_the_mean_of_the_scored_units(group, learner):
    course, _, units = package_course(group, units=3)
    attempt = started_attempt(learner, course)

    unit_state_record(state_id=state_of(attempt, units[0]).pk, score_raw=Decimal(60))
    unit_state_record(state_id=state_of(attempt, units[1]).pk, score_raw=Decimal(9), score_max=Decimal(10))

    attempt.refresh_from_db()
    assert attempt.score == Decimal("75.00")


def test_assets_do_not_hold_back_the_completion(group, learner):
    course, _, units = package_course(group, units=1, assets=1)
    attempt = started_attempt(learner, course)

    unit_state_record(state_id=state_of(attempt, units[1]).pk, progress=100, add_seconds=20)
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"

    unit_state_record(state_id=state_of(attempt, units[0]).pk, lesson_status="completed", add_seconds=40)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.time_spent_seconds) == ("completed", 60)


def test_a_late_incomplete_report_does_not_reopen_the_attempt(group, learner):
    course, _, units = package_course(group)
    state = state_of(started_attempt(learner, course), units[0])
    unit_state_record(state_id=state.pk, lesson_status="passed")

    unit_state_record(state_id=state.pk, lesson_status="incomplete", add_seconds=15)

    attempt = attempt_of(state)
    assert (attempt.status, attempt.progress, attempt.time_spent_seconds) == ("passed", 100, 15)


def test_the_transcript_shows_the_rolled_up_status_score_and_time(group, learner):
    course, _, units = package_course(group, units=2)
    attempt = started_attempt(learner, course)
    unit_state_record(
        state_id=state_of(attempt, units[0]).pk, lesson_status="passed", score_raw=Decimal(70), add_seconds=120
    )
    unit_state_record(
        state_id=state_of(attempt, units[1]).pk, lesson_status="passed", score_raw=Decimal(90), add_seconds=180
    )

    row = transcript(academy=group.academy, user=learner).get(course=course)

    assert (row.status, row.progress, row.score, row.time_spent_seconds, row.time_source, row.attempt_count) == (
        "passed",
        100,
        Decimal("80.00"),
        300,
        "measured",
        1,
    )
    assert row.completed_at is not None


def test_a_second_attempt_adds_its_time_and_the_best_result_shows(group, learner):
    course, _, units = package_course(group)
    first = started_attempt(learner, course)
    unit_state_record(
        state_id=state_of(first, units[0]).pk, lesson_status="failed", score_raw=Decimal(40), add_seconds=100
    )
    second = started_attempt(learner, course)
    unit_state_record(
        state_id=state_of(second, units[0]).pk, lesson_status="passed", score_raw=Decimal(85), add_seconds=50
    )

    row = transcript(academy=group.academy, user=learner).get(course=course)

    assert (row.status, row.score, row.time_spent_seconds, row.attempt_count) == ("passed", Decimal("85.00"), 150, 2)


def test_a_report_of_time_alone_adds_it_to_the_attempt_and_the_enrollment(group, learner):
    course, _, units = package_course(group, units=2)
    first = started_attempt(learner, course)
    unit_state_record(state_id=state_of(first, units[0]).pk, lesson_status="failed", add_seconds=100)
    second = started_attempt(learner, course)
    one, two = state_of(second, units[0]), state_of(second, units[1])
    unit_state_record(state_id=one.pk, lesson_status="incomplete", score_raw=Decimal(40), add_seconds=30)
    before = Attempt.objects.get(pk=second.pk)

    unit_state_record(state_id=two.pk, location="p2", suspend_data="x", add_seconds=45)
    unit_state_record(state_id=one.pk, location="p9", add_seconds=5, new_session=True)

    after = Attempt.objects.get(pk=second.pk)
    assert after.time_spent_seconds == 80 == sum(
        UnitState.objects.filter(attempt=second).values_list("total_time_seconds", flat=True)
    )
    assert (after.status, after.progress, after.score, after.time_source) == (
        before.status, before.progress, before.score, "measured")
    assert after.last_activity_at > before.last_activity_at
    enrollment = Enrollment.objects.get(pk=second.enrollment_id)
    assert enrollment.time_spent_seconds == 180
    assert enrollment.last_activity_at == after.last_activity_at
    assert UnitState.objects.get(pk=one.pk).location == "p9"


def test_a_report_that_changes_nothing_still_marks_the_activity(group, learner):
    course, _, units = package_course(group)
    attempt = started_attempt(learner, course)
    state = state_of(attempt, units[0])
    unit_state_record(state_id=state.pk, lesson_status="incomplete", add_seconds=10)
    before = Attempt.objects.get(pk=attempt.pk)

    unit_state_record(state_id=state.pk, lesson_status="incomplete")

    after = Attempt.objects.get(pk=attempt.pk)
    assert after.time_spent_seconds == 10
    assert after.last_activity_at > before.last_activity_at
