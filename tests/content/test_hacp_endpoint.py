"""The HACP endpoint end to end: every command, the order rules, the error codes, time accumulation,
completions that are never lost, and sessions that never cross academies."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.content import hacp
from coursebridge.content.aicc_runtime import hacp_handle, sid_hash
from coursebridge.content.models import AiccSession, UnitState
from coursebridge.learning.models import Attempt, Enrollment
from tests.content.tracking_helpers import (
    HACP_PATH,
    core_of,
    hacp_reply,
    open_session,
    package_course,
    post_hacp,
    put_data,
)
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")


@pytest.fixture
def learner(group):
    return learner_in(group, username="lena", first_name="Lena", last_name="Berg")


@pytest.fixture
def course(group):
    course, _, _ = package_course(group)
    return course


@pytest.fixture
def au():
    """A client like an AU: no cookies, no CSRF token, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


def get_param(au, sid, **extra):
    return post_hacp(au, command="GetParam", version="3.5", session_id=sid, aicc_data="", **extra)


def put_param(au, sid, **values):
    return post_hacp(au, command="PutParam", version="3.5", session_id=sid, aicc_data=put_data(**values))


def exit_au(au, sid):
    return post_hacp(au, command="ExitAU", version="3.5", session_id=sid, aicc_data="")


def fresh(state) -> UnitState:
    return UnitState.objects.get(pk=state.pk)


# --- the commands ----------------------------------------------------------------------------------


def test_a_whole_session_records_status_score_location_suspend_data_and_time(au, learner, course):
    sid, state = open_session(learner, course)

    first = get_param(au, sid)
    put = put_param(
        au, sid, status="incomplete", location="slide 3", score="40,100,0", time="00:02:30", lesson="q1=a\r\nq2=b"
    )
    done = put_param(au, sid, status="passed", location="slide 9", score="85,100,0", time="00:10:00")
    bye = exit_au(au, sid)

    assert first["error"] == "0"
    assert first["error_text"] == "Successful"
    assert core_of(first["aicc_data"]) == {
        "Student_ID": "lena",
        "Student_Name": "Berg, Lena",
        "Lesson_Location": "",
        "Credit": "credit",
        "Lesson_Status": "not attempted, ab-initio",
        "Score": "",
        "Time": "00:00:00",
        "Lesson_Mode": "normal",
    }
    assert put == {"error": "0", "error_text": "Successful", "aicc_data": ""}
    assert done["error"] == bye["error"] == "0"
    state = fresh(state)
    assert (state.lesson_status, state.location, state.suspend_data) == ("passed", "slide 9", "q1=a\r\nq2=b")
    assert (state.score_raw, state.score_max, state.score_min) == (Decimal(85), Decimal(100), Decimal(0))
    assert state.total_time_seconds == 600
    assert state.sessions == 1
    assert state.progress == 100
    attempt = Attempt.objects.get(pk=state.attempt_id)
    assert (attempt.status, attempt.score, attempt.time_spent_seconds, attempt.progress) == (
        "passed",
        Decimal("85.00"),
        600,
        100,
    )
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.score, enrollment.time_spent_seconds) == ("passed", Decimal("85.00"), 600)
    assert enrollment.completed_at is not None
    assert AiccSession.objects.get(sid_hash=sid_hash(sid)).exited_at is not None


def test_getparam_of_the_next_session_resumes_where_the_learner_left(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete,suspend", location="slide 3", score="40", time="00:05:00", lesson="page=3")
    exit_au(au, sid)
    from coursebridge.content.aicc_runtime import new_session

    second = new_session(state=fresh(state))
    reply = get_param(au, second)

    core = core_of(reply["aicc_data"])
    assert core["Lesson_Status"] == "incomplete, resume"
    assert core["Lesson_Location"] == "slide 3"
    assert core["Score"] == "40"
    assert core["Time"] == "00:05:00"
    assert "[Core_Lesson]\r\npage=3\r\n[Core_Vendor]\r\nlang=en\r\n" in reply["aicc_data"]
    assert "[Evaluation]\r\nCourse_ID=COURSE-1\r\ncourse_id=COURSE-1\r\n" in reply["aicc_data"]
    student_data = hacp.parse_aicc_data(reply["aicc_data"]).pairs("student_data")
    assert student_data == {"mastery_score": "", "max_time_allowed": "00:30:00", "time_limit_action": "C,N"}
    assert fresh(state).sessions == 2


def test_a_normal_exit_resumes_without_an_entry(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete", location="p2")
    from coursebridge.content.aicc_runtime import new_session

    reply = get_param(au, new_session(state=fresh(state)))

    assert core_of(reply["aicc_data"])["Lesson_Status"] == "incomplete"
    assert fresh(state).exit_mode == ""


@pytest.mark.parametrize("command", ["getparam", "GETPARAM", "GetParam", "gEtPaRaM"])
def test_command_names_in_any_case(au, learner, course, command):
    sid, _ = open_session(learner, course)

    assert post_hacp(au, command=command, session_id=sid)["error"] == "0"


def test_field_names_in_any_case_and_the_command_last(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    body = urlencode(
        {
            "SESSION_ID": sid,
            "Version": "3.5",
            "AICC_DATA": put_data(status="c,l", time="00:01:00"),
            "Command": "putparam",
        }
    )

    response = au.post(HACP_PATH, body, content_type="application/x-www-form-urlencoded")

    assert hacp_reply(response.content.decode())["error"] == "0"
    assert (fresh(state).lesson_status, fresh(state).exit_mode) == ("completed", "logout")


def test_a_session_id_encoded_twice_is_accepted(au, learner, course):
    sid, _ = open_session(learner, course)
    once = "".join(f"%{ord(char):02X}" for char in sid)  # every character escaped...
    body = f"command=GetParam&version=3.5&session_id={once.replace('%', '%25')}"  # ...and escaped again

    response = au.post(HACP_PATH, body, content_type="application/x-www-form-urlencoded")

    assert hacp_reply(response.content.decode())["error"] == "0"


def test_a_multipart_form_is_read_too(au, learner, course):
    sid, _ = open_session(learner, course)

    response = au.post(HACP_PATH, {"Command": "GetParam", "Session_ID": sid})  # the test client sends multipart

    assert hacp_reply(response.content.decode())["error"] == "0"


def test_lesson_status_letters_and_a_crlf_before_core(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    reply = post_hacp(
        au, command="putparam", session_id=sid, aicc_data="\r\n[CORE]\r\nlesson_status=I,S\r\nlesson_location=7\r\n"
    )

    assert reply["error"] == "0"
    assert (fresh(state).lesson_status, fresh(state).exit_mode, fresh(state).location) == ("incomplete", "suspend", "7")


def test_an_empty_status_and_score_change_nothing(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="i", score="50")

    put_param(au, sid, status="", score="", location="p4")

    state = fresh(state)
    assert (state.lesson_status, state.score_raw, state.location) == ("incomplete", Decimal(50), "p4")


def test_raw_core_values_and_groups_are_kept_for_the_admin(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    post_hacp(
        au,
        command="PutParam",
        session_id=sid,
        aicc_data=(
            "[Core]\r\nLesson_Status=p\r\nScore=90\r\nTime=00:00:10\r\n[Comments]\r\nGreat course\r\n"
            "[Objectives_Status]\r\nJ_ID.1=o1\r\nJ_Status.1=p\r\n[Student_Preferences]\r\nAudio=0\r\n"
        ),
    )

    assert fresh(state).data == {
        "core.lesson_status": "p",
        "core.score": "90",
        "core.time": "00:00:10",
        "comments": "Great course",
        "objectives_status": {"j_id.1": "o1", "j_status.1": "p"},
        "student_preferences": {"audio": "0"},
    }


@pytest.mark.parametrize(
    ("command", "key"),
    [
        ("PutInteractions", "interaction_records"),
        ("PutObjectives", "objective_records"),
        ("PutPath", "path_records"),
        ("PutPerformance", "performance_records"),
        ("PutComments", "comment_records"),
    ],
)
def test_optional_commands_accumulate_their_tables(au, learner, course, command, key):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    table = '"course_id","student_id","interaction_id","result"\r\n"C1","lena","q{n}","C"\r\n'

    first = post_hacp(au, command=command, session_id=sid, aicc_data=table.format(n=1))
    second = post_hacp(au, command=command.upper(), session_id=sid, aicc_data=table.format(n=2))

    assert first == second == {"error": "0", "error_text": "Successful", "aicc_data": ""}
    assert fresh(state).data == {
        key: {
            "columns": ["course_id", "student_id", "interaction_id", "result"],
            "rows": [["C1", "lena", "q1", "C"], ["C1", "lena", "q2", "C"]],
        }
    }


def test_a_table_with_a_new_column_widens_the_older_rows(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    post_hacp(au, command="PutInteractions", session_id=sid, aicc_data="interaction_id,result\r\nq1,C\r\n")
    post_hacp(
        au, command="PutInteractions", session_id=sid, aicc_data="interaction_id,latency,result\r\nq2,00:00:05,W\r\n"
    )

    assert fresh(state).data["interaction_records"] == {
        "columns": ["interaction_id", "result", "latency"],
        "rows": [["q1", "C", ""], ["q2", "W", "00:00:05"]],
    }


def test_a_table_keeps_the_newest_rows(au, learner, course, monkeypatch):
    from coursebridge.content import aicc_runtime

    monkeypatch.setattr(aicc_runtime, "TABLE_ROWS_KEPT", 3)
    sid, state = open_session(learner, course)
    get_param(au, sid)

    for n in range(5):
        post_hacp(au, command="PutPath", session_id=sid, aicc_data=f"step\r\n{n}\r\n")

    assert fresh(state).data["path_records"] == {"columns": ["step"], "rows": [["2"], ["3"], ["4"]]}


def test_comments_that_are_not_a_table_are_kept_as_text(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    post_hacp(au, command="PutComments", session_id=sid, aicc_data="Nice course")

    assert fresh(state).data == {"comment_records": {"columns": ["text"], "rows": [["Nice course"]]}}


def test_a_nul_in_the_message_is_dropped_not_stored(au, learner, course):
    """PostgreSQL stores no NUL in text or JSON: a message carrying one was a server error there."""
    sid, state = open_session(learner, course)
    get_param(au, sid)

    reply = post_hacp(au, command="PutComments", session_id=sid, aicc_data="Nice\x00 course\x00")

    assert reply["error"] == "0"
    assert fresh(state).data == {"comment_records": {"columns": ["text"], "rows": [["Nice course"]]}}


# --- order rules and error codes --------------------------------------------------------------------


def test_an_unknown_or_missing_command_is_error_1(au, learner, course):
    sid, _ = open_session(learner, course)

    assert post_hacp(au, command="GetParams", session_id=sid) == {"error": "1", "error_text": "Invalid Command"}
    assert post_hacp(au, session_id=sid) == {"error": "1", "error_text": "Invalid Command"}


def test_an_unknown_or_missing_session_is_error_3(au):
    assert post_hacp(au, command="GetParam", session_id="0" * 32) == {"error": "3", "error_text": "Invalid Session ID"}
    assert post_hacp(au, command="GetParam")["error"] == "3"
    assert post_hacp(au, command="GetParam", session_id="x" * 500)["error"] == "3"


@pytest.mark.parametrize("command", ["PutParam", "ExitAU", "PutComments", "PutInteractions"])
def test_getparam_comes_first(au, learner, course, command):
    sid, state = open_session(learner, course)

    reply = post_hacp(au, command=command, session_id=sid, aicc_data=put_data(status="passed", time="00:01:00"))

    assert reply == {"error": "1", "error_text": "Invalid Command"}
    assert (fresh(state).lesson_status, fresh(state).total_time_seconds, fresh(state).data) == ("not attempted", 0, {})


def test_at_least_one_putparam_before_exitau(au, learner, course):
    sid, _ = open_session(learner, course)
    get_param(au, sid)

    assert exit_au(au, sid)["error"] == "1"
    put_param(au, sid, status="i")
    assert exit_au(au, sid)["error"] == "0"


@pytest.mark.parametrize("command", ["GetParam", "PutParam", "ExitAU", "PutComments", "PutPath"])
def test_nothing_is_accepted_after_exitau(au, learner, course, command):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete", time="00:01:00")
    exit_au(au, sid)

    reply = post_hacp(au, command=command, session_id=sid, aicc_data=put_data(status="passed", time="00:09:00"))

    assert reply == {"error": "3", "error_text": "Invalid Session ID"}
    assert (fresh(state).lesson_status, fresh(state).total_time_seconds) == ("incomplete", 60)


def test_a_session_idle_for_more_than_a_day_is_refused(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    idle = timezone.now() - timedelta(hours=24, seconds=5)
    AiccSession.objects.filter(sid_hash=sid_hash(sid)).update(last_seen_at=idle)

    assert put_param(au, sid, status="passed")["error"] == "3"
    assert fresh(state).lesson_status == "not attempted"


def test_each_message_keeps_the_session_alive(au, learner, course):
    sid, _ = open_session(learner, course)
    AiccSession.objects.filter(sid_hash=sid_hash(sid)).update(last_seen_at=timezone.now() - timedelta(hours=23))

    get_param(au, sid)

    seen = AiccSession.objects.get(sid_hash=sid_hash(sid)).last_seen_at
    assert timezone.now() - seen < timedelta(minutes=1)


def test_an_au_with_a_password_needs_it(au, group, learner):
    course, _, _ = package_course(group, au_password="opensesame")
    sid, state = open_session(learner, course)

    assert get_param(au, sid) == {"error": "2", "error_text": "Invalid AU password"}
    assert get_param(au, sid, AU_password="wrong")["error"] == "2"
    assert get_param(au, sid, au_password="opensesame")["error"] == "0"
    assert (
        post_hacp(au, command="PutParam", session_id=sid, AU_PASSWORD="opensesame", aicc_data=put_data(status="c"))[
            "error"
        ]
        == "0"
    )
    assert fresh(state).lesson_status == "completed"


def test_an_au_without_a_password_ignores_one_sent(au, learner, course):
    sid, _ = open_session(learner, course)

    assert get_param(au, sid, au_password="anything")["error"] == "0"


def test_the_error_codes_come_in_order_command_then_session_then_password(au, group, learner):
    course, _, _ = package_course(group, au_password="pw")
    sid, _ = open_session(learner, course)

    assert post_hacp(au, command="Nope", session_id="unknown")["error"] == "1"
    assert post_hacp(au, command="GetParam", session_id="unknown")["error"] == "3"
    assert post_hacp(au, command="GetParam", session_id=sid)["error"] == "2"


# --- time and completions ----------------------------------------------------------------------------


def test_repeated_putparams_add_only_the_increase_of_the_session_time(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    for time in ("00:01:00", "00:01:00", "00:03:00", "00:02:00", "", "bogus", "00:04:30"):
        put_param(au, sid, status="incomplete", time=time)

    assert fresh(state).total_time_seconds == 270
    assert Attempt.objects.get(pk=state.attempt_id).time_spent_seconds == 270


def test_the_time_of_every_session_adds_up(au, learner, course):
    from coursebridge.content.aicc_runtime import new_session

    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete", time="00:10:00")
    exit_au(au, sid)
    second = new_session(state=fresh(state))
    get_param(au, second)
    put_param(au, second, status="incomplete", time="00:05:00")

    assert fresh(state).total_time_seconds == 900
    assert core_of(get_param(au, second)["aicc_data"])["Time"] == "00:15:00"


def test_two_tabs_count_their_own_time(au, learner, course):
    from coursebridge.content.aicc_runtime import new_session

    sid, state = open_session(learner, course)
    other = new_session(state=state)
    get_param(au, sid)
    get_param(au, other)

    put_param(au, sid, status="incomplete", time="00:02:00")
    put_param(au, other, status="incomplete", time="00:03:00")
    put_param(au, sid, status="incomplete", time="00:02:30")

    assert fresh(state).total_time_seconds == 330
    assert fresh(state).sessions == 2


def test_a_completion_is_never_lost_to_a_late_or_repeated_putparam(au, learner, course):
    from coursebridge.content.aicc_runtime import new_session

    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="completed", score="70", time="00:04:00")
    put_param(au, sid, status="incomplete", time="00:04:00")
    put_param(au, sid, status="not attempted")
    other = new_session(state=fresh(state))  # a second tab, or a reload
    get_param(au, other)
    put_param(au, other, status="browsed,suspend")

    state = fresh(state)
    assert state.lesson_status == "completed"
    assert state.progress == 100
    assert Attempt.objects.get(pk=state.attempt_id).status == "completed"
    assert core_of(get_param(au, other)["aicc_data"])["Lesson_Status"] == "completed, resume"


def test_a_mastery_score_turns_completed_into_passed_or_failed(au, group):
    course, _, _ = package_course(group, mastery=Decimal(80))
    passing = learner_in(group)
    failing = learner_in(group)
    unscored = learner_in(group)
    results = {}
    for person, score in ((passing, "80"), (failing, "79.99"), (unscored, "")):
        sid, state = open_session(person, course)
        get_param(au, sid)
        put_param(au, sid, status="completed", score=score)
        results[person.pk] = fresh(state).lesson_status

    assert results == {passing.pk: "passed", failing.pk: "failed", unscored.pk: "completed"}


def test_the_mastery_score_uses_an_earlier_score_when_completion_comes_alone(au, group, learner):
    course, _, _ = package_course(group, mastery=Decimal(60))
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete", score="75")

    put_param(au, sid, status="c")

    assert fresh(state).lesson_status == "passed"
    assert core_of(get_param(au, sid)["aicc_data"])["Lesson_Status"] == "passed"


def test_an_explicit_pass_or_fail_is_kept_whatever_the_mastery_score(au, group):
    course, _, _ = package_course(group, mastery=Decimal(80))
    first, second = learner_in(group), learner_in(group)
    sid_one, state_one = open_session(first, course)
    sid_two, state_two = open_session(second, course)
    for sid in (sid_one, sid_two):
        get_param(au, sid)

    put_param(au, sid_one, status="passed", score="10")
    put_param(au, sid_two, status="failed", score="95")

    assert (fresh(state_one).lesson_status, fresh(state_two).lesson_status) == ("passed", "failed")


def test_a_score_with_max_and_min_rolls_up_as_a_percentage(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)

    put_param(au, sid, status="passed", score="15,20,0")

    assert Attempt.objects.get(pk=state.attempt_id).score == Decimal("75.00")


# --- isolation -----------------------------------------------------------------------------------------


def test_a_session_only_ever_writes_its_own_unit_state(au, group):
    """Sessions of two academies: each sid reaches its own learner's state, never the other's."""
    other_group = GroupFactory(academy=AcademyFactory(slug="elsewhere"), name="Ops")
    mine, _, _ = package_course(group)
    theirs, _, _ = package_course(other_group)
    sid_a, state_a = open_session(learner_in(group), mine)
    sid_b, state_b = open_session(learner_in(other_group), theirs)
    get_param(au, sid_a)
    get_param(au, sid_b)

    put_param(au, sid_a, status="passed", score="99", time="00:01:00")

    assert (fresh(state_a).lesson_status, fresh(state_b).lesson_status) == ("passed", "not attempted")
    assert fresh(state_b).total_time_seconds == 0


def test_academy_b_session_data_is_useless_to_anyone_else(au, group):
    """What another academy's admin could learn of B's session (its stored hash, its row id, the
    unit state id) is not a session id: every command answers error 3, signed in or not, and B's
    learner record does not change."""
    other_group = GroupFactory(academy=AcademyFactory(slug="zz-beta"), name="Beta")
    theirs, _, _ = package_course(other_group)
    sid_b, state_b = open_session(learner_in(other_group), theirs)
    session_b = AiccSession.objects.get(sid_hash=sid_hash(sid_b))
    admin_a = training_admin_of(group.academy)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(admin_a)

    for client in (au, signed_in):
        for guess in (session_b.sid_hash, str(session_b.pk), str(state_b.pk), sid_b.upper(), sid_b[:-1], ""):
            for command in ("GetParam", "PutParam", "ExitAU"):
                reply = post_hacp(client, command=command, session_id=guess, aicc_data=put_data(status="failed"))
                assert reply == {"error": "3", "error_text": "Invalid Session ID"}, (guess, command)

    assert fresh(state_b).lesson_status == "not attempted"
    assert AiccSession.objects.get(pk=session_b.pk).got_params is False


# --- HTTP ------------------------------------------------------------------------------------------------


def test_get_answers_a_clear_hacp_error(au):
    response = au.get(HACP_PATH)

    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.content.decode().startswith("error=1\r\nerror_text=Invalid Command\r\n")
    assert "sent with POST" in response.content.decode()


def test_cors_preflight_and_headers(au, learner, course):
    sid, _ = open_session(learner, course)

    preflight = au.options(
        HACP_PATH, headers={"Origin": "https://content.example.net", "Access-Control-Request-Method": "POST"}
    )
    answer = au.post(HACP_PATH, {"command": "GetParam", "session_id": sid}, headers={"Origin": "https://x.example"})

    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert preflight["Access-Control-Allow-Headers"] == "Content-Type"
    assert preflight["Access-Control-Max-Age"] == "86400"
    for response in (preflight, answer):
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
    assert "Access-Control-Allow-Methods" not in answer  # read on the preflight only
    assert "X-Frame-Options" not in answer  # form-posting AUs read the reply in a hidden frame
    assert answer["Cache-Control"] == "no-store"
    assert not answer.cookies


def test_the_endpoint_sets_no_cookie_and_needs_none(au, learner, course):
    sid, _ = open_session(learner, course)

    response = au.post(
        HACP_PATH,
        urlencode({"command": "getparam", "session_id": sid}),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response


def test_aicc_data_is_never_logged(au, learner, course, caplog):
    sid, _ = open_session(learner, course)
    caplog.set_level("DEBUG")

    get_param(au, sid)
    put_param(au, sid, status="passed", location="secret-location", lesson="secret-suspend")
    post_hacp(au, command="PutParam", session_id="unknown", aicc_data="[Core]\r\nLesson_Location=secret-location")

    assert "secret" not in caplog.text
    assert sid not in caplog.text


# --- never an exception ---------------------------------------------------------------------------------

COMMANDS = st.sampled_from(["GetParam", "PutParam", "ExitAU", "PutComments", "PutInteractions", "PutPath", "x", ""])
AICC = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "[Core]",
                "[Core_Lesson]",
                "[Comments]",
                "Lesson_Status=",
                "Score=",
                "Time=",
                "=",
                ",",
                "\r\n",
                "00:01:00",
                "p,s",
                "80,100,0",
                "999999999",
                "-5",
                "1e9",
            ]
        ),
        st.text(max_size=20),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_message_gets_a_valid_reply(learner, course, data):
    sid, state = open_session(learner, course)
    session_id = data.draw(st.one_of(st.just(sid), st.text(max_size=40)))
    fields = {
        data.draw(st.sampled_from(["command", "Command", "COMMAND"])): data.draw(COMMANDS),
        "session_id": session_id,
        data.draw(st.sampled_from(["aicc_data", "AICC_DATA"])): data.draw(AICC),
        "version": data.draw(st.text(max_size=5)),
    }
    if data.draw(st.booleans()):
        hacp_handle(urlencode({"command": "GetParam", "session_id": sid}))

    reply = hacp_reply(hacp_handle(urlencode(fields).encode()))

    assert reply["error"] in {"0", "1", "2", "3"}
    assert reply["error_text"] == hacp.ERROR_TEXTS[int(reply["error"])]
    assert ("aicc_data" in reply) == (reply["error"] == "0")
    fresh_state = fresh(state)
    assert 0 <= fresh_state.progress <= 100
    assert fresh_state.total_time_seconds <= hacp.MAX_SECONDS


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_get_a_valid_reply(body):
    reply = hacp_reply(hacp_handle(body))

    assert reply in (
        {"error": "1", "error_text": "Invalid Command"},
        {"error": "3", "error_text": "Invalid Session ID"},
    )


def test_a_report_that_rolls_nothing_up_merges_raw_data_and_adds_time_everywhere(au, learner, course):
    """Most PutParams (bookmark, suspend data, clock) take the short path: it must leave what the
    full one would: earlier raw values kept, new ones set, time on the unit, attempt and enrollment."""
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="incomplete", score="40", location="p1", time="00:01:00")
    before = fresh(state).updated_at

    reply = post_hacp(
        au, command="PutParam", session_id=sid,
        aicc_data="[Core]\r\nLesson_Location=p2\r\nLesson_Status=i,suspend\r\nScore=40\r\nTime=00:01:30\r\n"
                  "[Core_Lesson]\r\nq1=a;q2=b\r\n[Comments]\r\nHalfway",
    )

    assert reply["error"] == "0"
    state = fresh(state)
    assert (state.location, state.exit_mode, state.suspend_data) == ("p2", "suspend", "q1=a;q2=b")
    assert (state.lesson_status, state.score_raw, state.total_time_seconds) == ("incomplete", Decimal(40), 90)
    assert state.updated_at > before
    assert state.data == {
        "core.lesson_location": "p2", "core.lesson_status": "i,suspend", "core.score": "40",
        "core.time": "00:01:30", "comments": "Halfway",
    }
    attempt = Attempt.objects.get(pk=state.attempt_id)
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (attempt.time_spent_seconds, attempt.time_source, attempt.score) == (90, "measured", Decimal("40.00"))
    assert (enrollment.time_spent_seconds, enrollment.status, enrollment.score) == (90, "in_progress", Decimal("40.00"))
    assert attempt.last_activity_at == enrollment.last_activity_at
    assert attempt.last_activity_at >= before


def test_a_lesser_status_or_the_same_score_after_a_completion_changes_no_outcome(au, learner, course):
    sid, state = open_session(learner, course)
    get_param(au, sid)
    put_param(au, sid, status="passed", score="90", time="00:02:00")

    put_param(au, sid, status="incomplete", score="90", location="end", time="00:03:00")

    state = fresh(state)
    assert (state.lesson_status, state.progress, state.location, state.total_time_seconds) == (
        "passed", 100, "end", 180)
    attempt = Attempt.objects.get(pk=state.attempt_id)
    assert (attempt.status, attempt.progress, attempt.score, attempt.time_spent_seconds) == (
        "passed", 100, Decimal("90.00"), 180)
