"""The one outbound HTTP client: a default timeout, an auth hook with a cached token that is
fetched again once on a 401, retries of transient failures (connection errors, timeouts, 429, 5xx)
with exponential backoff and jitter honouring Retry-After, typed errors, and one log line per call
with secrets redacted (query values of secret-looking names; never headers nor bodies)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

logger = logging.getLogger(__name__)
# httpx logs every address in full at INFO, query included: this module logs them redacted instead.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = 15.0
SECRET_WORDS = ("token", "secret", "password", "key", "sid", "code", "assertion", "email")


class RemoteError(Exception):
    """A remote call failed. `message` is written for an administrator: what failed and where."""

    kind = "remote_error"

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status


class Unreachable(RemoteError):
    kind = "unreachable"


class RemoteTimeout(RemoteError):
    kind = "timeout"


class Unauthorized(RemoteError):
    kind = "unauthorized"


class Forbidden(RemoteError):
    kind = "forbidden"


class RateLimited(RemoteError):
    kind = "rate_limited"


class RemoteUnavailable(RemoteError):
    """5xx after every retry."""

    kind = "unavailable"


class BadResponse(RemoteError):
    """The answer is not what the wire format says: not JSON, or JSON of the wrong shape."""

    kind = "bad_response"


def redact_url(url: str) -> str:
    """The address with the values of secret-looking query parameters replaced."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (name, "[redacted]" if any(word in name.lower() for word in SECRET_WORDS) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="[]"), parts.fragment))


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


# Fetches a fresh token: the hook returns the header value ("Bearer abc") to send.
TokenFetcher = Callable[["HttpClient"], str]


@dataclass
class HttpClient:
    """One remote service. `token_fetcher`, when given, is called for the Authorization header the
    first time and again (once per request) when the service answers 401."""

    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT
    retries: int = 3
    backoff: float = 0.5
    max_wait: float = 30.0
    token_fetcher: TokenFetcher | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    _authorization: str | None = field(default=None, init=False, repr=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    calls: int = field(default=0, init=False)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, headers=dict(self.headers), transport=self.transport, follow_redirects=False
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def forget_token(self) -> None:
        self._authorization = None

    def _auth_header(self) -> dict[str, str]:
        if self.token_fetcher is None:
            return {}
        if self._authorization is None:
            self._authorization = self.token_fetcher(self)
        return {"Authorization": self._authorization}

    def request(self, method: str, path: str, *, authenticated: bool = True, **kwargs: Any) -> httpx.Response:
        """Send, retrying transient failures; a 2xx answer or a typed RemoteError."""
        url = self.url(path)
        if kwargs.get("params"):
            url = str(httpx.URL(url, params=kwargs.pop("params")))
        shown = redact_url(url)
        refreshed = False
        attempt = 0
        extra_headers = dict(kwargs.pop("headers", None) or {})
        while True:
            attempt += 1
            headers = dict(extra_headers)
            if authenticated:
                headers.update(self._auth_header())
            started = time.monotonic()
            try:
                self.calls += 1
                response = self._http().request(method, url, headers=headers, **kwargs)
            except httpx.TimeoutException as exc:
                error: RemoteError = RemoteTimeout(
                    f"{shown} did not answer within {self.timeout:g} seconds.", url=shown)
                logger.info("%s %s timeout after %.0f ms", method, shown, (time.monotonic() - started) * 1000)
                if attempt <= self.retries:
                    self.sleep(self._backoff(attempt, None))
                    continue
                raise error from exc
            except httpx.HTTPError as exc:
                logger.info("%s %s unreachable: %s", method, shown, exc.__class__.__name__)
                if attempt <= self.retries:
                    self.sleep(self._backoff(attempt, None))
                    continue
                raise Unreachable(f"{shown} cannot be reached ({exc.__class__.__name__}).", url=shown) from exc
            status = response.status_code
            logger.info("%s %s %s in %.0f ms", method, shown, status, (time.monotonic() - started) * 1000)
            if 200 <= status < 300:
                return response
            if status == 401 and authenticated and self.token_fetcher is not None and not refreshed:
                # The cached token expired (or was revoked): fetch a new one, once.
                refreshed = True
                self.forget_token()
                attempt -= 1
                continue
            if status == 429 or status >= 500:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if attempt <= self.retries:
                    self.sleep(self._backoff(attempt, wait))
                    continue
                if status == 429:
                    raise RateLimited(f"{shown} refused: too many requests (429), after {attempt} tries.",
                                      url=shown, status=status)
                raise RemoteUnavailable(f"{shown} failed with HTTP {status}, after {attempt} tries.",
                                        url=shown, status=status)
            if status == 401:
                raise Unauthorized(f"{shown} refused the credentials (HTTP 401).", url=shown, status=status)
            if status == 403:
                raise Forbidden(f"{shown} refused access (HTTP 403).", url=shown, status=status)
            if status == 404:
                raise RemoteError(f"{shown} answered HTTP 404: nothing at this address.", url=shown, status=status)
            raise RemoteError(f"{shown} answered HTTP {status}.", url=shown, status=status)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.max_wait, retry_after)
        base = self.backoff * (2 ** (attempt - 1))
        return min(self.max_wait, base + random.uniform(0, base / 2))

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.json_of(self.request("GET", path, **kwargs))

    def post_json(self, path: str, **kwargs: Any) -> Any:
        return self.json_of(self.request("POST", path, **kwargs))

    @staticmethod
    def json_of(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            shown = redact_url(str(response.request.url))
            raise BadResponse(f"{shown} answered something that is not JSON.", url=shown,
                              status=response.status_code) from exc
