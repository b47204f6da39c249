"""Writes of the records app: credit types, course credit offers, learner PARS profiles and course
certificates. The import itself lives in importer.py."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import Course
from coursebridge.core.errors import Conflict, DomainError, NotFound
from coursebridge.records.models import (
    DEFAULT_CREDIT_TYPES,
    CourseCertificate,
    CourseCreditOffer,
    CourseShell,
    CreditType,
    LearnerProfile,
)

MACHINE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)


def credit_types_ensure(*, academy: Academy) -> None:
    """The five default credit types, created the first time the academy's credit types are read."""
    CreditType.objects.bulk_create(
        [CreditType(academy=academy, machine_name=m, name=n, unit=u, is_default=True) for m, n, u in
         DEFAULT_CREDIT_TYPES],
        ignore_conflicts=True,
    )


def _credit_type_fields(name: str, unit: str) -> tuple[str, str]:
    name, unit = name.strip(), unit.strip()
    if not name:
        raise DomainError("A credit type needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("A credit type name has at most 200 characters.", field="name")
    if len(unit) > 40:
        raise DomainError("A unit has at most 40 characters (e.g. credits, contact hours, CEU).", field="unit")
    return name, unit


@transaction.atomic
def credit_type_create(*, academy: Academy, machine_name: str, name: str, unit: str = "") -> CreditType:
    """A credit type of the academy. Its machine name is how files write it in the credit_type column
    and is fixed once created."""
    machine_name = machine_name.strip()
    if not machine_name:
        raise DomainError("A credit type needs a machine name, as files write it in the credit_type column.",
                          field="machine_name")
    if not MACHINE_NAME_RE.match(machine_name):
        hint = re.sub(r"[^a-z0-9_]+", "_", machine_name.lower()).strip("_")[:60]
        suggestion = f" For example '{hint}'." if hint and MACHINE_NAME_RE.match(hint) else ""
        raise DomainError(f"'{machine_name[:60]}' is not a machine name: use lower-case letters, digits and '_', "
                          f"starting with a letter, at most 60 characters.{suggestion}", field="machine_name")
    name, unit = _credit_type_fields(name, unit)
    credit_types_ensure(academy=academy)
    try:
        with transaction.atomic():
            return CreditType.objects.create(academy=academy, machine_name=machine_name, name=name, unit=unit)
    except IntegrityError:
        raise Conflict(f"The academy already has a credit type '{machine_name}'.", field="machine_name") from None


@transaction.atomic
def credit_type_update(*, credit_type: CreditType, name: str, unit: str = "") -> CreditType:
    """The display name and unit of a credit type; the machine name stays (files and records use it)."""
    credit_type.name, credit_type.unit = _credit_type_fields(name, unit)
    credit_type.save(update_fields=["name", "unit"])
    return credit_type


def parse_credit_amount(value: object, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(f"'{value}' is not a number of credits.", field=field) from None
    if not amount.is_finite() or amount <= 0 or amount > Decimal("9999.99") or amount != amount.quantize(
            Decimal("0.01")):
        raise DomainError("Credits are more than 0, at most 9999.99, with two decimals at most.", field=field)
    return amount


@transaction.atomic
def course_credit_offer_set(
    *, course: Course, credit_type: CreditType, max_credits: object, variable_allowed: bool
) -> CourseCreditOffer:
    """What the course awards of a credit type (created or changed)."""
    if credit_type.academy_id != course.academy_id:
        raise NotFound("No such credit type.")
    if CourseShell.objects.filter(course=course).exists():
        raise DomainError("A course shell offers no credit: its credit comes from the imported rows.",
                          field="credit_type")
    amount = parse_credit_amount(max_credits, field="max_credits")
    offer, _ = CourseCreditOffer.objects.update_or_create(
        course=course, credit_type=credit_type,
        defaults={"academy_id": course.academy_id, "max_credits": amount, "variable_allowed": variable_allowed},
    )
    return offer


@transaction.atomic
def course_credit_offer_remove(*, course: Course, credit_type: CreditType) -> None:
    CourseCreditOffer.objects.filter(course=course, credit_type=credit_type).delete()


@transaction.atomic
def learner_profile_update(*, user: User, changes: dict[str, object]) -> LearnerProfile:
    """The PARS fields of a learner: license state and ID or NPI, birth month and day, board and ID."""
    if user.academy_id is None:
        raise DomainError("Site administrators have no learner profile.")
    profile, _ = LearnerProfile.objects.get_or_create(user=user, defaults={"academy_id": user.academy_id})
    for name, value in changes.items():
        text = "" if value is None else str(value).strip()
        if name == "license_state":
            text = text.upper()
            if text and text not in US_STATES:
                raise DomainError(f"'{text}' is not a US state or territory code.", field=name)
        elif name == "npi":
            if text and not re.fullmatch(r"\d{10}", text):
                raise DomainError("An NPI is 10 digits.", field=name)
        elif name in {"license_id", "board_id"}:
            if len(text) > 40:
                raise DomainError("At most 40 characters.", field=name)
        elif name == "certifying_board":
            text = text.upper()
            if len(text) > 20:
                raise DomainError("At most 20 characters (the board's abbreviation, e.g. ABIM).", field=name)
        elif name in {"birth_month", "birth_day"}:
            if text == "":
                setattr(profile, name, None)
                continue
            if not text.isdigit():
                raise DomainError("A number.", field=name)
            number = int(text)
            top = 12 if name == "birth_month" else 31
            if not 1 <= number <= top:
                raise DomainError(f"Between 1 and {top}.", field=name)
            setattr(profile, name, number)
            continue
        else:
            raise DomainError(f"Unknown field '{name}'.", field=name)
        setattr(profile, name, text)
    profile.save()
    return profile


@transaction.atomic
def course_certificate_set(*, course: Course, enabled: bool, title: str = "") -> CourseCertificate:
    """Turn the course's PDF certificate on or off. A course shell cannot carry one."""
    if enabled and CourseShell.objects.filter(course=course).exists():
        raise DomainError(SHELL_CERTIFICATE_REASON, field="enabled")
    certificate, _ = CourseCertificate.objects.get_or_create(course=course, defaults={"academy_id": course.academy_id})
    certificate.enabled = enabled
    if title.strip():
        certificate.title = title.strip()[:200]
    certificate.save()
    return certificate


SHELL_CERTIFICATE_REASON = (
    "Imported course shells do not have certificates: a shell holds legacy records and has no course objects. "
    "If a certificate is needed, create a course first, then import the enrollments into it with the course "
    "record importer."
)
