"""A small OpenClassrooms partner API on loopback, following docs/connectors/openclassrooms.md,
with fault injection.

    with FakeOpenClassrooms() as fake:
        fake.courses = [fake_course("1", "Python")]
        fake.fail("courses", page=2, faults=["500", "429:1", "timeout", "malformed", "short"])

Faults are consumed one request at a time on the named endpoint ("token", "courses",
"learner-statistics") and page: "500" answers a server error, "429:N" asks to retry after N
seconds, "timeout" answers after `slow_seconds`, "malformed" answers broken JSON, "short" drops the
last item of the page, "missing" answers 404 (a page that vanished), "empty" an empty catalogue.
`expire_tokens_after` makes every token invalid after that many uses (a token expiring mid-run).
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.provider_server import FakeProviderServer, JsonHandler

CLIENT_ID = "oc-client"
CLIENT_SECRET = "oc-secret-value"
ORGANIZATION_ID = "org-42"


def fake_course(course_id: str, title: str, *, status: str = "active", **extra: Any) -> dict[str, Any]:
    course = {
        "id": course_id, "title": title, "description": f"Learn {title}.", "duration_minutes": 600,
        "language": "fr", "image_url": f"https://img.openclassrooms.example/{course_id}.png",
        "url": f"https://openclassrooms.example/courses/{course_id}", "status": status, "categories": ["Data & AI"],
    }
    course.update(extra)
    return course


def fake_statistic(email: str, course_id: str, progress: int, minutes: int = 600) -> dict[str, Any]:
    return {"user_email": email, "course_id": course_id, "progress": progress, "theoretical_duration_minutes": minutes}


class FakeOpenClassrooms(FakeProviderServer):
    missing_message = "no such page"

    def __init__(self) -> None:
        self.courses: list[dict[str, Any]] = []
        self.statistics: dict[str, list[dict[str, Any]]] = defaultdict(list)  # day -> rows
        self.organization_id = ORGANIZATION_ID
        super().__init__()

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = outer = self  # `outer`: the class body below cannot read `fake` by that name

        class Handler(JsonHandler):
            fake = outer

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                fake.requests.append(("POST", path))
                if path != "/oauth2/token":
                    self._send(404, {"error": "not found"})
                    return
                if self._fault("token", 1) == "answered":
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                auth = self.headers.get("Authorization", "")
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if form.get("grant_type") != ["client_credentials"] or auth != expected:
                    self._send(401, {"error": "invalid_client"})
                    return
                token = secrets.token_hex(8)
                with fake.lock:
                    fake.tokens[token] = 0
                    fake.tokens_issued += 1
                self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.requests.append(("GET", parts.path + ("?" + parts.query if parts.query else "")))
                if not self._bearer_accepted():
                    return
                prefix = f"/v1/organizations/{fake.organization_id}/"
                if not parts.path.startswith(prefix):
                    self._send(404, {"error": "unknown organization"})
                    return
                endpoint = parts.path[len(prefix):]
                try:
                    page = int(query.get("page", "1"))
                    per_page = int(query.get("per_page", "100"))
                except ValueError:
                    self._send(400, {"error": "bad paging"})
                    return
                if endpoint == "courses":
                    items = list(fake.courses)
                elif endpoint == "learner-statistics":
                    items = list(fake.statistics.get(query.get("date", ""), []))
                else:
                    self._send(404, {"error": "not found"})
                    return
                fault = self._fault(endpoint, page)
                if fault == "answered":
                    return
                if fault == "empty":
                    items = []
                total_pages = max(1, -(-len(items) // per_page))
                data = items[(page - 1) * per_page: page * per_page]
                if fault == "short" and data:
                    data = data[:-1]
                self._send(200, {"data": data, "pagination": {
                    "page": page, "per_page": per_page, "total_items": len(items), "total_pages": total_pages,
                }})

        return Handler
