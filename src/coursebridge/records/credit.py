"""Credit earned in the academy: when an enrollment in a course that offers credit is completed (or
passed), the learner receives each credit type the course offers, at the offer's maximum, dated the
day of the completion, with the source "native" (it counts toward PARS). An existing credit record of
the same learner, course and type (imported earlier, say) is never changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from coursebridge.learning.models import Enrollment
from coursebridge.learning.services import COMPLETED_STATUSES
from coursebridge.records.models import CourseCreditOffer, CreditRecord, CreditSource


def native_credits_award(*, enrollment_ids: Sequence[int]) -> int:
    """Credit records for these just-completed enrollments; returns how many were created. One query
    when none of their courses offers credit."""
    offered = CourseCreditOffer.objects.filter(course_id=OuterRef("course_id"))
    done = list(Enrollment.objects.filter(
        pk__in=list(enrollment_ids), status__in=list(COMPLETED_STATUSES), completed_at__isnull=False,
    ).filter(Exists(offered)).values_list("academy_id", "user_id", "course_id", "completed_at"))
    if not done:
        return 0
    offers: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for course_id, type_id, max_credits in CourseCreditOffer.objects.filter(
            course_id__in={d[2] for d in done}).values_list("course_id", "credit_type_id", "max_credits"):
        offers[course_id].append((type_id, max_credits))
    have = set(CreditRecord.objects.filter(
        user_id__in={d[1] for d in done}, course_id__in=set(offers)).values_list("user_id", "course_id",
                                                                                 "credit_type_id"))
    records = []
    for academy_id, user_id, course_id, completed_at in done:
        for type_id, max_credits in offers[course_id]:
            if (user_id, course_id, type_id) in have:
                continue
            have.add((user_id, course_id, type_id))
            records.append(CreditRecord(
                academy_id=academy_id, user_id=user_id, course_id=course_id, credit_type_id=type_id,
                credits=max_credits, awarded_on=timezone.localdate(completed_at), source=CreditSource.NATIVE,
            ))
    # ignore_conflicts: a concurrent import may have written the same credit first; it is kept.
    CreditRecord.objects.bulk_create(records, ignore_conflicts=True)
    return len(records)


def on_enrollments_completed(enrollment_ids: list[int]) -> None:
    """The listener registered with learning.services (see apps.py)."""
    native_credits_award(enrollment_ids=enrollment_ids)
