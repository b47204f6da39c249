import itertools
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import signing

from coursebridge.content import scorm_runtime
from coursebridge.content.models import UnitState
from coursebridge.content.scorm_datamodel import (
    format_duration_2004,
    format_timespan_12,
    parse_duration_2004,
    parse_timespan_12,
    validate_elements,
)
from coursebridge.content.scorm_runtime import (
    RUNTIME_KEY,
    SESSIONS_KEPT,
    CommitPayload,
    UnitRules,
    record_of,
    runtime_initial,
    runtime_token,
    runtime_token_read,
    scorm_commit,
)
from coursebridge.content.tracking import unit_state_for
from coursebridge.core.errors import DomainError, PermissionDenied
from coursebridge.learning.models import LearningStatus
from tests.content.player_helpers import scorm_course, started
from tests.factories import GroupFactory, learner_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def group():
    return GroupFactory()


def state_in(group, *, format="scorm12", units=1, mastery=None, learner=None, completion_threshold=None):
    learner = learner or learner_in(group, first_name="Lena", last_name="Berg", username="lena")
    course, _, made = scorm_course(group, format=format, units=units, mastery=mastery,
                                   completion_threshold=completion_threshold)
    attempt = started(learner, course)
    return unit_state_for(attempt=attempt, unit_id=made[0].pk)


def commit(state, seq, elements, session="tab-1", terminated=False):
    return scorm_commit(state_id=state.pk, session_id=session, seq=seq, elements=elements, terminated=terminated)


# --- Conversion -------------------------------------------------------------------------------------


def test_a_scorm12_commit_becomes_the_unit_state_and_keeps_every_element(group):
    state = state_in(group)
    elements = {
        "cmi.core.lesson_status": "incomplete",
        "cmi.core.lesson_location": "page-4",
        "cmi.suspend_data": "a=1;b=2",
        "cmi.core.score.raw": "42.5",
        "cmi.core.score.min": "0",
        "cmi.core.score.max": "100",
        "cmi.core.exit": "suspend",
        "cmi.core.session_time": "0000:02:05.50",
        "cmi.comments": "Nice",
        "cmi.interactions.0.id": "q1",
        "cmi.interactions.0.result": "correct",
    }

    result = commit(state, 1, elements)

    saved = UnitState.objects.get(pk=state.pk)
    assert result.applied is True
    assert (saved.lesson_status, saved.location, saved.suspend_data, saved.exit_mode) == (
        "incomplete",
        "page-4",
        "a=1;b=2",
        "suspend",
    )
    assert (saved.score_raw, saved.score_min, saved.score_max) == (Decimal("42.5"), Decimal(0), Decimal(100))
    assert (saved.total_time_seconds, saved.sessions) == (125, 1)
    assert {k: v for k, v in saved.data.items() if k != RUNTIME_KEY} == elements
    assert saved.data[RUNTIME_KEY]["tab-1"]["seq"] == 1
    assert saved.data[RUNTIME_KEY]["tab-1"]["seconds"] == 125
    attempt = saved.attempt
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.time_spent_seconds) == (
        LearningStatus.IN_PROGRESS,
        Decimal("42.50"),
        125,
    )


def test_scorm12_completed_with_a_mastery_score_passes_or_fails_by_the_score(group):
    rules = UnitRules(mastery_score=Decimal(80))

    passed = record_of(
        version="scorm12", elements={"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "80"}, rules=rules
    )
    failed = record_of(
        version="scorm12", elements={"cmi.core.lesson_status": "completed"}, rules=rules, current_raw=Decimal("79.5")
    )
    no_score = record_of(version="scorm12", elements={"cmi.core.lesson_status": "completed"}, rules=rules)
    content_says = record_of(
        version="scorm12", elements={"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "10"}, rules=rules
    )

    assert (passed.lesson_status, failed.lesson_status, no_score.lesson_status, content_says.lesson_status) == (
        "passed",
        "failed",
        "completed",
        "passed",
    )


def test_a_scorm12_unit_with_a_mastery_score_records_the_pass_on_the_transcript(group):
    state = state_in(group, mastery=Decimal(70))

    commit(state, 1, {"cmi.core.score.raw": "90", "cmi.core.lesson_status": "completed"})

    saved = UnitState.objects.select_related("attempt__enrollment").get(pk=state.pk)
    assert saved.lesson_status == "passed"
    assert (saved.attempt.status, saved.attempt.enrollment.status) == (LearningStatus.PASSED, LearningStatus.PASSED)


def test_a_scorm2004_commit_maps_completion_success_score_and_progress(group):
    state = state_in(group, format="scorm2004")

    commit(
        state,
        1,
        {
            "cmi.completion_status": "completed",
            "cmi.success_status": "passed",
            "cmi.score.scaled": "0.875",
            "cmi.score.raw": "87.5",
            "cmi.score.max": "100",
            "cmi.score.min": "0",
            "cmi.progress_measure": "0.6",
            "cmi.location": "5",
            "cmi.exit": "timeout",
            "cmi.session_time": "PT1M30.25S",
            "adl.nav.request": "exitAll",
        },
    )

    saved = UnitState.objects.select_related("attempt").get(pk=state.pk)
    assert (saved.lesson_status, saved.success_status, saved.exit_mode, saved.location) == (
        "completed",
        "passed",
        "time-out",
        "5",
    )
    assert (saved.score_scaled, saved.score_raw, saved.progress, saved.total_time_seconds) == (
        Decimal("0.875"),
        Decimal("87.5"),
        100,
        90,
    )
    assert saved.data["adl.nav.request"] == "exitAll"
    assert (saved.attempt.status, saved.attempt.score) == (LearningStatus.PASSED, Decimal("87.50"))


def test_scorm2004_progress_measure_is_the_unit_progress_until_completion(group):
    state = state_in(group, format="scorm2004")

    commit(state, 1, {"cmi.completion_status": "incomplete", "cmi.progress_measure": "0.456"})

    saved = UnitState.objects.select_related("attempt").get(pk=state.pk)
    assert (saved.lesson_status, saved.progress, saved.attempt.progress) == ("incomplete", 46, 46)


def test_scorm2004_scaled_passing_score_decides_success_over_what_the_content_says(group):
    # The import stores minNormalizedMeasure 0.8 as the percentage 80.
    state = state_in(group, format="scorm2004", mastery=Decimal(80))

    commit(state, 1, {"cmi.score.scaled": "0.7", "cmi.success_status": "passed", "cmi.completion_status": "completed"})

    saved = UnitState.objects.select_related("attempt").get(pk=state.pk)
    assert (saved.success_status, saved.attempt.status) == ("failed", LearningStatus.FAILED)


@pytest.mark.parametrize(
    ("elements", "status"),
    [
        ({"cmi.progress_measure": "0.74", "cmi.completion_status": "completed"}, "incomplete"),
        ({"cmi.progress_measure": "0.75", "cmi.completion_status": "incomplete"}, "completed"),
        ({"cmi.progress_measure": "0.9"}, "completed"),
        ({"cmi.completion_status": "completed"}, "completed"),  # no measure: what the content says
    ],
)
def test_scorm2004_completion_threshold_lets_the_progress_measure_decide(elements, status):
    record = record_of(version="scorm2004", elements=elements, rules=UnitRules(completion_threshold=Decimal("0.75")))

    assert record.lesson_status == status


def test_a_scorm2004_unit_with_a_threshold_completes_by_its_progress_measure(group):
    state = state_in(group, format="scorm2004", completion_threshold=Decimal("0.8"))

    commit(state, 1, {"cmi.progress_measure": "0.5", "cmi.completion_status": "completed"})
    halfway = UnitState.objects.get(pk=state.pk)
    commit(state, 2, {"cmi.progress_measure": "0.8"})

    saved = UnitState.objects.select_related("attempt").get(pk=state.pk)
    assert (halfway.lesson_status, halfway.progress) == ("incomplete", 50)
    assert (saved.lesson_status, saved.progress, saved.attempt.status) == ("completed", 100, LearningStatus.COMPLETED)
    initial = runtime_initial(state=saved, unit=saved.unit, user=saved.attempt.enrollment.user)
    assert initial["cmi.completion_threshold"] == "0.8"


def test_scorm2004_unknown_completion_changes_no_status(group):
    record = record_of(
        version="scorm2004",
        elements={"cmi.completion_status": "unknown", "cmi.success_status": "unknown"},
        rules=UnitRules(),
    )

    assert (record.lesson_status, record.success_status) == (None, "unknown")


def test_a_score_too_large_for_the_columns_stays_in_the_raw_data_only(group):
    state = state_in(group, format="scorm2004")

    commit(state, 1, {"cmi.score.raw": "123456789", "cmi.score.max": "200"})

    saved = UnitState.objects.get(pk=state.pk)
    assert (saved.score_raw, saved.score_max, saved.data["cmi.score.raw"]) == (None, Decimal(200), "123456789")


# --- Time -------------------------------------------------------------------------------------------


def test_session_time_counts_once_per_runtime_session(group):
    state = state_in(group)

    commit(state, 1, {"cmi.core.session_time": "0000:01:00"})
    commit(state, 2, {"cmi.core.session_time": "0000:01:00"})
    commit(state, 3, {"cmi.core.lesson_status": "incomplete"})
    commit(state, 4, {"cmi.core.session_time": "0000:02:30.75"})
    commit(state, 1, {"cmi.core.session_time": "0000:45:00"}, session="tab-2")
    commit(state, 5, {"cmi.core.session_time": "0000:02:00"})

    saved = UnitState.objects.select_related("attempt").get(pk=state.pk)
    assert saved.total_time_seconds == 150 + 45 * 60
    assert saved.sessions == 2
    assert {k: v["seconds"] for k, v in saved.data[RUNTIME_KEY].items()} == {"tab-1": 150, "tab-2": 2700}
    assert saved.attempt.time_spent_seconds == 150 + 2700


def test_a_session_counts_for_at_most_a_day(group):
    state = state_in(group, format="scorm2004")

    commit(state, 1, {"cmi.session_time": "P3DT4H"})

    assert UnitState.objects.get(pk=state.pk).total_time_seconds == 24 * 3600


def test_time_formats_parse_and_print():
    assert parse_timespan_12("0001:02:03.5") == Decimal("3723.5")
    assert parse_timespan_12("00:00:07") == Decimal(7)
    assert parse_duration_2004("P1DT2H3M4.5S") == Decimal("93784.5")
    assert parse_duration_2004("PT0.01S") == Decimal("0.01")
    assert parse_duration_2004("P0S") == Decimal(0)
    assert parse_duration_2004("P1Y") == Decimal(365.25 * 86400)
    for bad in ("PT", "P", "1:00:00", "PT1H30", "T1H"):
        with pytest.raises(DomainError):
            parse_duration_2004(bad)
    with pytest.raises(DomainError):
        parse_timespan_12("1:2:3")
    assert format_timespan_12(3723) == "0001:02:03.00"
    assert format_timespan_12(0) == "0000:00:00.00"
    assert format_duration_2004(3723) == "PT1H2M3S"
    assert format_duration_2004(0) == "PT0H0M0S"


# --- Order ------------------------------------------------------------------------------------------


def test_a_late_lower_sequence_is_acknowledged_and_ignored(group):
    state = state_in(group)
    commit(
        state,
        2,
        {
            "cmi.core.lesson_status": "completed",
            "cmi.core.lesson_location": "end",
            "cmi.core.session_time": "0000:10:00",
        },
    )

    late = commit(
        state,
        1,
        {
            "cmi.core.lesson_status": "incomplete",
            "cmi.core.lesson_location": "page-2",
            "cmi.core.session_time": "0000:03:00",
            "cmi.suspend_data": "old",
        },
    )
    repeated = commit(state, 2, {"cmi.core.lesson_location": "again"})

    saved = UnitState.objects.get(pk=state.pk)
    assert (late.applied, late.seq, repeated.applied, repeated.seq) == (False, 2, False, 2)
    assert (saved.lesson_status, saved.location, saved.suspend_data, saved.total_time_seconds) == (
        "completed",
        "end",
        "",
        600,
    )
    assert saved.data["cmi.core.lesson_location"] == "end"


def test_a_completion_is_never_lost_to_a_second_tab(group):
    state = state_in(group, format="scorm2004")
    commit(
        state,
        1,
        {"cmi.completion_status": "completed", "cmi.success_status": "passed", "cmi.session_time": "PT5M"},
        session="tab-1",
    )

    commit(
        state,
        7,
        {"cmi.completion_status": "incomplete", "cmi.success_status": "unknown", "cmi.session_time": "PT1M"},
        session="tab-2",
    )

    saved = UnitState.objects.select_related("attempt__enrollment").get(pk=state.pk)
    assert (saved.lesson_status, saved.success_status, saved.total_time_seconds) == ("completed", "passed", 360)
    assert saved.attempt.status == LearningStatus.PASSED
    assert saved.attempt.enrollment.status == LearningStatus.PASSED


def test_only_the_latest_runtime_sessions_are_remembered(group, monkeypatch):
    state = state_in(group)
    clock = itertools.count(1_700_000_000)
    monkeypatch.setattr(scorm_runtime, "time", SimpleNamespace(time=lambda: next(clock)))
    for number in range(SESSIONS_KEPT + 3):
        commit(state, 1, {"cmi.core.lesson_location": str(number)}, session=f"s{number}")
    commit(state, 2, {"cmi.core.lesson_location": "back"}, session="s1")

    kept = UnitState.objects.get(pk=state.pk).data[RUNTIME_KEY]
    assert len(kept) == SESSIONS_KEPT
    assert {"s0", "s2", "s3"}.isdisjoint(kept)
    assert {"s1", "s4", f"s{SESSIONS_KEPT + 2}"} <= set(kept)


# --- Validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "element", "value", "message"),
    [
        (
            "scorm12",
            "cmi.core.lesson_status",
            "done",
            'cmi.core.lesson_status must be one of "passed", "completed", "failed", "incomplete", "browsed".',
        ),
        (
            "scorm12",
            "cmi.core.lesson_status",
            "not attempted",
            'cmi.core.lesson_status must be one of "passed", "completed", "failed", "incomplete", "browsed".',
        ),
        ("scorm12", "cmi.core.score.raw", "101", "cmi.core.score.raw must be a number from 0 to 100, or empty."),
        ("scorm12", "cmi.core.score.raw", "ten", "cmi.core.score.raw must be a number from 0 to 100, or empty."),
        ("scorm12", "cmi.core.session_time", "PT1M", "cmi.core.session_time must be a time span HHHH:MM:SS.SS."),
        ("scorm12", "cmi.suspend_data", "x" * 4097, "cmi.suspend_data must be at most 4096 characters."),
        ("scorm12", "cmi.core.lesson_location", "x" * 256, "cmi.core.lesson_location must be at most 255 characters."),
        (
            "scorm12",
            "cmi.core.student_id",
            "someone-else",
            "cmi.core.student_id is not an element content can set in this SCORM version.",
        ),
        (
            "scorm12",
            "cmi.completion_status",
            "completed",
            "cmi.completion_status is not an element content can set in this SCORM version.",
        ),
        (
            "scorm12",
            "cmi.interactions.0.id",
            "has space",
            "cmi.interactions.0.id must be an identifier: 1 to 255 characters without spaces.",
        ),
        (
            "scorm2004",
            "cmi.completion_status",
            "passed",
            'cmi.completion_status must be one of "completed", "incomplete", "not attempted", "unknown".',
        ),
        ("scorm2004", "cmi.score.scaled", "1.5", "cmi.score.scaled must be a number from -1 to 1."),
        ("scorm2004", "cmi.progress_measure", "-0.1", "cmi.progress_measure must be a number from 0 to 1."),
        (
            "scorm2004",
            "cmi.session_time",
            "0000:01:00",
            "cmi.session_time must be an ISO 8601 duration such as PT1H30M5.5S.",
        ),
        ("scorm2004", "cmi.suspend_data", "x" * 64001, "cmi.suspend_data must be at most 64000 characters."),
        ("scorm2004", "cmi.exit", "time-out", 'cmi.exit must be one of "timeout", "suspend", "logout", "normal", "".'),
        (
            "scorm2004",
            "adl.nav.request",
            "jump",
            "adl.nav.request must be a navigation request: continue, previous, exit, exitAll, suspendAll, abandon, "
            "abandonAll, _none_, {target=ID}choice or {target=ID}jump.",
        ),
        ("scorm2004", "cmi.learner_id", "x", "cmi.learner_id is not an element content can set in this SCORM version."),
        (
            "scorm2004",
            "cmi.core.lesson_status",
            "passed",
            "cmi.core.lesson_status is not an element content can set in this SCORM version.",
        ),
    ],
)
def test_invalid_elements_are_refused_with_the_element_named(group, version, element, value, message):
    state = state_in(group, format=version)

    with pytest.raises(DomainError) as caught:
        commit(
            state,
            1,
            {"cmi.suspend_data": "kept?", element: value} if element != "cmi.suspend_data" else {element: value},
        )

    assert (caught.value.message, caught.value.field) == (message, element)
    saved = UnitState.objects.get(pk=state.pk)
    assert (saved.suspend_data, saved.sessions, saved.data) == ("", 0, {})


def test_the_limits_themselves_are_accepted():
    validate_elements(
        version="scorm12",
        elements={"cmi.suspend_data": "x" * 4096, "cmi.core.score.raw": "", "cmi.interactions.12.result": "-1.5"},
    )
    validate_elements(
        version="scorm2004",
        elements={
            "cmi.suspend_data": "x" * 64000,
            "cmi.score.scaled": "-1",
            "adl.nav.request": "{target=sco-2}choice",
            "cmi.interactions.0.latency": "PT2.5S",
        },
    )


def test_the_commit_payload_is_checked_at_the_edge():
    good = CommitPayload.model_validate({"token": "t", "seq": 3, "elements": {"cmi.location": "1"}})

    assert (good.seq, good.terminated) == (3, False)
    for bad in (
        {"token": "t", "seq": 0, "elements": {}},
        {"token": "t", "seq": "3", "elements": {}},
        {"token": "t", "seq": 1, "elements": {"cmi.location": 5}},
        {"token": "t", "seq": 1, "elements": {}, "extra": True},
        {"token": "", "seq": 1, "elements": {}},
        {"token": "t", "seq": 1, "elements": {f"cmi.interactions.{n}.id": "q" for n in range(5001)}},
    ):
        with pytest.raises(ValueError):
            CommitPayload.model_validate(bad)


# --- Tokens and initial values ----------------------------------------------------------------------


def test_a_runtime_token_names_its_state_session_and_user(group):
    state = state_in(group)
    user = state.attempt.enrollment.user

    session_id, token = runtime_token(state=state, user=user)
    grant = runtime_token_read(token)

    assert (grant.state_id, grant.session_id, grant.user_id) == (state.pk, session_id, user.pk)
    assert runtime_token(state=state, user=user)[0] != session_id


def test_a_tampered_or_expired_token_is_refused(group, monkeypatch):
    state = state_in(group)
    _, token = runtime_token(state=state, user=state.attempt.enrollment.user)
    forged = signing.dumps({"s": state.pk + 1, "r": "x", "u": 1}, salt="another-purpose")

    for bad in (token[:-2] + "xx", forged, "nonsense"):
        with pytest.raises(PermissionDenied) as caught:
            runtime_token_read(bad)
        assert caught.value.message == "The launch token is not valid. Reload the page to continue."
    monkeypatch.setattr(scorm_runtime, "TOKEN_MAX_AGE", -1)
    with pytest.raises(PermissionDenied) as expired:
        runtime_token_read(token)
    assert expired.value.message == "This player page has expired. Reload the page to continue."


def test_initial_values_for_scorm12_start_ab_initio_then_resume(group):
    state = state_in(group, mastery=Decimal("75.00"))
    user = state.attempt.enrollment.user
    unit = state.unit

    first = runtime_initial(state=state, unit=unit, user=user)
    commit(
        state,
        1,
        {
            "cmi.core.lesson_location": "3",
            "cmi.core.exit": "suspend",
            "cmi.suspend_data": "s",
            "cmi.core.session_time": "0001:00:01",
            "cmi.core.score.raw": "80.50",
            "cmi.objectives.0.id": "obj-1",
        },
    )
    again = runtime_initial(state=UnitState.objects.get(pk=state.pk), unit=unit, user=user)

    assert first == {
        "cmi.core.student_id": "lena",
        "cmi.core.student_name": "Berg, Lena",
        "cmi.core.lesson_location": "",
        "cmi.core.credit": "credit",
        "cmi.core.lesson_status": "not attempted",
        "cmi.core.entry": "ab-initio",
        "cmi.core.score.raw": "",
        "cmi.core.score.min": "",
        "cmi.core.score.max": "",
        "cmi.core.total_time": "0000:00:00.00",
        "cmi.core.lesson_mode": "normal",
        "cmi.suspend_data": "",
        "cmi.launch_data": "",
        "cmi.comments": "",
        "cmi.comments_from_lms": "",
        "cmi.student_data.mastery_score": "75",
        "cmi.student_data.max_time_allowed": "",
        "cmi.student_data.time_limit_action": "",
    }
    assert (again["cmi.core.entry"], again["cmi.core.lesson_location"], again["cmi.suspend_data"]) == (
        "resume",
        "3",
        "s",
    )
    assert (again["cmi.core.total_time"], again["cmi.core.score.raw"], again["cmi.objectives.0.id"]) == (
        "0001:00:01.00",
        "80.5",
        "obj-1",
    )


def test_initial_values_for_scorm2004_leave_unset_elements_uninitialised(group):
    state = state_in(group, format="scorm2004", mastery=Decimal(80))
    user = state.attempt.enrollment.user

    first = runtime_initial(state=state, unit=state.unit, user=user)
    commit(
        state,
        1,
        {
            "cmi.completion_status": "completed",
            "cmi.exit": "normal",
            "cmi.session_time": "PT2M",
            "cmi.score.scaled": "0.9",
        },
    )
    again = runtime_initial(state=UnitState.objects.get(pk=state.pk), unit=state.unit, user=user)

    assert first == {
        "cmi.learner_id": "lena",
        "cmi.learner_name": "Berg, Lena",
        "cmi.credit": "credit",
        "cmi.mode": "normal",
        "cmi.entry": "ab-initio",
        "cmi.completion_status": "unknown",
        "cmi.success_status": "unknown",
        "cmi.launch_data": "",
        "cmi.total_time": "PT0H0M0S",
        "cmi.scaled_passing_score": "0.8",
        "cmi.time_limit_action": "continue,no message",
    }
    assert (again["cmi.entry"], again["cmi.completion_status"], again["cmi.success_status"]) == (
        "",
        "completed",
        "passed",
    )
    assert (again["cmi.total_time"], again["cmi.score.scaled"]) == ("PT0H2M0S", "0.9")
    assert "cmi.location" not in again
