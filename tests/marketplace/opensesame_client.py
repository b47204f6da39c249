"""A client written the way OpenSesame's own Moodle plugin talks to OpenSesame: token with HTTP
Basic and client_credentials, then /v1/content with the CIID, following paging.next (2023 style) or
counting pages while next is non-empty (2024 style); on 401 it drops the token and retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx


class OpenSesameStyleClient:
    def __init__(self, *, token_url: str, api_url: str, client_id: str, client_secret: str, ciid: str) -> None:
        self.token_url = token_url
        self.api_url = api_url.rstrip("/")
        self.auth = (client_id, client_secret)
        self.ciid = ciid
        self.http = httpx.Client(timeout=10)
        self.token: str | None = None

    def authenticate(self) -> str:
        response = self.http.post(self.token_url, auth=self.auth,
                                  data={"grant_type": "client_credentials", "scope": "content"})
        response.raise_for_status()
        self.token = response.json()["access_token"]
        return self.token

    def _get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        for _ in range(3):
            if self.token is None:
                self.authenticate()
            response = self.http.get(url, params=params, headers={"Authorization": f"Bearer {self.token}"})
            if response.status_code != 401:
                return response
            self.token = None
        return response

    def follow_next(self, limit: int = 50) -> Iterator[dict[str, Any]]:
        response = self._get(f"{self.api_url}/v1/content", {"customerIntegrationId": self.ciid, "limit": limit})
        while True:
            response.raise_for_status()
            body = response.json()
            yield from body["data"]
            if not body["paging"]["next"]:
                return
            response = self._get(body["paging"]["next"])

    def page_numbers(self, limit: int = 50) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            response = self._get(f"{self.api_url}/v1/content",
                                 {"customerIntegrationId": self.ciid, "limit": limit, "page": page})
            response.raise_for_status()
            body = response.json()
            yield from body["data"]
            if not body["paging"]["next"]:
                return
            page += 1
