"""The signed push: OpenSesame (or our marketplace) announces a delivery or a lifecycle change, and the
academy runs an incremental sync at once, so delivered courses appear in seconds.

  POST /api/academies/{slug}/connectors/opensesame/webhook
  X-Marketplace-Timestamp: seconds since the epoch
  X-Marketplace-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the webhook secret>
  X-Marketplace-Event: content.delivered | content.updated | content.retiring | content.retired | ...
  {"event", "customerIntegrationId", "count", "courseIds", "truncated", "occurredAt"}

A notice is accepted once: a bad or missing signature, a timestamp more than five minutes away, and
a signature already received (a replay) are refused. Nothing of the body is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status

from coursebridge.accounts.models import Academy
from coursebridge.connectors.models import Connection, RunTrigger
from coursebridge.connectors.providers.opensesame import mapping
from coursebridge.connectors.providers.opensesame.provider import stored_secrets
from coursebridge.connectors.services import sync_start
from coursebridge.core.api import error_response, responses
from coursebridge.core.errors import Conflict, DomainError

# A push naming more courses than this is synced by reading the whole catalogue.
MAX_NAMED_IDS = 1000
logger = logging.getLogger(__name__)
router = Router(tags=["connectors"])

TIMESTAMP_HEADER = "X-Marketplace-Timestamp"
SIGNATURE_HEADER = "X-Marketplace-Signature"
EVENT_HEADER = "X-Marketplace-Event"
TOLERANCE_SECONDS = 300
MAX_BODY = 256 * 1024
SEEN_KEY = "webhook_seen"


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(*, secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None) -> str:
    """"" when the notice is authentic and fresh, else why not (for the answer; never the secret)."""
    if not secret:
        return "no webhook secret is set for this connection"
    if not timestamp.isdigit():
        return f"{TIMESTAMP_HEADER} is missing or not a number of seconds"
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS // 60} minutes away from our clock"
    if not hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature.strip()):
        return f"{SIGNATURE_HEADER} does not match the body"
    return ""


def _remember(connection_id: int, signature: str, timestamp: int, now: float) -> bool:
    """Record the signature; False when it was already received (a replay). Kept for the tolerance
    window, under the connection's row lock, so two workers cannot both accept it."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        options = dict(connection.options or {})
        seen = {key: ts for key, ts in (options.get(SEEN_KEY) or {}).items()
                if isinstance(ts, int) and now - ts <= 2 * TOLERANCE_SECONDS}
        key = hashlib.sha256(signature.encode()).hexdigest()[:32]
        if key in seen:
            return False
        seen[key] = timestamp
        options[SEEN_KEY] = seen
        Connection.objects.filter(pk=connection_id).update(options=options)
    return True


def _refused(message: str) -> JsonResponse:
    return error_response(401, f"The notice was refused: {message}.", code="unauthenticated")


class NoticeOut(Schema):
    accepted: bool = Field(description="false when OpenSesame is switched off in the academy: nothing synced.")
    event: str
    job_id: int | None = Field(description="The queued sync: GET /api/jobs/{job_id} follows it.")
    message: str


@router.post("/academies/{slug}/connectors/opensesame/webhook", auth=None, response=responses(NoticeOut, 202),
             url_name="opensesame_webhook", summary="OpenSesame's signed delivery notice")
def opensesame_webhook(request: HttpRequest, slug: str) -> Any:
    """Verifies the signature (HMAC-SHA256 with the connection's webhook secret) and the timestamp,
    refuses replays, then queues an incremental sync: 202 with the job. 401 for any notice that
    cannot be verified, 409 while a sync runs (the sender retries), 400 for a body that is not a
    notice for this academy's CIID."""
    now = time.time()
    academy = Academy.objects.filter(slug=slug).first()
    connection = (Connection.objects.filter(academy=academy, provider=mapping.PROVIDER).first()
                  if academy is not None else None)
    body = request.body[:MAX_BODY + 1]
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if connection is None:
        return _refused("this academy has no OpenSesame connection")
    problem = signature_valid(secret=stored_secrets(connection).get("webhook_secret", ""), timestamp=timestamp,
                              body=body, signature=signature, now=now)
    if problem:
        logger.info("opensesame webhook for connection %s refused: %s", connection.pk, problem)
        return _refused(problem)
    if not _remember(connection.pk, signature, int(timestamp), now):
        return error_response(409, "The notice was refused: this signature was already received (a replay).",
                              code="replay")
    try:
        notice: Any = json.loads(body)
    except ValueError:
        return error_response(400, "The body is not JSON.", code="malformed_json")
    if not isinstance(notice, dict):
        return error_response(400, "The body is not a JSON object.", code="invalid")
    ciid = str(notice.get("customerIntegrationId") or "")
    if ciid != str((connection.options or {}).get("ciid") or ""):
        return error_response(400, f"The notice is for the CIID '{ciid[:64]}', not this academy's.",
                              code="invalid", field="customerIntegrationId")
    event = str(request.headers.get(EVENT_HEADER) or notice.get("event") or "")[:60]
    if not connection.enabled:
        return Status(202, {"accepted": False, "event": event, "job_id": None,
                     "message": "OpenSesame is switched off in this academy: nothing was synced."})
    try:
        # A delivery names new courses; any other event (retired, archived, updated) names courses whose
        # absence from the answer means the provider stopped offering them.
        job = sync_start(connection=connection, trigger=RunTrigger.API, full=False, only=_named_ids(notice),
                         retire_named=event != "content.delivered")
    except Conflict as exc:
        return error_response(409, exc.message, code="busy")
    except DomainError as exc:
        return error_response(400, exc.message, code=exc.code, field=exc.field)
    logger.info("opensesame webhook %s for connection %s: job %s", event, connection.pk, job.pk)
    return Status(202, {"accepted": True, "event": event, "job_id": job.pk,
                        "message": "An incremental sync is queued."})


def _named_ids(notice: dict[str, Any]) -> list[str] | None:
    """The course ids a notice names, when it names them all (not truncated, at most MAX_NAMED_IDS):
    the sync then fetches just those. Otherwise None: the sync reads the whole catalogue."""
    ids = notice.get("courseIds")
    if notice.get("truncated") or not isinstance(ids, list) or not 0 < len(ids) <= MAX_NAMED_IDS:
        return None
    if not all(isinstance(i, str) and 0 < len(i) <= 200 and "," not in i for i in ids):
        return None
    return list(dict.fromkeys(ids))
