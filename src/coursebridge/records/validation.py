"""Checking every row of a course record file against the academy, with no query per row.

A Resolver loads, once per run, what rows are checked against: the academy's users by external id
and email, its credit types, the course offers, and the enrollments and credit records that already
exist. Each row then becomes an outcome (create, unchanged, held, error), the cleaned values the
apply needs, and its messages for the row report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import Course
from coursebridge.learning.models import Enrollment
from coursebridge.records.models import (
    CourseCreditOffer,
    CourseShell,
    CreditRecord,
    CreditType,
    ImportScope,
    RowOutcome,
)
from coursebridge.records.reader import Row

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COURSE_ID_RE = re.compile(r"^[A-Za-z0-9_.\-:]{1,128}$")
TRUE = {"1", "true", "yes", "y", "t", "x"}
FALSE = {"0", "false", "no", "n", "f", ""}
CATEGORIES = {"physician": "physician", "non-physician": "non-physician", "non_physician": "non-physician",
              "nonphysician": "non-physician", "other": "non-physician"}
MAX_CREDITS = Decimal("9999.99")
FORMULA_PREFIXES = ("=", "+", "@")
CATALOGUE_KEY = "catalogue"


def required_columns(scope: str) -> list[tuple[str, ...]]:
    identity = ("external_user_id", "external_email")
    if scope == ImportScope.GLOBAL:
        return [("external_course_id",), ("title",), identity]
    return [identity]


@dataclass
class Checked:
    outcome: str
    data: dict[str, Any]
    messages: list[list[str]] = field(default_factory=list)  # [column, message, severity]

    @property
    def has_warning(self) -> bool:
        return any(m[2] == "warning" for m in self.messages)


def parse_date(text: str) -> date:
    """ISO 8601 dates, with or without a time."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text or " " in text \
            else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not an ISO 8601 date (YYYY-MM-DD).") from None
    if not 1900 <= value.year <= 2200:
        raise ValueError(f"'{text[:40]}' lies outside the years 1900 to 2200.")
    return value


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False if lowered else None
    raise ValueError(f"'{text[:40]}' is not 1 or 0.")


def parse_credits(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except InvalidOperation:
        raise ValueError(f"'{text[:40]}' is not a number of credits.") from None
    if not value.is_finite() or value < 0 or value > MAX_CREDITS:
        raise ValueError(f"'{text[:40]}' is not between 0 and {MAX_CREDITS}.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"'{text[:40]}' has more than two decimals.")
    return value.quantize(Decimal("0.01"))


class Resolver:
    """Everything a run's rows are checked against, loaded in a few queries."""

    def __init__(self, *, academy: Academy, scope: str, course: Course | None, hold_unknown: bool) -> None:
        self.academy = academy
        self.scope = scope
        self.course = course
        self.hold_unknown = hold_unknown
        self.by_external_id: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        for pk, external_id, email in User.objects.filter(academy=academy).values_list(
            "pk", "external_id", "email"
        ).iterator(chunk_size=5000):
            if external_id:
                self.by_external_id[external_id] = pk
            if email:
                self.by_email.setdefault(email.lower(), pk)
        self.credit_types = dict(
            CreditType.objects.filter(academy=academy).values_list("machine_name", "pk")
        )
        if course is not None:
            course_ids = [course.pk]
            self.courses_by_external: dict[str, int] = {}
        else:
            self.courses_by_external = {}
            for pk, ext in Course.objects.filter(
                academy=academy, external_id__isnull=False
            ).values_list("pk", "external_id").order_by("-provider"):
                # A native course (no provider) wins over a provider's course with the same id.
                if ext:
                    self.courses_by_external[ext] = pk
            course_ids = list(set(self.courses_by_external.values()))
        self.shells = set(CourseShell.objects.filter(academy=academy).values_list("course_id", flat=True))
        self.offers: dict[tuple[int, int], tuple[Decimal, bool]] = {
            (c, t): (m, v) for c, t, m, v in CourseCreditOffer.objects.filter(
                academy=academy, course_id__in=course_ids
            ).values_list("course_id", "credit_type_id", "max_credits", "variable_allowed")
        }
        self.enrolled: set[tuple[int, int]] = set(
            Enrollment.objects.filter(academy=academy, course_id__in=course_ids, entry_key=CATALOGUE_KEY)
            .values_list("user_id", "course_id").iterator(chunk_size=10000)
        )
        self.credited: set[tuple[int, int, int]] = set(
            CreditRecord.objects.filter(academy=academy, course_id__in=course_ids)
            .values_list("user_id", "course_id", "credit_type_id").iterator(chunk_size=10000)
        )
        # Within the file: first row of each credit key, enrollments already planned, shell titles.
        # Keys are kept as their 64-bit hashes: a million-row file stays well under its memory budget
        # (a collision, about one in 10^13 for a million keys, would only report a false duplicate).
        self.seen_credit: dict[int, int] = {}
        self.planned_enrollments: set[int] = set()
        self.new_users: set[str] = set()
        self.new_shells: dict[str, str] = {}

    # --- One row -------------------------------------------------------------------------------

    def check(self, row: Row) -> Checked:
        messages: list[list[str]] = [[c, m, "error"] for c, m in row.errors]
        messages += [[c, m, "warning"] for c, m in row.warnings]
        if row.errors:
            return Checked(outcome=RowOutcome.ERROR, data={}, messages=messages)
        v = row.values
        data: dict[str, Any] = {}

        def error(column: str, message: str) -> None:
            messages.append([column, message, "error"])

        def warn(column: str, message: str) -> None:
            messages.append([column, message, "warning"])

        for column, value in v.items():
            if value.startswith(FORMULA_PREFIXES) and column in {"first_name", "last_name", "title"}:
                warn(column, "The value starts like a spreadsheet formula; it is stored as plain text.")

        # Who.
        external_id = v.get("external_user_id", "")
        email = v.get("external_email", "").lower()
        if not external_id and not email:
            error("external_user_id", "Give external_user_id or external_email: the row names no learner.")
        if len(external_id) > 200:
            error("external_user_id", "An external_user_id has at most 200 characters.")
        if email and (len(email) > 254 or not EMAIL_RE.match(email)):
            error("external_email", f"'{email[:60]}' is not an email address.")
        user_id: int | None = None
        if external_id and external_id in self.by_external_id:
            user_id = self.by_external_id[external_id]
            if email and self.by_email.get(email, user_id) != user_id:
                error("external_email", "This email belongs to another learner than the external_user_id.")
        elif email and email in self.by_email:
            user_id = self.by_email[email]
        user_key = f"u{user_id}" if user_id else (f"x{external_id}" if external_id else f"e{email}")
        data.update(u=user_id, ext=external_id, email=email, fn=v.get("first_name", "")[:150],
                    ln=v.get("last_name", "")[:150])

        # Which course.
        course_id, course_key = self._course_of(v, data, error, warn)

        # Dates and flags.
        dates: dict[str, date | None] = {}
        for column, key in (("enrollment_start", "start"), ("enrollment_end", "end"),
                            ("date_completed", "done"), ("credit_expiration", "exp")):
            text = v.get(column, "")
            dates[key] = None
            if text:
                try:
                    dates[key] = parse_date(text)
                except ValueError as exc:
                    error(column, str(exc))
            parsed = dates[key]
            data[key] = parsed.isoformat() if parsed else None
        if dates["start"] and dates["end"] and dates["end"] < dates["start"]:
            error("enrollment_end", "enrollment_end is before enrollment_start.")
        complete = False
        try:
            complete = bool(parse_bool(v.get("complete", "")))
        except ValueError as exc:
            error("complete", str(exc))
        data["complete"] = complete
        try:
            data["att"] = parse_bool(v.get("attended", ""))
        except ValueError as exc:
            error("attended", str(exc))
        category = v.get("participant_category", "").lower()
        if category and category not in CATEGORIES:
            error("participant_category", f"'{category[:40]}' is not physician or non-physician.")
        data["cat"] = CATEGORIES.get(category, "")
        if complete and not dates["done"]:
            warn("date_completed", "complete=1 without date_completed: the import date is used.")
        if not complete and dates["done"]:
            warn("date_completed", "date_completed is ignored: complete is not 1.")

        # Credit.
        type_name = v.get("credit_type", "").strip().lower()
        credits_text = v.get("credits", "")
        credits: Decimal | None = None
        if credits_text:
            try:
                credits = parse_credits(credits_text)
            except ValueError as exc:
                error("credits", str(exc))
        type_id: int | None = None
        if type_name:
            type_id = self.credit_types.get(type_name)
            if type_id is None:
                known = ", ".join(sorted(self.credit_types)) or "none"
                error("credit_type", f"'{type_name[:60]}' is not a credit type of this academy (known: {known}).")
        if (credits_text or type_name) and not complete:
            error("credits" if credits_text else "credit_type",
                  "No credits on a row with complete=0: import the completion with its credit instead.")
        elif credits_text and not type_name:
            error("credit_type", "credits need a credit_type: one row per credit type awarded.")
        elif type_id is not None and course_key:
            credits = self._check_offer(course_id, type_id, type_name, credits, error, messages)
        data["t"] = type_id
        data["cr"] = str(credits) if credits is not None and type_id else None

        if any(m[2] == "error" for m in messages):
            return Checked(outcome=RowOutcome.ERROR, data={}, messages=messages)

        # Duplicates within the file, then what already exists.
        if type_id is not None and course_key:
            credit_key = hash((user_key, course_key, type_id))
            first = self.seen_credit.get(credit_key)
            if first is not None:
                messages.append(["credit_type", f"A second row for this learner, course and credit type (the first "
                                 f"is row {first}): one row per credit type awarded.", "error"])
                return Checked(outcome=RowOutcome.ERROR, data={}, messages=messages)
            self.seen_credit[credit_key] = row.number

        if user_id is None and self.hold_unknown:
            messages.append(["", "No account for this learner yet: held until the learner signs up.", "info"])
            return Checked(outcome=RowOutcome.HELD, data=data, messages=messages)
        if user_id is None and user_key not in self.new_users:
            self.new_users.add(user_key)
            messages.append(["", "A learner account will be created.", "info"])

        enrollment_key = hash((user_key, course_key))
        new_enrollment = enrollment_key not in self.planned_enrollments and not (
            user_id and course_id and (user_id, course_id) in self.enrolled
        )
        self.planned_enrollments.add(enrollment_key)
        new_credit = type_id is not None and not (
            user_id and course_id and (user_id, course_id, type_id) in self.credited
        )
        data["ne"] = new_enrollment
        data["nc"] = new_credit
        unchanged = []
        if user_id and course_id and (user_id, course_id) in self.enrolled:
            unchanged.append("enrollment")
        if type_id is not None and not new_credit:
            unchanged.append(f"{type_name} credit")
        if unchanged:
            messages.append(["", f"Already exists, not changed: {' and '.join(unchanged)}.", "info"])
        outcome = RowOutcome.CREATE if new_enrollment or new_credit else RowOutcome.UNCHANGED
        return Checked(outcome=outcome, data=data, messages=messages)

    def _course_of(self, v: dict[str, str], data: dict[str, Any], error: Any, warn: Any) -> tuple[int | None, str]:
        external_course_id = v.get("external_course_id", "")
        if self.course is not None:
            if external_course_id and external_course_id != (self.course.external_id or ""):
                error("external_course_id", f"'{external_course_id[:60]}' is another course: this import is for "
                      f"'{self.course.title}' only.")
            data.update(c=self.course.pk, cext="", ct="")
            return self.course.pk, f"c{self.course.pk}"
        title = v.get("title", "")
        if not external_course_id:
            error("external_course_id", "The global importer needs external_course_id on every row.")
            return None, ""
        if not COURSE_ID_RE.match(external_course_id):
            error("external_course_id", "An external_course_id is 1 to 128 letters, digits, '-', '_', '.' or ':'.")
            return None, ""
        course_id = self.courses_by_external.get(external_course_id)
        data.update(c=course_id, cext=external_course_id, ct=title[:300])
        if course_id is None:
            if not title:
                error("title", "A course unknown to the academy needs a title: a course shell is created with it.")
                return None, ""
            known_title = self.new_shells.setdefault(external_course_id, title)
            if known_title != title:
                warn("title", f"Another row gave this course the title '{known_title[:60]}'; the first title is kept.")
            return None, f"n{external_course_id}"
        return course_id, f"c{course_id}"

    def _check_offer(self, course_id: int | None, type_id: int, type_name: str, credits: Decimal | None,
                     error: Any, messages: list[list[str]]) -> Decimal | None:
        if course_id is None or course_id in self.shells:
            if credits is None:
                error("credits", "A course shell offers no credit by itself: give the credits on the row.")
            return credits
        offer = self.offers.get((course_id, type_id))
        if offer is None:
            error("credit_type", f"The course does not offer {type_name} credit: add it to the course's credit "
                  "offer first.")
            return credits
        maximum, variable = offer
        if credits is None:
            messages.append(["credits", f"No credits given: the course's {maximum} are awarded.", "info"])
            return maximum
        if credits > maximum:
            error("credits", f"{credits} is above the course's maximum of {maximum} {type_name} credits.")
        elif credits < maximum and not variable:
            error("credits", f"{credits} is below the course's {maximum} {type_name} credits, and variable credit is "
                  "not allowed for this type: allow it on the course first.")
        return credits
