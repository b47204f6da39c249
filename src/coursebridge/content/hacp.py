"""The AICC HACP wire protocol (CMI001), as pure functions: no Django, no database.

An AU posts `application/x-www-form-urlencoded` forms with the fields command, version, session_id,
aicc_data (and AU_password when its .au row has one); the LMS answers text/plain lines separated by
CRLF: `error=N`, `error_text=...`, `aicc_data=...`. Real content differs from the text of the
standard, so every parser here is lenient: field and key names in any case, CRLF or LF, values
url-encoded twice, groups in any order, blank or unknown values ignored rather than refused. Nothing
here raises on input from an AU.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

# error codes and their canonical texts
SUCCESS, INVALID_COMMAND, INVALID_PASSWORD, INVALID_SESSION = 0, 1, 2, 3
ERROR_TEXTS = {
    SUCCESS: "Successful",
    INVALID_COMMAND: "Invalid Command",
    INVALID_PASSWORD: "Invalid AU password",
    INVALID_SESSION: "Invalid Session ID",
}
CRLF = "\r\n"

# commands, lower-cased as they are compared
GETPARAM, PUTPARAM, EXITAU = "getparam", "putparam", "exitau"
PUTCOMMENTS, PUTOBJECTIVES, PUTPATH, PUTPERFORMANCE, PUTINTERACTIONS = (
    "putcomments", "putobjectives", "putpath", "putperformance", "putinteractions",
)
COMMANDS = frozenset({
    GETPARAM, PUTPARAM, EXITAU, PUTCOMMENTS, PUTOBJECTIVES, PUTPATH, PUTPERFORMANCE, PUTINTERACTIONS,
})
# The optional commands carry a table (a CSV file with a header row) or, for PutComments, free text.
TABLE_COMMANDS = frozenset({PUTOBJECTIVES, PUTPATH, PUTPERFORMANCE, PUTINTERACTIONS})

STATUS_WORDS = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
STATUS_LETTERS = {word[0]: word for word in STATUS_WORDS}
EXIT_WORDS = {"suspend": "suspend", "s": "suspend", "logout": "logout", "l": "logout", "time-out": "time-out",
              "timeout": "time-out", "t": "time-out"}

# Scores fit the tracking columns (9 digits, 4 of them decimals); time is at most 9999:59:59.
SCORE_LIMIT = Decimal(100_000)
SCORE_PLACES = Decimal("0.0001")
MAX_SECONDS = 9999 * 3600 + 59 * 60 + 59

_GROUP = re.compile(r"^\s*\[\s*([A-Za-z][A-Za-z0-9_]*)\s*\]\s*$")
_TIME = re.compile(r"^\s*(\d{1,6}):([0-5]?\d):([0-5]?\d)(?:\.\d{1,6})?\s*$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class HacpRequest:
    """One message from an AU. `command` is lower-cased ("" when absent); the other fields are
    decoded text, "" when absent."""

    command: str
    version: str = ""
    session_id: str = ""
    au_password: str = ""
    aicc_data: str = ""


def _decode(body: bytes | str) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body


def _unquote_again(value: str) -> str:
    """Some content url-encodes the session id (and the version) once more than the form does."""
    for _ in range(2):
        if "%" not in value:
            break
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    return value


def form_unquote(text: str) -> str:
    """One name or value of a form body decoded: what `urllib.parse.unquote_plus(text,
    errors="replace")` gives, several times faster for aicc_data, whose line breaks, `=` and `,`
    arrive percent-encoded (a hundred escapes in a typical PutParam). The escapes are turned into
    `\\xHH` ones, which the codec machinery decodes in C, after doubling every backslash so that
    no other escape exists; a `%` not followed by two hex digits makes that refuse, and the
    standard library, which keeps such a `%` as it is, decodes the value instead."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        decoded = codecs.escape_decode(text.encode().replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:  # also a lone surrogate in text that did not come from bytes
        return unquote(text, errors="replace")
    return decoded.decode("utf-8", errors="replace")


def parse_request(body: bytes | str) -> HacpRequest:
    """The fields of a form-encoded body, whatever the case of their names. The whole body is read
    before anything acts on it (content may send the command as the last field); the first value of
    a repeated field counts. Fields are split on `&` and decoded as `urllib.parse.parse_qsl` would
    (blank values kept), with `form_unquote`."""
    fields: dict[str, str] = {}
    for part in _decode(body).split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        fields.setdefault(form_unquote(name).strip().lower(), form_unquote(value))
    return _request(fields)


def request_from_fields(fields: dict[str, str]) -> HacpRequest:
    """A request from already decoded form fields (names in any case)."""
    lowered: dict[str, str] = {}
    for name, value in fields.items():
        lowered.setdefault(name.strip().lower(), value)
    return _request(lowered)


def _request(lowered: dict[str, str]) -> HacpRequest:
    return HacpRequest(
        command=lowered.get("command", "").strip().lower(),
        version=_unquote_again(lowered.get("version", "").strip()),
        session_id=_unquote_again(lowered.get("session_id", "").strip()),
        au_password=lowered.get("au_password", ""),
        # A NUL has no meaning in HACP's text, and PostgreSQL stores none in text or JSON.
        aicc_data=lowered.get("aicc_data", "").replace("\x00", ""),
    )


# --- aicc_data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AiccData:
    """The groups of an aicc_data block. `groups` maps lower-cased group names to their raw text
    (lines joined with CRLF, blank lines at either end removed); `core` holds the [Core] pairs with
    lower-cased keys."""

    groups: dict[str, str] = field(default_factory=dict)
    core: dict[str, str] = field(default_factory=dict)

    def group(self, name: str) -> str | None:
        return self.groups.get(name)

    def pairs(self, name: str) -> dict[str, str]:
        """A keyword group ([Objectives_Status], [Student_Preferences]) as lower-cased keys."""
        text = self.groups.get(name)
        return parse_pairs(text) if text is not None else {}


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def parse_pairs(text: str) -> dict[str, str]:
    """key=value lines; keys lower-cased and trimmed, values trimmed; the last of a repeated key counts."""
    pairs: dict[str, str] = {}
    for line in split_lines(text):
        name, sep, value = line.partition("=")
        if sep and name.strip():
            pairs[name.strip().lower()] = value.strip()
    return pairs


def parse_aicc_data(text: str) -> AiccData:
    """Split an aicc_data block into its groups. A group runs from its `[Name]` line to the next
    one, so [Core_Lesson] (the suspend data) keeps every line, `=` signs included. Lines before the
    first group (a stray CRLF before [CORE]) are ignored; a repeated group replaces the earlier one."""
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in split_lines(text):
        match = _GROUP.match(line) if "[" in line else None
        if match:
            current = groups[match.group(1).lower()] = []
        elif current is not None:
            current.append(line)
    texts = {name: CRLF.join(lines).strip("\r\n") for name, lines in groups.items()}
    return AiccData(groups=texts, core=parse_pairs(texts.get("core", "")))


def parse_lesson_status(value: str) -> tuple[str | None, str | None]:
    """(status, exit) from `Lesson_Status`: a full word or its first letter, then optionally a comma
    and an exit word or letter (suspend/s, logout/l, time-out/t). Either part is None when absent or
    not understood; an entry word echoed back by content (ab-initio, resume) is not an exit."""
    head, sep, tail = value.partition(",")
    word = " ".join(head.strip().lower().split())
    status = word if word in STATUS_WORDS else STATUS_LETTERS.get(word) if len(word) == 1 else None
    exit_mode = EXIT_WORDS.get(tail.strip().lower()) if sep else None
    return status, exit_mode


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text or len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= SCORE_LIMIT:
        return None
    return number.quantize(SCORE_PLACES)


@dataclass(frozen=True)
class Score:
    raw: Decimal
    max: Decimal | None = None
    min: Decimal | None = None


def parse_score(value: str) -> Score | None:
    """`raw[,max[,min]]`, decimals accepted. None when raw is not a number. max is kept only when it
    is at least raw, min only when it is at most raw (so a reversed pair cannot produce a percentage
    above 100)."""
    parts = value.split(",")
    raw = _decimal(parts[0])
    if raw is None:
        return None
    high = _decimal(parts[1]) if len(parts) > 1 else None
    low = _decimal(parts[2]) if len(parts) > 2 else None
    return Score(raw=raw, max=high if high is not None and high >= raw else None,
                 min=low if low is not None and low <= raw else None)


def parse_time(value: str) -> int | None:
    """Seconds in `HH:MM:SS[.SS]` (hours may have more digits); None when not a time. Fractions of
    a second are dropped; anything above 9999:59:59 counts as that."""
    match = _TIME.match(value)
    if not match:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups())
    return min(hours * 3600 + minutes * 60 + seconds, MAX_SECONDS)


def format_time(seconds: int) -> str:
    """HH:MM:SS, with more hour digits when needed (at most 9999:59:59)."""
    seconds = max(0, min(int(seconds), MAX_SECONDS))
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def format_decimal(value: Decimal | None) -> str:
    """80 for 80.0000, 66.67 for 66.6700; "" for None."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def format_score(raw: Decimal | None, high: Decimal | None = None, low: Decimal | None = None) -> str:
    """raw[,max[,min]] ("" without a raw score); min is only written after a max."""
    if raw is None:
        return ""
    parts = [format_decimal(raw)]
    if high is not None:
        parts.append(format_decimal(high))
        if low is not None:
            parts.append(format_decimal(low))
    return ",".join(parts)


def parse_table(text: str, limit: int = 1000) -> list[dict[str, str]]:
    """The CSV table of PutInteractions, PutObjectives, PutPath and PutPerformance: a header row
    then records, as dicts keyed by the lower-cased header names. At most `limit` rows; rows of
    empty cells are skipped."""
    lines = [line for line in split_lines(text) if line.strip()]
    if not lines:
        return []
    rows = csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True)
    try:
        header = [name.strip().lower() for name in next(rows)]
        records = []
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            record = {header[i] if i < len(header) and header[i] else f"column_{i + 1}": cell.strip()
                      for i, cell in enumerate(cells)}
            records.append(record)
            if len(records) >= limit:
                break
    except csv.Error:
        return []
    return records


# --- responses ----------------------------------------------------------------------------------


def single_line(value: object) -> str:
    """A value for a key=value line: line breaks become spaces, so data cannot forge new keys."""
    return " ".join(split_lines(str(value))).strip()


def multi_line(text: str) -> str:
    """A free-text group ([Core_Lesson], [Core_Vendor]): CRLF line ends, and no line that would
    open a new group (PutParam cannot have stored one: such a line ends [Core_Lesson]; its
    brackets become parentheses)."""
    lines = split_lines(text.strip("\r\n"))
    return CRLF.join(line.replace("[", "(").replace("]", ")") if _GROUP.match(line) else line for line in lines)


def response(error: int, aicc_data: str | None = None) -> str:
    """The body of a reply: error and error_text, then aicc_data on success (possibly empty)."""
    if aicc_data is None:
        return _BARE_RESPONSES[error]
    return _response(error, aicc_data)


def _response(error: int, aicc_data: str | None) -> str:
    lines = [f"error={error}", f"error_text={ERROR_TEXTS[error]}"]
    if error == SUCCESS:
        lines.append("aicc_data=" + (CRLF + aicc_data if aicc_data else ""))
    return CRLF.join(lines) + CRLF


_BARE_RESPONSES = {error: _response(error, None) for error in ERROR_TEXTS}  # PutParam's answer, every time


@dataclass(frozen=True)
class LearnerData:
    """What GetParam reports about one learner in one AU."""

    student_id: str
    student_name: str  # "Last, First"
    lesson_location: str = ""
    credit: str = "credit"
    lesson_status: str = "not attempted"
    entry: str = "ab-initio"  # ab-initio, resume or ""
    score_raw: Decimal | None = None
    score_max: Decimal | None = None
    score_min: Decimal | None = None
    total_seconds: int = 0
    lesson_mode: str = "normal"
    suspend_data: str = ""
    core_vendor: str = ""
    course_id: str = ""
    mastery_score: Decimal | None = None
    max_time_allowed: str = ""
    time_limit_action: str = ""


def student_name(last: str, first: str, fallback: str) -> str:
    """CMI001's "Last, First"; the fallback (a username) when neither is known."""
    last, first = single_line(last), single_line(first)
    if last and first:
        return f"{last}, {first}"
    return last or first or single_line(fallback)


def getparam_data(learner: LearnerData) -> str:
    """The aicc_data block GetParam returns. CMI001 calls keywords case-insensitive, but content
    matches them with one exact spelling: some the standard's (Lesson_Location), some lower case
    (lesson_location). Each pair is therefore written in both spellings, with the same value, which
    content that reads keywords either way takes as one."""

    def pairs(items: Iterable[tuple[str, object]]) -> list[str]:
        lines = []
        for key, value in items:
            lines.append(f"{key}={single_line(value)}")
            lines.append(f"{key.lower()}={single_line(value)}")
        return lines

    status = learner.lesson_status + (f", {learner.entry}" if learner.entry else "")
    lines = ["[Core]", *pairs([
        ("Student_ID", learner.student_id),
        ("Student_Name", learner.student_name),
        ("Lesson_Location", learner.lesson_location),
        ("Credit", learner.credit),
        ("Lesson_Status", status),
        ("Score", format_score(learner.score_raw, learner.score_max, learner.score_min)),
        ("Time", format_time(learner.total_seconds)),
        ("Lesson_Mode", learner.lesson_mode),
    ])]
    lines += ["[Core_Lesson]", *([multi_line(learner.suspend_data)] if learner.suspend_data.strip() else [])]
    lines += ["[Core_Vendor]", *([multi_line(learner.core_vendor)] if learner.core_vendor.strip() else [])]
    lines += ["[Evaluation]", *pairs([("Course_ID", learner.course_id)])]
    lines += ["[Student_Data]", *pairs([
        ("Mastery_Score", format_decimal(learner.mastery_score)),
        ("Max_Time_Allowed", learner.max_time_allowed),
        ("Time_Limit_Action", learner.time_limit_action),
    ])]
    return CRLF.join(lines)
