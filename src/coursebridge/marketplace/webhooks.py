"""Signed webhooks to push integrations: a delivery or a lifecycle change is announced at once, so the
LMS fetches /v1/content moments later.

Each notice is a WebhookEvent row, POSTed as JSON with two headers:
  X-Marketplace-Timestamp: seconds since the epoch when the attempt was signed
  X-Marketplace-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the integration's secret>
A 2xx answer delivers it; anything else (or no answer) is logged as a WebhookAttempt and retried by
the Celery task with exponential backoff, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from coursebridge.marketplace.models import (
    Delivery,
    Integration,
    IntegrationKind,
    MarketCourse,
    WebhookAttempt,
    WebhookEvent,
)

TIMESTAMP_HEADER = "X-Marketplace-Timestamp"
SIGNATURE_HEADER = "X-Marketplace-Signature"
EVENT_HEADER = "X-Marketplace-Event"
MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10.0
# Listed in one notice at most; a bigger delivery says how many and the LMS reads /v1/content anyway.
MAX_IDS = 1000


class WebhookFailed(Exception):
    """The LMS did not accept the notice; the task retries it."""


def backoff_seconds(attempt: int) -> int:
    """30 s, 1 min, 2 min, 4 min, 8 min after attempts 1..5."""
    return int(30 * 2 ** max(0, attempt - 1))


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(*, secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret=secret, timestamp=int(timestamp), body=body), signature)


def _enqueue(events: list[WebhookEvent]) -> None:
    if not events:
        return
    from coursebridge.marketplace.tasks import send_webhook

    ids = [e.pk for e in events]
    # robust: a broker hiccup must not turn the delivery that was just saved into an error page.
    transaction.on_commit(lambda: [send_webhook.delay(event_id) for event_id in ids], robust=True)


def event_create(*, integration: Integration, event: str, course_codes: list[str]) -> WebhookEvent:
    payload: dict[str, Any] = {
        "event": event,
        "customerIntegrationId": integration.ciid,
        "count": len(course_codes),
        "courseIds": course_codes[:MAX_IDS],
        "truncated": len(course_codes) > MAX_IDS,
        "occurredAt": timezone.now().isoformat(),
    }
    return WebhookEvent.objects.create(integration=integration, event=event, payload=payload)


def events_for_delivery(*, integration: Integration, course_codes: list[str]) -> None:
    if integration.kind != IntegrationKind.PUSH or not integration.webhook_url or not course_codes:
        return
    _enqueue([event_create(integration=integration, event="content.delivered", course_codes=course_codes)])


def events_for_course(*, course: MarketCourse, event: str) -> None:
    """A lifecycle change, announced to every push integration the course went to."""
    integrations = Integration.objects.filter(
        pk__in=Delivery.objects.filter(course=course, sent_at__isnull=False).values("integration_id"),
        kind=IntegrationKind.PUSH, active=True,
    ).exclude(webhook_url="")
    _enqueue([event_create(integration=i, event=event, course_codes=[course.code]) for i in integrations])


def webhook_attempt(*, event_id: int) -> WebhookEvent:
    """POST the event once and log the attempt. Raises WebhookFailed when the LMS did not take it."""
    event = WebhookEvent.objects.select_related("integration").get(pk=event_id)
    if event.status != WebhookEvent.Status.PENDING:
        return event
    integration = event.integration
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret=integration.webhook_secret, timestamp=timestamp, body=body),
        EVENT_HEADER: event.event,
    }
    number = event.attempts + 1
    began = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        response = httpx.post(integration.webhook_url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        status_code = response.status_code
        if not response.is_success:
            error = f"The LMS answered HTTP {status_code}."
    except httpx.HTTPError as exc:
        error = f"The LMS could not be reached ({exc.__class__.__name__})."
    elapsed = int((time.monotonic() - began) * 1000)
    with transaction.atomic():
        WebhookAttempt.objects.create(event=event, number=number, status_code=status_code, error=error,
                                      duration_ms=elapsed)
        event.attempts = number
        if not error:
            event.status = WebhookEvent.Status.DELIVERED
            event.delivered_at = timezone.now()
        elif number >= MAX_ATTEMPTS:
            event.status = WebhookEvent.Status.FAILED
        event.save(update_fields=["attempts", "status", "delivered_at"])
    if error and event.status == WebhookEvent.Status.PENDING:
        raise WebhookFailed(error)
    return event
