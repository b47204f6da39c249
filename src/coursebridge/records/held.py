"""Rows held for learners without an account, applied when the account appears.

An import run with "hold unknown learners" keeps the rows of learners it does not know as HeldRecords.
When a learner account is created in the academy, by any path (the users page, the API, another
import, a connector), accounts.services.users_created announces it and the rows held under its email
(case-insensitive) or external id are applied as the import would have applied them, then removed.
The import page's "Assign held rows" button does the same for every held row of the academy.

Everything is done in bulk, a chunk of held rows at a time: an import that creates a quarter of a
million learners costs a few queries per thousand of them, and nothing when no row is held."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from coursebridge.accounts.models import Academy, User
from coursebridge.learning.models import Enrollment
from coursebridge.records.importer import _complete, _day, _enrollment, existing_records
from coursebridge.records.models import CreditRecord, CreditSource, HeldRecord, ImportScope

BATCH = 1000
HELD_FIELDS = ("pk", "course_id", "external_user_id", "email", "data", "run_id", "run__scope")


def _result() -> dict[str, int]:
    return {"assigned": 0, "enrollments_created": 0, "credits_created": 0, "still_held": 0}


@transaction.atomic
def held_records_assign(*, academy: Academy) -> dict[str, int]:
    """Every row held in the academy, given to the learner who has an account now (matched by external
    id, then email). Existing enrollments and credit records are still never changed."""
    result = _result()
    last = 0
    while True:
        held = list(HeldRecord.objects.select_for_update().filter(academy=academy, pk__gt=last).order_by("pk")
                    .values_list(*HELD_FIELDS)[:BATCH])
        if not held:
            return result
        last = held[-1][0]
        by_ext = dict(User.objects.filter(
            academy=academy, external_id__in={h[2] for h in held if h[2]}).values_list("external_id", "pk"))
        by_email = _users_by_email(academy.pk, {h[3].lower() for h in held if h[3]})
        _apply(academy.pk, held, by_ext, by_email, result)


def held_records_attach(*, academy_id: int, user_ids: Sequence[int]) -> dict[str, int]:
    """The rows held for these new learners, applied and removed. One cheap query when the academy
    holds no row, which is nearly always."""
    result = _result()
    if not user_ids or not HeldRecord.objects.filter(academy_id=academy_id).exists():
        return result
    with transaction.atomic():
        for start in range(0, len(user_ids), BATCH):
            people = list(User.objects.filter(academy_id=academy_id, pk__in=user_ids[start:start + BATCH])
                          .values_list("pk", "external_id", "email"))
            by_ext = {ext: pk for pk, ext, _ in people if ext}
            by_email: dict[str, int] = {}
            for pk, _, email in people:
                if email:
                    by_email.setdefault(email.lower(), pk)
            if not by_ext and not by_email:
                continue
            # Staged emails are lower-cased, so both lookups use the held rows' indexes.
            match = Q(external_user_id__in=list(by_ext)) | Q(email__in=list(by_email))
            held = list(HeldRecord.objects.select_for_update().filter(Q(academy_id=academy_id) & match)
                        .order_by("pk").values_list(*HELD_FIELDS))
            _apply(academy_id, held, by_ext, by_email, result)
    result.pop("still_held")
    return result


def on_users_created(academy_id: int, user_ids: list[int]) -> None:
    """The listener registered with accounts.services (see apps.py)."""
    held_records_attach(academy_id=academy_id, user_ids=user_ids)


def _users_by_email(academy_id: int, emails: set[str]) -> dict[str, int]:
    """Learners of the academy by lower-cased email; the first account wins when two share one."""
    if not emails:
        return {}
    found: dict[str, int] = {}
    for pk, email in User.objects.annotate(lower_email=Lower("email")).filter(
            academy_id=academy_id, lower_email__in=emails).order_by("pk").values_list("pk", "email"):
        found.setdefault(email.lower(), pk)
    return found


Held = tuple[int, int, str, str, dict[str, Any], int, str]  # pk, course, external id, email, data, run, scope


def _apply(academy_id: int, held: list[Held], by_ext: dict[str, int], by_email: dict[str, int],
           result: dict[str, int]) -> None:
    """Write the held rows that found their learner, as the import writes rows, and remove them."""
    now = timezone.now()
    matched: list[tuple[int, int, dict[str, Any], int, str]] = []
    done: list[int] = []
    for pk, course_id, ext, email, data, run_id, scope in held:
        user_id = (by_ext.get(ext) if ext else None) or (by_email.get(email.lower()) if email else None)
        if user_id is None:
            result["still_held"] += 1
            continue
        matched.append((user_id, course_id, data, run_id, scope))
        done.append(pk)
    if not matched:
        return
    user_ids = {m[0] for m in matched}
    course_ids = {m[1] for m in matched}
    enrolled, credited = existing_records(user_ids, course_ids)
    academy = Academy(pk=academy_id)
    enrollments: dict[tuple[int, int], Enrollment] = {}
    credits: list[CreditRecord] = []
    for user_id, course_id, data, run_id, scope in matched:
        pair = (user_id, course_id)
        if pair not in enrolled and pair not in enrollments:
            enrollments[pair] = _enrollment(academy, user_id, course_id, data, now)
        elif data.get("complete") and pair in enrollments:
            _complete(enrollments[pair], data, now)
        type_id = data.get("t")
        if type_id and (user_id, course_id, type_id) not in credited:
            credited.add((user_id, course_id, type_id))
            credits.append(CreditRecord(
                academy_id=academy_id, user_id=user_id, course_id=course_id, credit_type_id=type_id,
                credits=Decimal(data["cr"]), awarded_on=_day(data.get("done")) or now.date(),
                expires_on=_day(data.get("exp")), participant_category=data.get("cat", ""), attended=data.get("att"),
                source=CreditSource.COURSE_IMPORT if scope == ImportScope.COURSE else CreditSource.GLOBAL_IMPORT,
                run_id=run_id,
            ))
    Enrollment.objects.bulk_create(list(enrollments.values()), ignore_conflicts=True)
    CreditRecord.objects.bulk_create(credits, ignore_conflicts=True)
    HeldRecord.objects.filter(pk__in=done).delete()
    result["assigned"] += len(done)
    result["enrollments_created"] += len(enrollments)
    result["credits_created"] += len(credits)
