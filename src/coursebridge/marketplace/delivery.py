"""Add to Library and delivery, the seed's whole path: PPU licenses for selected courses, the
license checks and license type question, deliveries to integrations (push, pull, legacy, OCN),
the legacy Pending tab with its trash and Send to LMS. The long parts run as core Job rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from coursebridge.core import jobs
from coursebridge.core.errors import Conflict, DomainError, NotFound
from coursebridge.core.models import Job
from coursebridge.marketplace import webhooks
from coursebridge.marketplace.models import (
    LAUNCHABLE_STATUSES,
    CustomerAccount,
    Delivery,
    Integration,
    IntegrationKind,
    License,
    LicenseKind,
    MarketCourse,
)

CHUNK = 2000
JOB_LIBRARY = "marketplace.library_add"
JOB_DELIVER = "marketplace.deliver"
JOB_LEGACY_SEND = "marketplace.legacy_send"
MAX_SELECTION = 100_000


def _job(*, kind: str, account: CustomerAccount, by_id: int | None, params: dict[str, Any]) -> Job:
    return jobs.job_create(kind=kind, academy_id=None, created_by_id=by_id,
                           params={"account_id": account.pk, **params})


def _selected(account: CustomerAccount, course_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(i) for i in course_ids})
    if not ids:
        raise DomainError("Select at least one course.", field="courses")
    if len(ids) > MAX_SELECTION:
        raise DomainError(f"Select at most {MAX_SELECTION} courses at once.", field="courses")
    return ids


def _usable(now: Any) -> Any:
    from django.db.models import Q

    return Q(paused=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


# --- Add to Library -------------------------------------------------------------------------------


def library_add_start(*, account: CustomerAccount, course_ids: Sequence[int], by_id: int | None) -> Job:
    """PPU licenses for the selected courses, made by a background job."""
    if not account.ppu_enabled:
        raise DomainError("This account is not configured for Pay Per Use licenses.", field="courses")
    ids = _selected(account, course_ids)
    with transaction.atomic():
        job = _job(kind=JOB_LIBRARY, account=account, by_id=by_id, params={"course_ids": ids})
        from coursebridge.marketplace.tasks import library_add

        transaction.on_commit(lambda: library_add.delay(job.pk), robust=True)
    return job


def library_add_run(*, job_id: int) -> Job:
    job = Job.objects.get(pk=job_id)
    account = CustomerAccount.objects.get(pk=job.params["account_id"])
    ids: list[int] = job.params["course_ids"]
    jobs.job_start(job_id=job_id, total=len(ids))
    created = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with transaction.atomic():
            have = set(License.objects.filter(account=account, kind=LicenseKind.PPU, course_id__in=chunk)
                       .values_list("course_id", flat=True))
            exists = set(MarketCourse.objects.filter(pk__in=chunk, status__in=LAUNCHABLE_STATUSES)
                         .values_list("pk", flat=True))
            new = [License(account=account, course_id=i, kind=LicenseKind.PPU) for i in chunk
                   if i in exists and i not in have]
            License.objects.bulk_create(new, ignore_conflicts=True)
            created += len(new)
        jobs.job_progress(job_id=job_id, done=min(len(ids), start + CHUNK))
    return jobs.job_finish(job_id=job_id, counts={"created": created, "already": len(ids) - created})


# --- Deliver Courses ------------------------------------------------------------------------------


@dataclass
class DeliveryPlan:
    """What Deliver Courses would do with a selection: the courses refused for want of a license, the
    courses holding several license types (the question), and the license chosen for the rest."""

    refused: list[MarketCourse] = field(default_factory=list)
    choices: dict[int, list[License]] = field(default_factory=dict)
    chosen: dict[int, int] = field(default_factory=dict)
    courses: dict[int, MarketCourse] = field(default_factory=dict)

    @property
    def deliverable_ids(self) -> list[int]:
        return sorted(set(self.chosen) | set(self.choices))


def delivery_plan(
    *, account: CustomerAccount, course_ids: Sequence[int], license_kinds: dict[int, str] | None = None
) -> DeliveryPlan:
    """Check licenses: a course without an active license is refused; a course with several asks
    which to use (answered in `license_kinds`: course id -> kind)."""
    ids = _selected(account, course_ids)
    license_kinds = license_kinds or {}
    plan = DeliveryPlan()
    now = timezone.now()
    licenses: dict[int, list[License]] = defaultdict(list)
    for lic in License.objects.filter(account=account, course_id__in=ids).filter(_usable(now)).order_by("kind"):
        licenses[lic.course_id].append(lic)
    plan.courses = {c.pk: c for c in MarketCourse.objects.filter(pk__in=ids).only("id", "title", "code", "status")}
    for course_id in ids:
        course = plan.courses.get(course_id)
        if course is None:
            raise NotFound(f"No course with the id {course_id}.", field="courses")
        usable = licenses.get(course_id, []) if course.status in LAUNCHABLE_STATUSES else []
        if not usable:
            plan.refused.append(course)
        elif len(usable) == 1:
            plan.chosen[course_id] = usable[0].pk
        else:
            kind = license_kinds.get(course_id)
            picked = next((lic for lic in usable if lic.kind == kind), None)
            if picked is None:
                plan.choices[course_id] = usable
            else:
                plan.chosen[course_id] = picked.pk
    return plan


def delivery_start(
    *,
    account: CustomerAccount,
    course_ids: Sequence[int],
    integration_ids: Sequence[int],
    license_kinds: dict[int, str] | None = None,
    default_kind: str = "",
    by_id: int | None,
) -> tuple[Job, DeliveryPlan]:
    """Deliver the licensed courses of a selection to the chosen integrations (a background job).
    Courses without a license are left out (the plan names them); a course with several license
    types needs its answer in `license_kinds` or `default_kind`."""
    integrations = list(Integration.objects.filter(account=account, pk__in=set(integration_ids), active=True))
    if not integration_ids:
        raise DomainError("Choose at least one integration.", field="integrations")
    if len(integrations) != len(set(integration_ids)):
        raise NotFound("One of the chosen integrations is not an active integration of this account.",
                       field="integrations")
    plan = delivery_plan(account=account, course_ids=course_ids, license_kinds=license_kinds)
    if plan.choices and default_kind:
        for course_id, options in list(plan.choices.items()):
            picked = next((lic for lic in options if lic.kind == default_kind), None)
            if picked is not None:
                plan.chosen[course_id] = picked.pk
                del plan.choices[course_id]
    if plan.choices:
        titles = ", ".join(f"“{plan.courses[i].title}”" for i in list(plan.choices)[:5])
        raise DomainError(f"Choose which license to use for {titles}.", field="license")
    if not plan.chosen:
        raise DomainError("None of the selected courses has an active license: nothing to deliver.", field="courses")
    with transaction.atomic():
        job = _job(kind=JOB_DELIVER, account=account, by_id=by_id, params={
            "licenses": {str(c): lic for c, lic in plan.chosen.items()},
            "integration_ids": [i.pk for i in integrations],
        })
        from coursebridge.marketplace.tasks import deliver

        transaction.on_commit(lambda: deliver.delay(job.pk), robust=True)
    return job, plan


def delivery_run(*, job_id: int) -> Job:
    """Write the deliveries in chunks. A course already delivered to an integration stays as it was."""
    job = Job.objects.get(pk=job_id)
    account = CustomerAccount.objects.get(pk=job.params["account_id"])
    chosen = sorted((int(c), int(lic)) for c, lic in job.params["licenses"].items())
    integrations = list(Integration.objects.filter(account=account, pk__in=job.params["integration_ids"]))
    total = len(chosen) * len(integrations)
    jobs.job_start(job_id=job_id, total=total)
    codes = dict(MarketCourse.objects.filter(pk__in=[c for c, _ in chosen]).values_list("pk", "code"))
    counts = {"delivered": 0, "already": 0, "pending": 0}
    done = 0
    now = timezone.now()
    for integration in integrations:
        sent_at = None if integration.is_legacy else now
        new_codes: list[str] = []
        for start in range(0, len(chosen), CHUNK):
            chunk = chosen[start:start + CHUNK]
            with transaction.atomic():
                # The integration's row lock orders concurrent deliveries and their positions.
                last = Integration.objects.select_for_update().values_list("last_position", flat=True).get(
                    pk=integration.pk)
                have = set(Delivery.objects.filter(integration=integration, course_id__in=[c for c, _ in chunk])
                           .values_list("course_id", flat=True))
                new = [Delivery(account=account, integration=integration, course_id=c, license_id=lic,
                                created_by_id=job.created_by_id, sent_at=sent_at)
                       for c, lic in chunk if c not in have]
                for offset, row in enumerate(new, start=1):
                    row.position = last + offset
                Delivery.objects.bulk_create(new)
                Integration.objects.filter(pk=integration.pk).update(last_position=last + len(new))
            counts["already"] += len(chunk) - len(new)
            counts["pending" if integration.is_legacy else "delivered"] += len(new)
            new_codes += [codes[d.course_id] for d in new]
            done += len(chunk)
            jobs.job_progress(job_id=job_id, done=done)
        with transaction.atomic():
            webhooks.events_for_delivery(integration=integration, course_codes=new_codes)
    return jobs.job_finish(job_id=job_id, counts=counts)


# --- Legacy integrations: Pending, trash, Send to LMS, History -------------------------------------


def legacy_integration(*, account: CustomerAccount, integration_id: int) -> Integration:
    integration = Integration.objects.filter(account=account, pk=integration_id).first()
    if integration is None or not integration.is_legacy:
        raise NotFound("No such legacy integration in this account.")
    return integration


@transaction.atomic
def delivery_remove(*, account: CustomerAccount, delivery_id: int) -> MarketCourse:
    """The trash icon: only a course not yet sent can be removed (on OCN too, where sent ones still
    show Pending)."""
    delivery = (Delivery.objects.select_for_update().select_related("course", "integration")
                .filter(account=account, pk=delivery_id).first())
    if delivery is None:
        raise NotFound("No such course in the queue.")
    if delivery.sent_at is not None:
        raise Conflict(f"“{delivery.course.title}” was already sent to {delivery.integration.name}; it cannot be "
                       "removed from the queue.")
    course = delivery.course
    delivery.delete()
    return course


def legacy_send_start(*, account: CustomerAccount, integration: Integration, by_id: int | None) -> Job:
    if not integration.is_legacy or integration.account_id != account.pk:
        raise NotFound("No such legacy integration in this account.")
    if not Delivery.objects.filter(integration=integration, sent_at__isnull=True).exists():
        raise DomainError("No course is pending for this integration: nothing to send.", field="integration")
    with transaction.atomic():
        job = _job(kind=JOB_LEGACY_SEND, account=account, by_id=by_id, params={"integration_id": integration.pk})
        from coursebridge.marketplace.tasks import legacy_send

        transaction.on_commit(lambda: legacy_send.delay(job.pk), robust=True)
    return job


def legacy_send_run(*, job_id: int) -> Job:
    job = Job.objects.get(pk=job_id)
    integration = Integration.objects.get(pk=job.params["integration_id"], account_id=job.params["account_id"])
    ids = list(Delivery.objects.filter(integration=integration, sent_at__isnull=True).order_by("id")
               .values_list("pk", flat=True))
    jobs.job_start(job_id=job_id, total=len(ids))
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        Delivery.objects.filter(pk__in=ids[start:start + CHUNK], sent_at__isnull=True).update(sent_at=now)
        jobs.job_progress(job_id=job_id, done=min(len(ids), start + CHUNK))
    return jobs.job_finish(job_id=job_id, counts={"sent": len(ids)})


def integration_kind_banner(integration: Integration) -> str:
    """What the admin reads once courses went to an integration."""
    if integration.kind == IntegrationKind.PUSH:
        return f"{integration.name} was notified: the courses appear in your learning platform in a few moments."
    if integration.kind == IntegrationKind.PULL:
        return (f"The courses will appear in {integration.name} on its next sync with the marketplace. Some "
                "platforms can take up to 24 hours to sync, and some support manual syncs at any time.")
    return f"One more step for {integration.name}: review the courses and send them to your LMS."
