"""HTTP to OpenSesame's content API, nothing else: the client-credentials token (cached until it
expires, fetched again once on a 401), and the content pages followed through paging.next to the
end. Retries with backoff honouring Retry-After are the project's HTTP client's."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from coursebridge.connectors.providers.opensesame.schemas import Envelope, Token
from coursebridge.core.http import BadResponse, HttpClient, RemoteError

PAGE_SIZE = 50
MAX_PAGES = 100_000
# After a push, the ids it named are asked for in groups of this many per address.
IDS_PER_REQUEST = 100
# A token is dropped this many seconds before OpenSesame says it expires.
EXPIRY_MARGIN = 30.0


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    ciid: str


@dataclass
class Page:
    number: int
    url: str
    envelope: Envelope
    # True for a page reached through paging.next (one that the page before promised).
    followed: bool = False


class OpenSesameClient:
    def __init__(self, *, api_url: str, token_url: str, credentials: Credentials, http: HttpClient | None = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.api_url = api_url.rstrip("/")
        self.page_size = page_size
        self.http = http or HttpClient()
        self.http.base_url = self.api_url
        self.http.token_fetcher = self._fetch_token
        self.token_expires_at: float | None = None
        self.tokens_fetched = 0

    def close(self) -> None:
        self.http.close()

    def _fetch_token(self, http: HttpClient) -> str:
        answer = http.post_json(
            self.token_url, authenticated=False,
            data={"grant_type": "client_credentials", "scope": "content"},
            auth=(self.credentials.client_id, self.credentials.client_secret),
        )
        try:
            token = Token.model_validate(answer)
        except ValidationError as exc:
            raise BadResponse(f"{self.token_url} answered without an access token.", url=self.token_url) from exc
        self.tokens_fetched += 1
        self.token_expires_at = time.monotonic() + token.expires_in
        return f"Bearer {token.access_token}"

    def _forget_expired_token(self) -> None:
        if self.token_expires_at is not None and time.monotonic() > self.token_expires_at - EXPIRY_MARGIN:
            self.http.forget_token()
            self.token_expires_at = None

    def fetch_token(self) -> None:
        """Ask for a token now (Test connection)."""
        self.http.forget_token()
        self.http._auth_header()

    def first_url(self, *, limit: int | None = None, only: Sequence[str] | None = None) -> str:
        params: dict[str, Any] = {"customerIntegrationId": self.credentials.ciid, "limit": limit or self.page_size,
                                  "page": 1}
        if only:
            # Our marketplace lists just these courses; OpenSesame's own API ignores the parameter.
            params["ids"] = ",".join(only)
        return f"{self.api_url}/v1/content?{urlencode(params)}"

    def _page_url(self, number: int) -> str:
        query = urlencode({"customerIntegrationId": self.credentials.ciid, "limit": self.page_size, "page": number})
        return f"{self.api_url}/v1/content?{query}"

    def page(self, url: str, *, number: int) -> Envelope:
        """One page; an answer that is not JSON is asked for once more before it counts as an error."""
        self._forget_expired_token()
        for tries in (1, 2):
            try:
                answer = self.http.get_json(url)
                break
            except BadResponse:
                if tries == 2:
                    raise
        try:
            return Envelope.model_validate(answer)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "the body"
            raise BadResponse(f"{self.http.url(url)} (page {number}): {where}: {problem['msg']}.",
                              url=self.http.url(url)) from exc

    def _next_url(self, given: str | None, number: int) -> str | None:
        """paging.next as given when it stays on the API's host (the bearer token goes nowhere else),
        else the next page number on the API's own address."""
        if not given:
            return None
        if given.startswith("/"):
            parts = urlsplit(self.api_url)
            return f"{parts.scheme}://{parts.netloc}{given}"
        if urlsplit(given).netloc == urlsplit(self.api_url).netloc:
            return given
        return self._page_url(number + 1)

    def pages(self, *, only: Sequence[str] | None = None) -> Iterator[Page]:
        """Page 1, then paging.next until it is empty. A page that cannot be read raises. With `only`,
        the same for each group of IDS_PER_REQUEST ids, so that no address grows too long."""
        starts = ([self.first_url(only=only[n:n + IDS_PER_REQUEST]) for n in range(0, len(only), IDS_PER_REQUEST)]
                  if only else [self.first_url()])
        seen: set[str] = set()
        number = 0
        for start in starts:
            yield from self._walk(start, seen, number)
            number = len(seen)

    def _walk(self, url: str | None, seen: set[str], number: int) -> Iterator[Page]:
        followed = False
        while url is not None:
            number += 1
            if url in seen or number > MAX_PAGES:
                raise BadResponse(f"The catalogue's paging loops back to {url} (page {number}).", url=url)
            seen.add(url)
            envelope = self.page(url, number=number)
            yield Page(number=number, url=url, envelope=envelope, followed=followed)
            url, followed = self._next_url(envelope.paging.next, number), True


__all__ = ["Credentials", "OpenSesameClient", "Page", "RemoteError"]
