"""Signed webhooks to push integrations: the signature a receiver checks, retries with backoff, each
attempt logged."""

from __future__ import annotations

import json

import pytest

from coursebridge.marketplace import webhooks
from coursebridge.marketplace.models import WebhookEvent
from coursebridge.marketplace.tasks import send_webhook
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db



def test_a_delivery_is_announced_with_a_signature_the_lms_can_check(media, fake_lms):
    account = f.account()
    push = f.integration(account, "push", webhook_url=fake_lms.webhook_url, webhook_secret="s3cret")
    course = f.course(package=False)
    f.delivered(account, push, [course])
    event = WebhookEvent.objects.get()

    webhooks.webhook_attempt(event_id=event.pk)

    received = fake_lms.received[0]
    headers = {k.lower(): v for k, v in received["headers"].items()}
    assert webhooks.verify(secret="s3cret", timestamp=headers["x-marketplace-timestamp"], body=received["body"],
                           signature=headers["x-marketplace-signature"])
    assert not webhooks.verify(secret="other", timestamp=headers["x-marketplace-timestamp"], body=received["body"],
                               signature=headers["x-marketplace-signature"])
    assert json.loads(received["body"])["courseIds"] == [course.code]
    assert headers["x-marketplace-event"] == "content.delivered"
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("delivered", 1)


def test_refusals_are_retried_with_backoff_and_every_attempt_is_logged(media, fake_lms):
    account = f.account()
    push = f.integration(account, "push", webhook_url=fake_lms.webhook_url)
    f.delivered(account, push, [f.course(package=False)])
    event = WebhookEvent.objects.get()
    fake_lms.webhook_statuses[:] = [500, 503]

    send_webhook.apply(args=[event.pk])  # eager: each retry runs at once instead of after its countdown

    event.refresh_from_db()
    assert (event.status, event.attempts) == ("delivered", 3)
    assert list(event.attempt_log.values_list("number", "status_code", "error")) == [
        (1, 500, "The LMS answered HTTP 500."), (2, 503, "The LMS answered HTTP 503."), (3, 200, "")]
    assert [webhooks.backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_an_unreachable_lms_fails_the_event_after_the_last_attempt(media):
    account = f.account()
    push = f.integration(account, "push", webhook_url="http://127.0.0.1:9/webhook")
    f.delivered(account, push, [f.course(package=False)])
    event = WebhookEvent.objects.get()

    send_webhook.apply(args=[event.pk])

    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert event.attempt_log.first().error == "The LMS could not be reached (ConnectError)."
