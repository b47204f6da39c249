from coursebridge.web.templatetags.web_ui import minutes, seconds, status_class, summary


def test_minutes_read_as_hours_and_minutes():
    assert [minutes(None), minutes(0), minutes(45), minutes(60), minutes(90), minutes(605)] == [
        "", "0 min", "45 min", "1 h", "1 h 30 min", "10 h 05 min",
    ]


def test_seconds_read_as_time_spent():
    assert [seconds(0), seconds(None), seconds(40), seconds(60), seconds(3900)] == [
        "0 min", "0 min", "40 s", "1 min", "1 h 05 min",
    ]


def test_summary_is_plain_text_cut_at_a_word():
    assert summary("<p>Leading <b>teams</b> well</p>", 15) == "Leading teams…"
    assert summary("<p>Short</p>") == "Short"


def test_status_class():
    assert status_class("in_progress") == "status-in-progress"
    assert status_class("") == "status-none"
