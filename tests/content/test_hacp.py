"""The HACP wire protocol: request and aicc_data parsing, the value formats, and the replies."""

from dataclasses import replace
from decimal import Decimal
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from coursebridge.content import hacp
from tests.content.tracking_helpers import hacp_reply

# --- requests ------------------------------------------------------------------------------------


def test_a_request_reads_its_fields_whatever_their_case_and_order():
    body = "AICC_DATA=%5BCore%5D%0D%0ALesson_Status%3Dp&Session_ID=abc123&VERSION=3.5&Command=PutParam"

    request = hacp.parse_request(body.encode())

    assert request == hacp.HacpRequest(
        command="putparam", version="3.5", session_id="abc123", au_password="", aicc_data="[Core]\r\nLesson_Status=p"
    )


def test_a_command_value_is_compared_in_lower_case_and_trimmed():
    assert hacp.parse_request("command=%20GETPARAM%20&session_id=x").command == "getparam"
    assert hacp.parse_request("command=ExitAu").command == "exitau"


def test_a_session_id_encoded_twice_is_decoded_twice():
    sid = "ab+cd/ef=="
    once = quote(sid, safe="")

    request = hacp.parse_request(f"command=getparam&session_id={quote(once, safe='')}&version=3%252E5")

    assert request.session_id == sid
    assert request.version == "3.5"


def test_a_request_without_fields_has_an_empty_command():
    assert hacp.parse_request(b"") == hacp.HacpRequest(command="")
    assert hacp.parse_request(b"\xff\xfe garbage").command == ""


def test_the_first_of_a_repeated_field_counts():
    assert hacp.parse_request("command=getparam&COMMAND=exitau").command == "getparam"


def test_the_au_password_field_is_read_in_any_case():
    assert hacp.parse_request("command=getparam&AU_Password=s3cret").au_password == "s3cret"


def test_request_from_fields_lowers_the_names():
    request = hacp.request_from_fields({"Command": "GetParam", "SESSION_ID": "x", "Aicc_Data": "[core]"})

    assert request == hacp.HacpRequest(command="getparam", session_id="x", aicc_data="[core]")


# --- aicc_data ------------------------------------------------------------------------------------


def test_core_keys_are_read_in_any_case_and_order_with_crlf_or_lf():
    crlf = hacp.parse_aicc_data("[CORE]\r\nTIME=00:01:00\r\nlesson_status=c\r\nScore = 80 \r\nLesson_Location=p3")
    lf = hacp.parse_aicc_data("[core]\nlesson_location=p3\nscore=80\nLESSON_STATUS=c\ntime=00:01:00\n")

    expected = {"time": "00:01:00", "lesson_status": "c", "score": "80", "lesson_location": "p3"}
    assert crlf.core == expected
    assert lf.core == expected


def test_a_line_break_before_the_core_group_is_ignored():
    data = hacp.parse_aicc_data("\r\n\r\n[Core]\r\nLesson_Status=i\r\n")

    assert data.core == {"lesson_status": "i"}


def test_core_lesson_keeps_every_line_up_to_the_next_group():
    data = hacp.parse_aicc_data(
        "[Core]\r\nLesson_Status=i\r\n[Core_Lesson]\r\npage=4\r\nanswers=a,b;c\r\n\r\nlast line\r\n[Comments]\r\nnice"
    )

    assert data.group("core_lesson") == "page=4\r\nanswers=a,b;c\r\n\r\nlast line"
    assert data.group("comments") == "nice"
    assert data.core == {"lesson_status": "i"}


def test_core_lesson_at_the_end_without_a_line_break():
    data = hacp.parse_aicc_data("[Core]\r\nScore=1\r\n[Core_Lesson]\r\nslide=7")

    assert data.group("core_lesson") == "slide=7"


def test_an_empty_core_lesson_is_present_but_empty_and_an_absent_one_is_none():
    assert hacp.parse_aicc_data("[Core]\r\n[Core_Lesson]\r\n").group("core_lesson") == ""
    assert hacp.parse_aicc_data("[Core]\r\nScore=1").group("core_lesson") is None


def test_keyword_groups_are_read_as_pairs():
    data = hacp.parse_aicc_data(
        "[Core]\r\n[Objectives_Status]\r\nJ_ID.1=obj1\r\nJ_Score.1=80\r\nJ_Status.1=p\r\n"
        "[Student_Preferences]\r\nAudio=0\r\nSpeed=100"
    )

    assert data.pairs("objectives_status") == {"j_id.1": "obj1", "j_score.1": "80", "j_status.1": "p"}
    assert data.pairs("student_preferences") == {"audio": "0", "speed": "100"}
    assert data.pairs("student_demographics") == {}


def test_text_without_groups_has_no_core():
    assert hacp.parse_aicc_data("Lesson_Status=passed") == hacp.AiccData(groups={}, core={})


def test_group_names_are_case_insensitive_and_may_be_padded():
    data = hacp.parse_aicc_data(" [ core_LESSON ] \r\nabc")

    assert data.groups == {"core_lesson": "abc"}


# --- values ---------------------------------------------------------------------------------------


def test_lesson_status_full_words_and_first_letters():
    for word in ("passed", "completed", "failed", "incomplete", "browsed", "not attempted"):
        assert hacp.parse_lesson_status(word) == (word, None)
        assert hacp.parse_lesson_status(word.upper()) == (word, None)
        assert hacp.parse_lesson_status(word[0]) == (word, None)
        assert hacp.parse_lesson_status(word[0].upper()) == (word, None)


def test_lesson_status_exit_suffixes():
    assert hacp.parse_lesson_status("incomplete,suspend") == ("incomplete", "suspend")
    assert hacp.parse_lesson_status("i, s") == ("incomplete", "suspend")
    assert hacp.parse_lesson_status("Passed, Logout") == ("passed", "logout")
    assert hacp.parse_lesson_status("c,l") == ("completed", "logout")
    assert hacp.parse_lesson_status("f,time-out") == ("failed", "time-out")
    assert hacp.parse_lesson_status("f,t") == ("failed", "time-out")


def test_lesson_status_that_is_not_understood_is_none():
    assert hacp.parse_lesson_status("") == (None, None)
    assert hacp.parse_lesson_status("done") == (None, None)
    assert hacp.parse_lesson_status("x,s") == (None, "suspend")
    # An entry echoed back from GetParam is not an exit.
    assert hacp.parse_lesson_status("not attempted, ab-initio") == ("not attempted", None)
    assert hacp.parse_lesson_status("incomplete, resume") == ("incomplete", None)


def test_lesson_status_tolerates_extra_spaces_inside_not_attempted():
    assert hacp.parse_lesson_status("  Not   Attempted ") == ("not attempted", None)


def test_score_raw_max_min():
    assert hacp.parse_score("80") == hacp.Score(raw=Decimal("80.0000"))
    assert hacp.parse_score("80,100") == hacp.Score(raw=Decimal(80), max=Decimal(100))
    assert hacp.parse_score(" 66.67 , 100 , 0 ") == hacp.Score(raw=Decimal("66.67"), max=Decimal(100), min=Decimal(0))


def test_score_keeps_max_only_at_least_raw_and_min_only_at_most_raw():
    assert hacp.parse_score("80,50,0") == hacp.Score(raw=Decimal(80), max=None, min=Decimal(0))
    assert hacp.parse_score("80,100,90") == hacp.Score(raw=Decimal(80), max=Decimal(100), min=None)
    assert hacp.parse_score("80,,10") == hacp.Score(raw=Decimal(80), max=None, min=Decimal(10))


def test_score_that_is_not_a_number_is_none():
    for value in ("", " ", "abc", "NaN", "Infinity", "1e400", "100000", "-100000", ",100"):
        assert hacp.parse_score(value) is None, value


def test_score_decimals_are_kept_to_four_places():
    assert hacp.parse_score("33.333333") == hacp.Score(raw=Decimal("33.3333"))


def test_time_formats():
    assert hacp.parse_time("00:00:00") == 0
    assert hacp.parse_time("01:02:03") == 3723
    assert hacp.parse_time("1:02:03.25") == 3723
    assert hacp.parse_time("0000:10:00.5") == 600
    assert hacp.parse_time("123:00:00") == 123 * 3600
    assert hacp.parse_time(" 00:00:07 ") == 7


def test_time_that_is_not_a_time_is_none_and_a_huge_one_is_capped():
    for value in ("", "10", "00:60:00", "00:00:60", "aa:bb:cc", "-01:00:00", "01:00"):
        assert hacp.parse_time(value) is None, value
    assert hacp.parse_time("999999:59:59") == hacp.MAX_SECONDS


def test_format_time():
    assert hacp.format_time(0) == "00:00:00"
    assert hacp.format_time(3723) == "01:02:03"
    assert hacp.format_time(200 * 3600 + 5) == "200:00:05"
    assert hacp.format_time(10**9) == "9999:59:59"


def test_format_score():
    assert hacp.format_score(None) == ""
    assert hacp.format_score(Decimal("80.0000")) == "80"
    assert hacp.format_score(Decimal("66.6700"), Decimal("100.0000"), Decimal("0.0000")) == "66.67,100,0"
    assert hacp.format_score(Decimal(5), None, Decimal(0)) == "5"
    assert hacp.format_score(Decimal("1E+2")) == "100"


def test_tables_of_the_optional_commands():
    text = (
        '"course_id","student_id","lesson_id","date","time","interaction_id","result"\r\n'
        '"C1","lena","A1","2026/01/05","10:00:00","q1","C"\r\n'
        '"C1","lena","A1","2026/01/05","10:01:00","q2","W"\r\n'
        "\r\n"
    )

    rows = hacp.parse_table(text)

    assert rows == [
        {
            "course_id": "C1",
            "student_id": "lena",
            "lesson_id": "A1",
            "date": "2026/01/05",
            "time": "10:00:00",
            "interaction_id": "q1",
            "result": "C",
        },
        {
            "course_id": "C1",
            "student_id": "lena",
            "lesson_id": "A1",
            "date": "2026/01/05",
            "time": "10:01:00",
            "interaction_id": "q2",
            "result": "W",
        },
    ]


def test_a_table_row_longer_than_its_header_names_the_extra_cells():
    assert hacp.parse_table("a,b\n1,2,3") == [{"a": "1", "b": "2", "column_3": "3"}]


def test_a_table_keeps_at_most_the_limit():
    text = "n\n" + "\n".join(str(i) for i in range(10))

    assert hacp.parse_table(text, limit=3) == [{"n": "0"}, {"n": "1"}, {"n": "2"}]


def test_an_empty_table_or_a_header_alone_has_no_rows():
    assert hacp.parse_table("") == []
    assert hacp.parse_table("a,b,c\r\n") == []


# --- replies --------------------------------------------------------------------------------------


def test_replies_are_crlf_lines_with_the_canonical_texts():
    assert hacp.response(0) == "error=0\r\nerror_text=Successful\r\naicc_data=\r\n"
    assert hacp.response(1) == "error=1\r\nerror_text=Invalid Command\r\n"
    assert hacp.response(2) == "error=2\r\nerror_text=Invalid AU password\r\n"
    assert hacp.response(3) == "error=3\r\nerror_text=Invalid Session ID\r\n"
    assert hacp.response(0, "[Core]\r\nA=1") == "error=0\r\nerror_text=Successful\r\naicc_data=\r\n[Core]\r\nA=1\r\n"


def full_learner(**changes) -> hacp.LearnerData:
    learner = hacp.LearnerData(
        student_id="lena",
        student_name="Berg, Lena",
        lesson_location="slide 4",
        lesson_status="incomplete",
        entry="resume",
        score_raw=Decimal("72.5000"),
        score_max=Decimal("100.0000"),
        score_min=Decimal("0.0000"),
        total_seconds=3723,
        suspend_data="q1=a\r\nq2=b",
        core_vendor="lang=en",
        course_id="COURSE-1",
        mastery_score=Decimal("80.00"),
        max_time_allowed="00:30:00",
        time_limit_action="C,N",
    )
    return replace(learner, **changes)


def both(key: str, value: str) -> list[str]:
    """A keyword line in the standard's spelling, then in lower case."""
    return [f"{key}={value}", f"{key.lower()}={value}"]


def test_getparam_data_lists_every_group_in_order_with_keywords_in_both_spellings():
    text = hacp.getparam_data(full_learner())

    assert text == "\r\n".join(
        [
            "[Core]",
            *both("Student_ID", "lena"),
            *both("Student_Name", "Berg, Lena"),
            *both("Lesson_Location", "slide 4"),
            *both("Credit", "credit"),
            *both("Lesson_Status", "incomplete, resume"),
            *both("Score", "72.5,100,0"),
            *both("Time", "01:02:03"),
            *both("Lesson_Mode", "normal"),
            "[Core_Lesson]",
            "q1=a",
            "q2=b",
            "[Core_Vendor]",
            "lang=en",
            "[Evaluation]",
            *both("Course_ID", "COURSE-1"),
            "[Student_Data]",
            *both("Mastery_Score", "80"),
            *both("Max_Time_Allowed", "00:30:00"),
            *both("Time_Limit_Action", "C,N"),
        ]
    )


def test_getparam_data_of_a_first_launch():
    text = hacp.getparam_data(hacp.LearnerData(student_id="lena", student_name="Berg, Lena"))

    assert "Lesson_Status=not attempted, ab-initio\r\n" in text
    assert "\r\nScore=\r\nscore=\r\n" in text
    assert "Time=00:00:00\r\n" in text
    assert "[Core_Lesson]\r\n[Core_Vendor]\r\n[Evaluation]" in text
    assert text.endswith("max_time_allowed=\r\nTime_Limit_Action=\r\ntime_limit_action=")


def test_getparam_status_without_an_entry_has_no_comma():
    assert "Lesson_Status=completed\r\n" in hacp.getparam_data(full_learner(lesson_status="completed", entry=""))


def test_values_cannot_break_lines_or_open_groups():
    text = hacp.getparam_data(
        full_learner(
            lesson_location="p1\r\nScore=100",
            student_name="Evil\nName",
            suspend_data="ok\r\n[Core]\r\nScore=100",
        )
    )

    assert "Lesson_Location=p1 Score=100\r\nlesson_location=p1 Score=100\r\n" in text
    assert "Student_Name=Evil Name\r\n" in text
    assert "[Core_Lesson]\r\nok\r\n(Core)\r\nScore=100\r\n[Core_Vendor]" in text
    parsed = hacp.parse_aicc_data(text)
    assert parsed.core["score"] == "72.5,100,0"


def test_student_name_is_last_comma_first():
    assert hacp.student_name("Berg", "Lena", "lena") == "Berg, Lena"
    assert hacp.student_name("", "Lena", "lena") == "Lena"
    assert hacp.student_name("", "", "lena") == "lena"


def test_what_getparam_sends_is_what_putparam_reads_back():
    text = hacp.getparam_data(full_learner())
    data = hacp.parse_aicc_data(text)

    assert hacp.parse_lesson_status(data.core["lesson_status"]) == ("incomplete", None)
    assert hacp.parse_score(data.core["score"]) == hacp.Score(raw=Decimal("72.5"), max=Decimal(100), min=Decimal(0))
    assert hacp.parse_time(data.core["time"]) == 3723
    assert data.group("core_lesson") == "q1=a\r\nq2=b"


# --- never an exception ----------------------------------------------------------------------------

FIELD_NAMES = st.sampled_from(
    ["command", "COMMAND", "session_id", "Session_ID", "version", "aicc_data", "AICC_Data", "au_password", "other"]
)
AICC_TEXT = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "[Core]",
                "[CORE]",
                "[Core_Lesson]",
                "[Comments]",
                "[Objectives_Status]",
                "[",
                "]",
                "Lesson_Status=",
                "Score=",
                "Time=",
                "Lesson_Location=",
                "=",
                ",",
                "\r",
                "\n",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(FIELD_NAMES, st.one_of(st.text(max_size=40), AICC_TEXT)), max_size=8))
def test_any_form_parses_into_a_request(fields):
    from urllib.parse import urlencode

    request = hacp.parse_request(urlencode(fields).encode())

    assert isinstance(request.command, str)
    assert request.command == request.command.lower()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_into_a_request(body):
    assert isinstance(hacp.parse_request(body), hacp.HacpRequest)


@settings(max_examples=400, deadline=None)
@given(AICC_TEXT)
def test_any_aicc_data_parses_and_its_values_parse_or_are_none(text):
    data = hacp.parse_aicc_data(text)

    status, exit_mode = hacp.parse_lesson_status(data.core.get("lesson_status", ""))
    assert status is None or status in hacp.STATUS_WORDS
    assert exit_mode in {None, "suspend", "logout", "time-out"}
    score = hacp.parse_score(data.core.get("score", ""))
    assert score is None or abs(score.raw) < hacp.SCORE_LIMIT
    seconds = hacp.parse_time(data.core.get("time", ""))
    assert seconds is None or 0 <= seconds <= hacp.MAX_SECONDS
    assert isinstance(hacp.parse_table(text), list)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=200), st.integers(min_value=0, max_value=10**10))
def test_any_learner_data_gives_a_reply_that_reads_back(location, name, suspend, seconds):
    learner = full_learner(lesson_location=location, student_name=name, suspend_data=suspend, total_seconds=seconds)

    reply = hacp_reply(hacp.response(hacp.SUCCESS, hacp.getparam_data(learner)))

    assert reply["error"] == "0"
    data = hacp.parse_aicc_data(reply["aicc_data"])
    assert set(data.groups) == {"core", "core_lesson", "core_vendor", "evaluation", "student_data"}
    assert data.core["student_id"] == "lena"
    assert hacp.parse_time(data.core["time"]) == min(seconds, hacp.MAX_SECONDS)


PERCENT_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["%", "%4", "%41", "%e2%82%ac", "%C3", "%zz", "%%", "\\", "\\x41", "\\\\", "+", "&", "="]),
        st.text(max_size=6),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(PERCENT_TEXT)
def test_form_unquote_decodes_as_the_standard_library_does(text):
    from urllib.parse import unquote_plus

    assert hacp.form_unquote(text) == unquote_plus(text, errors="replace")


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=200), PERCENT_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_parse_request_reads_the_fields_the_standard_library_reads(body):
    from urllib.parse import parse_qsl

    expected: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace"):
        expected.setdefault(name.strip().lower(), value)

    request = hacp.parse_request(body)

    assert request.command == expected.get("command", "").strip().lower()
    assert request.au_password == expected.get("au_password", "")
    assert request.aicc_data == expected.get("aicc_data", "").replace("\x00", "")


def test_form_unquote_keeps_a_percent_that_starts_no_escape():
    assert hacp.form_unquote("50%+done%2C%zz%4") == "50% done,%zz%4"
    assert hacp.form_unquote("a\\x41%5C%41") == "a\\x41\\A"
