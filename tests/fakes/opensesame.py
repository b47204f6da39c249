"""A small OpenSesame content API on loopback, in OpenSesame's wire format (docs/connectors/opensesame.md),
with fault injection.

    with FakeOpenSesame() as fake:
        fake.courses = [os_course("c1", "Leading Teams")]
        fake.fail("content", page=2, faults=["500", "429:1", "timeout", "malformed", "missing", "empty"])

Faults are consumed one request at a time on "token" (page 1) or "content" and a page number: "500"
answers a server error, "429:N" asks to retry after N seconds, "timeout" answers after
`slow_seconds`, "malformed" answers broken JSON, "missing" answers 404 (a page that vanished),
"empty" answers an empty page (with no next: an empty catalogue answered by mistake on page 1).
`expire_tokens_after` makes every token invalid after that many uses (a token expiring mid-run);
`next_style` is "url" (paging.next is the next page's address) or "relative" (a path);
`duplicate_on_next_page` repeats the last course of each page at the top of the next; `au_page`, when
set, is the HTML of the AU served at /aicc/<course id>/.
"""

from __future__ import annotations

import base64
import secrets
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.provider_server import FakeProviderServer, JsonHandler

CLIENT_ID = "os-client"
CLIENT_SECRET = "os-secret-value"
CIID = "ciid-academy-1"


def os_course(course_id: str, title: str, *, active: Any = 1, **extra: Any) -> dict[str, Any]:
    course: dict[str, Any] = {
        "id": course_id, "title": title, "descriptionText": f"Learn {title}.",
        "descriptionHtml": f"<p>Learn <b>{title}</b>.</p>",
        "imageUrl": f"https://img.opensesame.example/{course_id}.png",
        "thumbnailUrl": f"https://img.opensesame.example/{course_id}-small.png",
        "duration": "01:30:00", "languages": ["en"], "categories": ["|Business|Leadership"],
        "publisherName": "Skillwave Learning",
        "packageDownloadUrl": f"https://api.opensesame.example/v1/content/{course_id}/package",
        "aiccLaunchUrl": f"https://aicc.opensesame.example/launch/{course_id}/",
        "active": active,
    }
    course.update(extra)
    return course


class FakeOpenSesame(FakeProviderServer):
    def __init__(self) -> None:
        self.courses: list[dict[str, Any]] = []
        self.token_requests: list[tuple[str, dict[str, list[str]]]] = []
        self.expires_in = 3600
        self.ciid = CIID
        self.next_style = "url"
        self.duplicate_on_next_page = False
        # OpenSesame ignores `ids`; our marketplace lists just the named courses (filters_ids=True).
        self.filters_ids = False
        self.au_page = ""  # HTML served at /aicc/<course id>/ (an AU), when set
        super().__init__()

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/default/v1/token"

    def content_requests(self) -> list[str]:
        return [path for method, path in self.requests if method == "GET"]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = outer = self  # `outer`: the class body below cannot read `fake` by that name

        class Handler(JsonHandler):
            fake = outer

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                fake.requests.append(("POST", path))
                if path != urlsplit(fake.token_url).path:
                    self._send(404, {"error": "not found"})
                    return
                if self._fault("token", 1) == "answered":
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                auth = self.headers.get("Authorization", "")
                fake.token_requests.append((auth, form))
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if form.get("grant_type") != ["client_credentials"] or auth != expected:
                    self._send(401, {"error": "invalid_client"})
                    return
                token = secrets.token_hex(8)
                with fake.lock:
                    fake.tokens[token] = 0
                    fake.tokens_issued += 1
                self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": fake.expires_in,
                                 "scope": "content"})

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if parts.path.startswith("/aicc/") and fake.au_page:
                    # The AU itself, as OpenSesame serves it at the aiccLaunchUrl.
                    body = fake.au_page.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                fake.requests.append(("GET", parts.path + ("?" + parts.query if parts.query else "")))
                if not self._bearer_accepted():
                    return
                if parts.path != "/v1/content":
                    self._send(404, {"error": "not found"})
                    return
                if query.get("customerIntegrationId") != fake.ciid:
                    self._send(404, {"error": "unknown customerIntegrationId"})
                    return
                try:
                    page = int(query.get("page", "1"))
                    limit = int(query.get("limit", "50"))
                except ValueError:
                    self._send(400, {"error": "bad paging"})
                    return
                fault = self._fault("content", page)
                if fault == "answered":
                    return
                items = list(fake.courses)
                named = [i for i in query.get("ids", "").split(",") if i]
                if fake.filters_ids and named:
                    items = [c for c in items if c["id"] in named]
                data = items[(page - 1) * limit: page * limit]
                if fake.duplicate_on_next_page and page > 1 and data:
                    data = [items[(page - 1) * limit - 1], *data]
                more = page * limit < len(items)
                if fault == "empty":
                    data, more = [], False
                following = None
                if more:
                    tail = "/v1/content?" + urlencode({"customerIntegrationId": fake.ciid, "limit": limit,
                                                       "page": page + 1,
                                                       **({"ids": query["ids"]} if fake.filters_ids and named else {})})
                    following = tail if fake.next_style == "relative" else fake.url + tail
                self._send(200, {"data": data, "paging": {"next": following}})

        return Handler
