"""HACP messages answered ahead of Django's request handling: the WSGI application of
config/wsgi.py is wrapped with `HacpFastPath`.

An AU posts PutParam every few seconds to every minute per learner, without cookies: the aicc_sid
in the message is its only credential. Django's request cycle (the request signals, eight
middleware, URL resolution, the response object) does nothing for such a message but costs about
as much as the message's own work (docs/decisions/0007-hacp-hot-path.md). So a POST to the HACP
endpoint that is not multipart is answered here, with what of that cycle applies to it:

- the host is checked against ALLOWED_HOSTS (400 otherwise), a body over
  DATA_UPLOAD_MAX_MEMORY_SIZE is refused (413), exactly as Django's request object does it;
- the security headers SecurityMiddleware would add (nosniff, referrer and opener policies, HSTS on
  HTTPS); a plain-HTTP request when SECURE_SSL_REDIRECT is on goes to Django, which redirects it;
- the database connection is checked before and after, as the request signals do (CONN_MAX_AGE, a
  connection broken by an error): the default one, the only one a message uses;
- an unexpected error is logged on `django.request` (the path only: the message is learner data)
  and answered 500 in HACP's text.

Everything else (another path, another method, a multipart form, the preflight) goes to Django,
whose view (content.views_hacp) gives the same answers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver

from coursebridge.content import hacp
from coursebridge.content.aicc_runtime import hacp_handle
from coursebridge.content.views_hacp import CONTENT_TYPE, REPLY_HEADERS
from coursebridge.core import rawsql

HACP_PATH = "/content/hacp"  # reverse("content:hacp"); a test holds them together
logger = logging.getLogger("django.request")

StartResponse = Callable[..., Any]
WsgiApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
STATUS_LINES = {200: "200 OK", 400: "400 Bad Request", 413: "413 Request Entity Too Large",
                500: "500 Internal Server Error"}


@functools.cache
def security_headers(*, secure: bool) -> tuple[tuple[str, str], ...]:
    """What django.middleware.security.SecurityMiddleware adds to a response, from the settings
    (computed once; a change of settings, as tests make, clears it)."""
    headers = []
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        text = policy if isinstance(policy, str) else ",".join(policy)
        headers.append(("Referrer-Policy", ",".join(part.strip() for part in text.split(","))))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return tuple(headers)


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    security_headers.cache_clear()


class HacpFastPath:
    """WSGI middleware: HACP POSTs answered directly, everything else passed to `application`."""

    def __init__(self, application: WsgiApplication) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") != HACP_PATH or environ.get("REQUEST_METHOD") != "POST"
                or environ.get("CONTENT_TYPE", "").lower().startswith("multipart/")):
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return self.application(environ, start_response)  # Django redirects it to HTTPS
        db = rawsql.database()  # the only database a message uses
        db.close_if_unusable_or_obsolete()
        try:
            status, text = self._answer(request)
        finally:
            db.close_if_unusable_or_obsolete()
        body = text.encode()
        headers = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body))),
                   *REPLY_HEADERS.items(), *security_headers(secure=secure)]
        start_response(STATUS_LINES[status], headers)
        return [body]

    def _answer(self, request: WSGIRequest) -> tuple[int, str]:
        try:
            request.get_host()
            message = request.body
        except DisallowedHost:
            logging.getLogger("django.security.DisallowedHost").error(
                "Invalid HTTP_HOST header for the HACP endpoint.")
            return 400, hacp.response(hacp.INVALID_COMMAND)
        except RequestDataTooBig:
            return 413, hacp.response(hacp.INVALID_COMMAND)
        try:
            return 200, hacp_handle(message)
        except Exception:
            logger.exception("Internal Server Error: %s", request.path)
            return 500, hacp.response(hacp.INVALID_COMMAND)
