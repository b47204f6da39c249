"""HTTP to the OpenClassrooms partner API, nothing else: OAuth2 client credentials, the course
catalogue and the learner statistics, page by page. Validates the envelope of each answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from coursebridge.connectors.providers.openclassrooms.schemas import Envelope, Token
from coursebridge.core.http import BadResponse, HttpClient, RemoteError

CATALOG_PAGE_SIZE = 100
STATISTICS_PAGE_SIZE = 500


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    organization_id: str


class OpenClassroomsClient:
    def __init__(self, *, api_url: str, token_url: str, credentials: Credentials, http: HttpClient | None = None):
        self.credentials = credentials
        self.token_url = token_url
        self.http = http or HttpClient()
        self.http.base_url = api_url
        self.http.token_fetcher = self._fetch_token

    def close(self) -> None:
        self.http.close()

    def _fetch_token(self, http: HttpClient) -> str:
        answer = http.post_json(
            self.token_url, authenticated=False,
            data={"grant_type": "client_credentials"},
            auth=(self.credentials.client_id, self.credentials.client_secret),
        )
        try:
            token = Token.model_validate(answer)
        except ValidationError as exc:
            raise BadResponse(f"{self.token_url} answered without an access token.", url=self.token_url) from exc
        return f"Bearer {token.access_token}"

    def fetch_token(self) -> None:
        """Ask for a token now (Test connection)."""
        self.http.forget_token()
        self.http._auth_header()

    def _org_path(self, tail: str) -> str:
        return f"/v1/organizations/{self.credentials.organization_id}/{tail}"

    def page(self, tail: str, *, page: int, per_page: int, params: dict[str, Any] | None = None) -> Envelope:
        path = self._org_path(tail)
        answer = self.http.get_json(path, params={**(params or {}), "page": page, "per_page": per_page})
        try:
            return Envelope.model_validate(answer)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "the body"
            raise BadResponse(
                f"{self.http.url(path)} page {page}: {where}: {problem['msg']}.", url=self.http.url(path)
            ) from exc

    def pages(self, tail: str, *, per_page: int, params: dict[str, Any] | None = None) -> Iterator[Envelope]:
        """Page 1, 2, ... until total_pages; a missing page is an error the caller sees."""
        number = 1
        while True:
            envelope = self.page(tail, page=number, per_page=per_page, params=params)
            yield envelope
            if number >= envelope.pagination.total_pages or not envelope.data:
                return
            number += 1

    def course_pages(self) -> Iterator[Envelope]:
        return self.pages("courses", per_page=CATALOG_PAGE_SIZE)

    def statistics_pages(self, day: date) -> Iterator[Envelope]:
        return self.pages("learner-statistics", per_page=STATISTICS_PAGE_SIZE, params={"date": day.isoformat()})


__all__ = ["Credentials", "OpenClassroomsClient", "RemoteError"]
