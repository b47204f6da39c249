"""What the fake provider servers share: a threaded HTTP server on loopback, JSON answers, and faults
queued per endpoint and page ("500", "429:N", "timeout", "malformed", "missing"; anything else is
left to the endpoint)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class FakeProviderServer:
    missing_message = "not found"  # the 404 body of a page that vanished

    def __init__(self) -> None:
        self.faults: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.requests: list[tuple[str, str]] = []
        self.tokens: dict[str, int] = {}
        self.tokens_issued = 0
        self.expire_tokens_after: int | None = None
        self.slow_seconds = 1.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return BaseHTTPRequestHandler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, endpoint: str, *, page: int = 1, faults: list[str]) -> None:
        self.faults[(endpoint, page)].extend(faults)

    def next_fault(self, endpoint: str, page: int) -> str | None:
        with self.lock:
            queue = self.faults.get((endpoint, page))
            return queue.pop(0) if queue else None


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler of a FakeProviderServer (set `fake` on the subclass)."""

    fake: FakeProviderServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        # A client that gave up (a timeout fault) has gone: writing to it is expected to fail.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def _bearer_accepted(self) -> bool:
        """Count a use of the request's bearer token; answer 401 and say False when it is unknown or
        has expired (`expire_tokens_after` uses)."""
        fake = self.fake
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with fake.lock:
            uses = fake.tokens.get(token)
            valid = uses is not None and (fake.expire_tokens_after is None or uses < fake.expire_tokens_after)
            if uses is not None and valid:
                fake.tokens[token] = uses + 1
        if not valid:
            self._send(401, {"error": "invalid_token"})
        return valid

    def _fault(self, endpoint: str, page: int) -> str | None:
        """Answer the next queued fault: "answered", the fault's name when the endpoint handles it
        itself, or None when there is none."""
        fault = self.fake.next_fault(endpoint, page)
        if fault is None:
            return None
        if fault == "500":
            self._send(500, {"error": "internal"})
        elif fault.startswith("429"):
            self._send(429, {"error": "slow down"}, {"Retry-After": fault.partition(":")[2] or "0"})
        elif fault == "timeout":
            time.sleep(self.fake.slow_seconds)
            self._send(503, {"error": "too late"})
        elif fault == "malformed":
            self._send(200, b'{"data": [ {"id": ')
        elif fault == "missing":
            self._send(404, {"error": self.fake.missing_message})
        else:
            return fault
        return "answered"
