"""Add to Library, the license checks and question, deliveries to every kind of integration, the
legacy queue with its trash and Send to LMS, idempotent re-delivery."""

from __future__ import annotations

import pytest

from coursebridge.core.errors import Conflict, DomainError
from coursebridge.core.models import Job
from coursebridge.marketplace import delivery, services
from coursebridge.marketplace.models import Delivery, License, WebhookEvent
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db


def test_add_to_library_creates_ppu_licenses_once(media):
    account = f.account()
    courses = [f.course(package=False) for _ in range(3)]
    f.license_for(account, courses[0], "ppu")

    job = delivery.library_add_start(account=account, course_ids=[c.pk for c in courses], by_id=None)
    done = delivery.library_add_run(job_id=job.pk)

    assert done.counts == {"created": 2, "already": 1}
    assert done.percent == 100
    assert sorted(License.objects.filter(account=account, kind="ppu").values_list("course_id", flat=True)) == sorted(
        c.pk for c in courses)


def test_add_to_library_is_refused_without_ppu_or_selection():
    account = f.account(ppu_enabled=False)
    with pytest.raises(DomainError, match="not configured for Pay Per Use"):
        delivery.library_add_start(account=account, course_ids=[1], by_id=None)
    with pytest.raises(DomainError, match="Select at least one course"):
        delivery.library_add_start(account=f.account(), course_ids=[], by_id=None)
    assert not Job.objects.exists()


def test_the_plan_refuses_unlicensed_and_expired_courses_and_asks_between_license_types(media):
    from datetime import timedelta

    from django.utils import timezone

    account = f.account()
    plain, unlicensed, expired, both = (f.course(title=t, package=False) for t in ("Plain", "Bare", "Old", "Both"))
    f.license_for(account, plain, "ppu")
    f.license_for(account, expired, "ppu", expires_at=timezone.now() - timedelta(days=1))
    f.license_for(account, both, "ppu")
    f.license_for(account, both, "volume", seats=5)

    plan = delivery.delivery_plan(account=account, course_ids=[plain.pk, unlicensed.pk, expired.pk, both.pk])
    answered = delivery.delivery_plan(account=account, course_ids=[both.pk], license_kinds={both.pk: "volume"})

    assert [c.title for c in plan.refused] == ["Bare", "Old"]
    assert list(plan.chosen) == [plain.pk]
    assert [lic.kind for lic in plan.choices[both.pk]] == ["ppu", "volume"]
    assert answered.chosen == {both.pk: License.objects.get(course=both, kind="volume").pk}


def test_delivery_to_push_pull_and_legacy_integrations_and_again_changes_nothing(media):
    account = f.account()
    push = f.integration(account, "push", name="Push LMS")
    pull = f.integration(account, "pull", name="Pull LMS")
    legacy = f.integration(account, "legacy", name="Legacy LMS")
    courses = [f.course(package=False) for _ in range(3)]
    for c in courses:
        f.license_for(account, c)

    job, _ = delivery.delivery_start(account=account, course_ids=[c.pk for c in courses],
                                     integration_ids=[push.pk, pull.pk, legacy.pk], by_id=None)
    first = delivery.delivery_run(job_id=job.pk)
    again, _ = delivery.delivery_start(account=account, course_ids=[c.pk for c in courses],
                                       integration_ids=[push.pk], by_id=None)
    second = delivery.delivery_run(job_id=again.pk)

    assert first.counts == {"delivered": 6, "already": 0, "pending": 3}
    assert second.counts == {"delivered": 0, "already": 3, "pending": 0}
    assert Delivery.objects.filter(integration=push, sent_at__isnull=False).count() == 3
    assert Delivery.objects.filter(integration=legacy, sent_at__isnull=True).count() == 3
    event = WebhookEvent.objects.get()
    assert (event.integration, event.event, event.payload["count"]) == (push, "content.delivered", 3)
    assert event.payload["courseIds"] == [c.code for c in courses]


def test_delivery_without_any_license_or_integration_is_refused(media):
    account = f.account()
    integration = f.integration(account)
    bare = f.course(package=False)
    with pytest.raises(DomainError, match="None of the selected courses has an active license"):
        delivery.delivery_start(account=account, course_ids=[bare.pk], integration_ids=[integration.pk], by_id=None)
    f.license_for(account, bare)
    with pytest.raises(DomainError, match="Choose at least one integration"):
        delivery.delivery_start(account=account, course_ids=[bare.pk], integration_ids=[], by_id=None)
    other = f.integration(f.account())
    with pytest.raises(DomainError, match="not an active integration of this account"):
        delivery.delivery_start(account=account, course_ids=[bare.pk], integration_ids=[other.pk], by_id=None)
    assert not Delivery.objects.exists()


def test_legacy_trash_and_send_to_lms(media):
    account = f.account()
    legacy = f.integration(account, "legacy")
    kept, dropped = f.course(package=False), f.course(package=False)
    f.delivered(account, legacy, [kept, dropped])
    to_drop = Delivery.objects.get(course=dropped)

    removed = delivery.delivery_remove(account=account, delivery_id=to_drop.pk)
    job = delivery.legacy_send_start(account=account, integration=legacy, by_id=None)
    sent = delivery.legacy_send_run(job_id=job.pk)

    assert removed == dropped
    assert sent.counts == {"sent": 1}
    assert list(Delivery.objects.values_list("course_id", flat=True)) == [kept.pk]
    assert Delivery.objects.get().sent_at is not None
    with pytest.raises(DomainError, match="nothing to send"):
        delivery.legacy_send_start(account=account, integration=legacy, by_id=None)


def test_ocn_keeps_sent_courses_pending_and_its_trash_refuses_them(media):
    from coursebridge.marketplace import selectors

    account = f.account()
    ocn = f.integration(account, "ocn")
    sent_course, waiting = f.course(title="Sent", package=False), f.course(title="Waiting", package=False)
    f.delivered(account, ocn, [sent_course])
    delivery.legacy_send_run(job_id=delivery.legacy_send_start(account=account, integration=ocn, by_id=None).pk)
    f.delivered(account, ocn, [waiting])

    pending = [d.course.title for d in selectors.legacy_queue(integration=ocn, tab="pending")]
    history = [d.course.title for d in selectors.legacy_queue(integration=ocn, tab="history")]
    with pytest.raises(Conflict, match="“Sent” was already sent"):
        delivery.delivery_remove(account=account, delivery_id=Delivery.objects.get(course=sent_course).pk)
    delivery.delivery_remove(account=account, delivery_id=Delivery.objects.get(course=waiting).pk)

    assert pending == ["Sent", "Waiting"]
    assert history == ["Sent"]
    assert list(Delivery.objects.values_list("course__title", flat=True)) == ["Sent"]


def test_another_accounts_delivery_cannot_be_removed(media):
    from coursebridge.core.errors import NotFound

    mine, theirs = f.account(), f.account()
    legacy = f.integration(theirs, "legacy")
    f.delivered(theirs, legacy, [f.course(package=False)])
    with pytest.raises(NotFound):
        delivery.delivery_remove(account=mine, delivery_id=Delivery.objects.get().pk)
    assert Delivery.objects.count() == 1


def test_lifecycle_changes_notify_push_integrations_and_refuse_bad_input(media):
    from datetime import timedelta

    from django.utils import timezone

    account = f.account()
    push = f.integration(account, "push")
    course, replacement = f.course(package=False), f.course(package=False)
    f.delivered(account, push, [course])

    services.course_retire_schedule(course=course, retire_date=timezone.localdate() + timedelta(days=30),
                                    reason="Series redesign", replacements=[replacement])
    with pytest.raises(DomainError, match="in the past"):
        services.course_retire_schedule(course=course, retire_date=timezone.localdate() - timedelta(days=1), reason="")
    assert services.courses_retire_due(today=timezone.localdate() + timedelta(days=30)) == 1

    course.refresh_from_db()
    assert course.status == "retired"
    assert list(course.replacements.all()) == [replacement]
    assert list(WebhookEvent.objects.order_by("id").values_list("event", flat=True)) == [
        "content.delivered", "content.retiring", "content.retired"]


def test_course_input_is_checked(media):
    pub = f.publisher()
    with pytest.raises(DomainError, match="not a path like"):
        services.course_create(publisher=pub, title="T", categories=["Business/Leadership"])
    with pytest.raises(DomainError, match="not a language code"):
        services.course_create(publisher=pub, title="T", languages=["English"])
    with pytest.raises(DomainError, match="package was refused: The file is not a zip archive") as caught:
        services.course_create(publisher=pub, title="T", package=b"not a zip")
    assert caught.value.field == "package"
    from coursebridge.marketplace.models import MarketCourse

    assert not MarketCourse.objects.exists()
