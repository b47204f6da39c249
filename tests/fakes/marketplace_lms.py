"""A fake learning platform on loopback for the marketplace's tests: its HACP endpoint answers
GetParam with the Student_ID of a session, and its webhook endpoint records what it receives and
answers with the statuses it is told to (then 200)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class FakeLms:
    students: dict[str, str] = field(default_factory=dict)  # aicc_sid -> Student_ID
    webhook_statuses: list[int] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)
    hacp_calls: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    @property
    def hacp_url(self) -> str:
        return f"{self.url}/hacp"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook"


def start_fake_lms() -> tuple[FakeLms, ThreadingHTTPServer]:
    state = FakeLms()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/hacp":
                fields = {k.lower(): v[0] for k, v in parse_qs(body.decode()).items()}
                state.hacp_calls.append(fields)
                student = state.students.get(fields.get("session_id", ""))
                if student is None:
                    text = "error=3\r\nerror_text=Invalid Session ID\r\n"
                else:
                    text = (f"error=0\r\nerror_text=Successful\r\naicc_data=\r\n[Core]\r\nStudent_ID={student}\r\n"
                            "Student_Name=Learner, Lena\r\nLesson_Status=not attempted\r\n")
                self._answer(200, text.encode())
            elif self.path == "/webhook":
                state.received.append({"headers": dict(self.headers), "body": body})
                status = state.webhook_statuses.pop(0) if state.webhook_statuses else 200
                self._answer(status, b"{}")
            else:
                self._answer(404, b"")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
