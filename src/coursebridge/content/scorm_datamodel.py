"""The SCORM run-time data models as content may write them: for SCORM 1.2 and SCORM 2004, every
element content can set, with the check its value must pass (vocabularies, types, lengths), and the
time formats (1.2 HHHH:MM:SS.SS time spans, 2004 ISO 8601 durations). Pure code: no Django, so the
same rules can check content anywhere. The player's API (static content/scorm-api.js) applies the
same rules in the browser, with the standard's error codes; the server checks again, because what a
browser posts is never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from coursebridge.core.errors import DomainError

SCORM12 = "scorm12"
SCORM2004 = "scorm2004"

# --- Value types --------------------------------------------------------------------------------------

# A check returns None for a valid value, else what the value must be (for the error message).
Check = Callable[[str], str | None]

_DECIMAL = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")
_TIMESPAN_12 = re.compile(r"^(\d{2,4}):(\d{2}):(\d{2})(\.\d{1,2})?$")
_TIME_12 = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$")
_DURATION_2004 = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d{1,2})?)S)?)?$"
)
# Some content writes "P0S" for an empty session; it is read as zero.
_ZERO_DURATION = re.compile(r"^P0+(\.0+)?S$")
_TIMESTAMP_2004 = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,2})?)?)?(Z|[+-]\d{2}(:\d{2})?)?)?)?)?$"
)
_LANGUAGE = re.compile(r"^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)?$")
_NAV_REQUEST = re.compile(
    r"^(continue|previous|exit|exitAll|abandon|abandonAll|suspendAll|_none_|\{target=[^{}\s]+\}(choice|jump))$"
)


def string(limit: int) -> Check:
    return lambda value: None if len(value) <= limit else f"at most {limit} characters"


def identifier(limit: int) -> Check:
    def check(value: str) -> str | None:
        if 0 < len(value) <= limit and not any(c.isspace() for c in value):
            return None
        return f"an identifier: 1 to {limit} characters without spaces"

    return check


def vocabulary(*words: str) -> Check:
    allowed = frozenset(words)
    expected = "one of " + ", ".join(f'"{w}"' for w in words)
    return lambda value: None if value in allowed else expected


def real(low: Decimal | None = None, high: Decimal | None = None, *, blank: bool = False) -> Check:
    if low is not None and high is not None:
        expected = f"a number from {low} to {high}"
    elif low is not None:
        expected = f"a number of at least {low}"
    else:
        expected = "a number"
    if blank:
        expected += ", or empty"

    def check(value: str) -> str | None:
        if value == "" and blank:
            return None
        if not _DECIMAL.match(value):
            return expected
        number = Decimal(value)
        return None if (low is None or number >= low) and (high is None or number <= high) else expected

    return check


def either(*checks: Check) -> Check:
    def check(value: str) -> str | None:
        problems = [check(value) for check in checks]
        return None if any(p is None for p in problems) else " or ".join(p for p in problems if p)

    return check


def pattern(regex: re.Pattern[str], expected: str) -> Check:
    return lambda value: None if regex.match(value) else expected


def timeinterval(value: str) -> str | None:
    if _ZERO_DURATION.match(value) or (_DURATION_2004.match(value) and value != "P" and not value.endswith("T")):
        return None
    return "an ISO 8601 duration such as PT1H30M5.5S"


# --- The data models: every element content may set, with the check its value must pass ----------

_STATUS_12 = ("passed", "completed", "failed", "incomplete", "browsed")
_INTERACTION_TYPES_12 = ("true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert",
                         "numeric")
_SCORE_12 = real(Decimal(0), Decimal(100), blank=True)
_N = r"\.(\d{1,5})\."

WRITABLE_12: list[tuple[re.Pattern[str], Check]] = [
    (re.compile(name), check) for name, check in [
        (r"cmi\.core\.lesson_location", string(255)),
        (r"cmi\.core\.lesson_status", vocabulary(*_STATUS_12)),
        (r"cmi\.core\.score\.(raw|min|max)", _SCORE_12),
        (r"cmi\.core\.exit", vocabulary("time-out", "suspend", "logout", "")),
        (r"cmi\.core\.session_time", pattern(_TIMESPAN_12, "a time span HHHH:MM:SS.SS")),
        (r"cmi\.suspend_data", string(4096)),
        (r"cmi\.comments", string(4096)),
        (rf"cmi\.objectives{_N}id", identifier(255)),
        (rf"cmi\.objectives{_N}score\.(raw|min|max)", _SCORE_12),
        (rf"cmi\.objectives{_N}status", vocabulary(*_STATUS_12, "not attempted")),
        (rf"cmi\.interactions{_N}id", identifier(255)),
        (rf"cmi\.interactions{_N}objectives{_N}id", identifier(255)),
        (rf"cmi\.interactions{_N}time", pattern(_TIME_12, "a time of day HH:MM:SS.SS")),
        (rf"cmi\.interactions{_N}type", vocabulary(*_INTERACTION_TYPES_12)),
        (rf"cmi\.interactions{_N}correct_responses{_N}pattern", string(255)),
        (rf"cmi\.interactions{_N}weighting", real()),
        (rf"cmi\.interactions{_N}student_response", string(255)),
        (rf"cmi\.interactions{_N}result", either(vocabulary("correct", "wrong", "unanticipated", "neutral"),
                                                 real())),
        (rf"cmi\.interactions{_N}latency", pattern(_TIMESPAN_12, "a time span HHHH:MM:SS.SS")),
    ]
]

_NAV = pattern(_NAV_REQUEST, "a navigation request: continue, previous, exit, exitAll, suspendAll, abandon, "
               "abandonAll, _none_, {target=ID}choice or {target=ID}jump")
_TIMESTAMP = pattern(_TIMESTAMP_2004, "an ISO 8601 time such as 2024-05-01T10:30:00Z")
_COMPLETION_2004 = ("completed", "incomplete", "not attempted", "unknown")
SUCCESS_2004 = ("passed", "failed", "unknown")
_INTERACTION_TYPES_2004 = ("true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
                           "sequencing", "likert", "numeric", "other")

WRITABLE_2004: list[tuple[re.Pattern[str], Check]] = [
    (re.compile(name), check) for name, check in [
        (r"cmi\.completion_status", vocabulary(*_COMPLETION_2004)),
        (r"cmi\.success_status", vocabulary(*SUCCESS_2004)),
        (r"cmi\.score\.scaled", real(Decimal(-1), Decimal(1))),
        (r"cmi\.score\.(raw|min|max)", real()),
        (r"cmi\.progress_measure", real(Decimal(0), Decimal(1))),
        (r"cmi\.location", string(1000)),
        (r"cmi\.suspend_data", string(64000)),
        (r"cmi\.session_time", timeinterval),
        (r"cmi\.exit", vocabulary("timeout", "suspend", "logout", "normal", "")),
        (r"adl\.nav\.request", _NAV),
        (r"cmi\.learner_preference\.(audio_level|delivery_speed)", real(Decimal(0))),
        (r"cmi\.learner_preference\.language", pattern(_LANGUAGE, "a language code such as en-US, or empty")),
        (r"cmi\.learner_preference\.audio_captioning", vocabulary("-1", "0", "1")),
        (rf"cmi\.comments_from_learner{_N}comment", string(4000)),
        (rf"cmi\.comments_from_learner{_N}location", string(250)),
        (rf"cmi\.comments_from_learner{_N}timestamp", _TIMESTAMP),
        (rf"cmi\.objectives{_N}id", identifier(4000)),
        (rf"cmi\.objectives{_N}score\.scaled", real(Decimal(-1), Decimal(1))),
        (rf"cmi\.objectives{_N}score\.(raw|min|max)", real()),
        (rf"cmi\.objectives{_N}success_status", vocabulary(*SUCCESS_2004)),
        (rf"cmi\.objectives{_N}completion_status", vocabulary(*_COMPLETION_2004)),
        (rf"cmi\.objectives{_N}progress_measure", real(Decimal(0), Decimal(1))),
        (rf"cmi\.objectives{_N}description", string(250)),
        (rf"cmi\.interactions{_N}id", identifier(4000)),
        (rf"cmi\.interactions{_N}type", vocabulary(*_INTERACTION_TYPES_2004)),
        (rf"cmi\.interactions{_N}objectives{_N}id", identifier(4000)),
        (rf"cmi\.interactions{_N}timestamp", _TIMESTAMP),
        (rf"cmi\.interactions{_N}correct_responses{_N}pattern", string(4000)),
        (rf"cmi\.interactions{_N}weighting", real()),
        (rf"cmi\.interactions{_N}learner_response", string(4000)),
        (rf"cmi\.interactions{_N}result", either(vocabulary("correct", "incorrect", "unanticipated", "neutral"),
                                                 real())),
        (rf"cmi\.interactions{_N}latency", timeinterval),
        (rf"cmi\.interactions{_N}description", string(250)),
    ]
]

WRITABLE = {SCORM12: WRITABLE_12, SCORM2004: WRITABLE_2004}


def validate_elements(*, version: str, elements: Mapping[str, str]) -> None:
    """Every element must be one content may set in this SCORM version, with a valid value; the first
    that is not raises DomainError naming it."""
    table = WRITABLE[version]
    for name, value in elements.items():
        check = next((check for regex, check in table if regex.fullmatch(name)), None)
        if check is None:
            raise DomainError(f"{name} is not an element content can set in this SCORM version.", field=name)
        problem = check(value)
        if problem is not None:
            raise DomainError(f"{name} must be {problem}.", field=name)


# --- Time -------------------------------------------------------------------------------------------

_YEAR = Decimal(365.25 * 86400)
_MONTH = _YEAR / 12


def parse_timespan_12(value: str) -> Decimal:
    """HHHH:MM:SS.SS -> seconds."""
    match = _TIMESPAN_12.match(value)
    if not match:
        raise DomainError(f"'{value[:40]}' is not a SCORM 1.2 time span (HHHH:MM:SS.SS).", field="session_time")
    hours, minutes, whole, fraction = match.groups()
    return Decimal(hours) * 3600 + Decimal(minutes) * 60 + Decimal(whole) + Decimal(fraction or "0")


def parse_duration_2004(value: str) -> Decimal:
    """ISO 8601 duration (P[nY][nM][nD][T[nH][nM][n.nnS]]) -> seconds; a year is 365.25 days."""
    if _ZERO_DURATION.match(value):
        return Decimal(0)
    match = _DURATION_2004.match(value)
    if not match or value == "P" or value.endswith("T"):
        raise DomainError(f"'{value[:40]}' is not an ISO 8601 duration (PT1H2M3S).", field="session_time")
    part = {name: Decimal(text) for name, text in match.groupdict().items() if text}
    return (
        part.get("y", Decimal(0)) * _YEAR + part.get("mo", Decimal(0)) * _MONTH + part.get("d", Decimal(0)) * 86400
        + part.get("h", Decimal(0)) * 3600 + part.get("mi", Decimal(0)) * 60 + part.get("s", Decimal(0))
    )


def format_timespan_12(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, whole = divmod(rest, 60)
    if hours > 9999:
        return "9999:59:59.00"
    return f"{hours:04d}:{minutes:02d}:{whole:02d}.00"


def format_duration_2004(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, whole = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{whole}S"
