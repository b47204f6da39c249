"""The provider API, in OpenSesame's wire format so a client written for OpenSesame works unchanged.

  POST {base}/marketplace/api/oauth2/token     HTTP Basic client_id:client_secret,
       grant_type=client_credentials&scope=content  ->  {"access_token", "token_type": "Bearer", "expires_in"}
  GET  {base}/marketplace/api/v1/content?customerIntegrationId=CIID&limit=50&page=N
       Authorization: Bearer TOKEN  ->  {"data": [...], "paging": {"next": URL or null}}
  GET  {base}/marketplace/api/v1/content/{id}/package?customerIntegrationId=CIID   the AICC zip

Plain Django views rather than the project's ninja API: the request and answer shapes are OpenSesame's
(form-encoded token request, Basic auth, its paging), not ours. Errors are JSON in the project's shape
{"error": {"code", "message", "field"}}: 400 bad input, 401 bad or expired token, 404 unknown CIID
or course, 405, 429 with Retry-After past RATE_PER_MINUTE requests of one client in a minute.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from coursebridge.core.errors import DomainError
from coursebridge.marketplace import credentials, selectors
from coursebridge.marketplace.credentials import Unauthorized
from coursebridge.marketplace.models import LAUNCHABLE_STATUSES, ApiClient, Delivery, Integration

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_PAGE = 1_000_000
# `ids` names at most this many courses (a push notice names up to 1,000; clients ask in smaller groups).
MAX_IDS = 200
RATE_WINDOW_SECONDS = 60


def rate_per_minute() -> int:
    return int(getattr(settings, "MARKETPLACE_API_RATE_PER_MINUTE", 600))


def error(status: int, code: str, message: str, *, field: str | None = None,
          headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, "field": field}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="marketplace"'
    return response


def _throttled(client_key: str) -> int:
    """Seconds to wait when the client is over its limit, else 0 (a fixed one-minute window)."""
    window = int(time.time() // RATE_WINDOW_SECONDS)
    key = f"marketplace:rate:{client_key}:{window}"
    cache.add(key, 0, RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RATE_WINDOW_SECONDS + 5)
        count = 1
    if count > rate_per_minute():
        return max(1, (window + 1) * RATE_WINDOW_SECONDS - int(time.time()))
    return 0


def _basic(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep or "\x00" in decoded or len(client_id) > 64:
        return None
    return client_id, secret


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return error(405, "method_not_allowed", "Request a token with POST.")
    pair = _basic(request)
    if pair is None:
        return error(401, "unauthenticated", "Send the client id and secret with HTTP Basic authentication.")
    if request.POST.get("grant_type") != "client_credentials":
        return error(400, "unsupported_grant_type", "grant_type must be client_credentials.", field="grant_type")
    scope = request.POST.get("scope", "content")
    if scope not in {"content", ""}:
        return error(400, "invalid_scope", f"The scope {scope!r} is not offered; ask for \"content\".", field="scope")
    wait = _throttled(f"id:{pair[0][:64]}")
    if wait:
        return error(429, "throttled", f"Too many requests: try again in {wait} s.", headers={"Retry-After": str(wait)})
    try:
        access_token, expires_in = credentials.token_issue(client_id=pair[0], client_secret=pair[1])
    except Unauthorized as exc:
        return error(401, "unauthenticated", exc.message)
    response = JsonResponse({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in,
                             "scope": "content"})
    response["Cache-Control"] = "no-store"
    return response


def _client(request: HttpRequest) -> ApiClient | JsonResponse:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or "\x00" in value:
        return error(401, "unauthenticated", "Send a bearer token: Authorization: Bearer <access_token>.")
    try:
        client = credentials.token_client(token=value.strip())
    except Unauthorized as exc:
        return error(401, "unauthenticated", exc.message)
    wait = _throttled(f"client:{client.pk}")
    if wait:
        return error(429, "throttled", f"Too many requests: try again in {wait} s.", headers={"Retry-After": str(wait)})
    return client


def _integration(request: HttpRequest, client: ApiClient) -> Integration | JsonResponse:
    ciid = request.GET.get("customerIntegrationId", "").strip()
    if not ciid:
        return error(400, "invalid", "customerIntegrationId is required.", field="customerIntegrationId")
    integration = None
    if len(ciid) <= 64 and "\x00" not in ciid:
        integration = (Integration.objects.filter(ciid=ciid, account_id=client.account_id, active=True)
                       .only("id", "ciid", "account_id", "last_position").first())
    if integration is None:
        return error(404, "not_found", f"No integration with the customerIntegrationId {ciid!r} for these "
                     "credentials.", field="customerIntegrationId")
    return integration


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not low <= int(raw) <= high:
        raise DomainError(f"{name} must be a whole number from {low} to {high}.", field=name)
    return int(raw)


def _ids_param(request: HttpRequest) -> list[str] | None:
    """`ids`: course ids separated by commas (our extension, used after a push notice names them)."""
    raw = request.GET.get("ids", "").strip()
    if not raw:
        return None
    codes = list(dict.fromkeys(code.strip() for code in raw.split(",") if code.strip()))
    if len(codes) > MAX_IDS:
        raise DomainError(f"ids names {len(codes)} courses; at most {MAX_IDS} can be asked for at once.", field="ids")
    if any(len(code) > 64 or not code.isprintable() for code in codes):
        raise DomainError("ids holds a course id that is not one (at most 64 printable characters).", field="ids")
    return codes


def _authorized_integration(request: HttpRequest) -> Integration | JsonResponse:
    """The integration the request's token may read (customerIntegrationId), or the error answer."""
    client = _client(request)
    if isinstance(client, JsonResponse):
        return client
    return _integration(request, client)


def content(request: HttpRequest) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        return error(405, "method_not_allowed", "Read the content with GET.")
    integration = _authorized_integration(request)
    if isinstance(integration, JsonResponse):
        return integration
    try:
        limit = _int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        page = _int_param(request, "page", 1, 1, MAX_PAGE)
        after = _int_param(request, "after", 0, 0, 2**63 - 1) if request.GET.get("after") else None
        codes = _ids_param(request)
    except DomainError as exc:
        return error(400, "invalid", exc.message, field=exc.field)
    rows, more = selectors.delivered_content(integration=integration, page=page, limit=limit, after=after,
                                             codes=codes)
    base = request.build_absolute_uri("/").rstrip("/")
    launch_prefix = base + reverse("marketplace:aicc_launch", args=[integration.ciid, "CODE"]).replace("CODE/", "")
    package_prefix = base + reverse("marketplace:api_package", args=["CODE"]).replace("CODE/package", "")
    query = urlencode({"customerIntegrationId": integration.ciid})
    data = [_item(row, launch_prefix=launch_prefix, package_prefix=package_prefix, query=query) for row in rows]
    following = None
    if more:
        # `page` for clients that count pages, `after` (the last position) for those that follow `next`.
        last = rows[-1]["position"] if rows else page * limit
        following = base + reverse("marketplace:api_content") + "?" + urlencode(
            {"customerIntegrationId": integration.ciid, "limit": limit, "page": page + 1, "after": last,
             **({"ids": ",".join(codes)} if codes else {})}
        )
    return JsonResponse({"data": data, "paging": {"next": following}})


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _item(row: dict[str, Any], *, launch_prefix: str, package_prefix: str, query: str) -> dict[str, Any]:
    code = row["course__code"]
    return {
        "id": code,
        "title": row["course__title"],
        "descriptionText": row["course__description_text"],
        "descriptionHtml": row["course__description_html"],
        "imageUrl": row["course__image_url"],
        "thumbnailUrl": row["course__thumbnail_url"],
        "duration": _duration(row["course__duration_seconds"]),
        "languages": row["course__languages"],
        "categories": row["course__categories"],
        "publisherName": row["course__publisher__name"],
        "packageDownloadUrl": f"{package_prefix}{code}/package?{query}" if row["course__package_file"] else None,
        "aiccLaunchUrl": f"{launch_prefix}{code}/" if row["course__au_path"] else None,
        "active": row["course__status"] in LAUNCHABLE_STATUSES,
    }


def package(request: HttpRequest, code: str) -> HttpResponseBase:
    if request.method not in {"GET", "HEAD"}:
        return error(405, "method_not_allowed", "Download the package with GET.")
    integration = _authorized_integration(request)
    if isinstance(integration, JsonResponse):
        return integration
    if "\x00" in code:
        return error(404, "not_found", "No such course.")
    delivery = (Delivery.objects.select_related("course")
                .filter(integration=integration, course__code=code, sent_at__isnull=False).first())
    if delivery is None or not delivery.course.package_file or not default_storage.exists(delivery.course.package_file):
        return error(404, "not_found", f"No package for the course {code!r} in this integration.")
    return FileResponse(default_storage.open(delivery.course.package_file, "rb"), as_attachment=True,
                        filename=f"{code}.zip", content_type="application/zip")


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error(404, "not_found", "No such endpoint. The API offers /oauth2/token and /v1/content.")
