"""The outbound HTTP client against a small loopback server: retries, Retry-After, the token
fetched again once on a 401, typed errors, and addresses redacted in its log."""

import contextlib
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coursebridge.core.http import (
    BadResponse,
    HttpClient,
    RateLimited,
    RemoteTimeout,
    RemoteUnavailable,
    Unauthorized,
    Unreachable,
    redact_url,
    retry_after_seconds,
)


class Script:
    """Answers in order; the last one repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.seen = []

    def next(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def server():
    script = Script((200, {}, {"ok": True}))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_GET(self):
            script.seen.append((self.path, self.headers.get("Authorization")))
            status, headers, body = script.next()
            if status == "slow":
                threading.Event().wait(0.5)
                status = 200
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            # A client that timed out on a slow answer has gone: writing to it is expected to fail.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


def client(server, **kwargs):
    waits = []
    http = HttpClient(base_url=server.url, timeout=0.2, retries=2, backoff=0.01, sleep=waits.append, **kwargs)
    return http, waits


def test_a_5xx_then_a_429_are_retried_honouring_retry_after(server):
    server.answers = [(500, {}, {}), (429, {"Retry-After": "4"}, {}), (200, {}, {"ok": 1})]
    http, waits = client(server)

    assert http.get_json("/x") == {"ok": 1}
    assert len(waits) == 2
    assert waits[1] == 4.0


def test_retries_run_out_with_a_typed_error_naming_the_address(server):
    server.answers = [(503, {}, {})]
    http, _ = client(server)

    with pytest.raises(RemoteUnavailable) as caught:
        http.get_json("/x")
    assert caught.value.message == f"{server.url}/x failed with HTTP 503, after 3 tries."

    server.answers = [(429, {"Retry-After": "1"}, {})]
    with pytest.raises(RateLimited):
        http.get_json("/x")


def test_a_slow_answer_is_a_timeout(server):
    server.answers = [("slow", {}, {})]
    http, waits = client(server)

    with pytest.raises(RemoteTimeout) as caught:
        http.get_json("/x")
    assert caught.value.message == f"{server.url}/x did not answer within 0.2 seconds."
    assert len(waits) == 2


def test_an_unreachable_service_is_named():
    http = HttpClient(base_url="http://127.0.0.1:9", retries=0, sleep=lambda s: None)

    with pytest.raises(Unreachable) as caught:
        http.get_json("/x")
    assert caught.value.message.startswith("http://127.0.0.1:9/x cannot be reached")


def test_the_token_is_cached_and_fetched_again_once_on_a_401(server):
    tokens = iter(["Bearer one", "Bearer two", "Bearer three"])
    server.answers = [(200, {}, {}), (401, {}, {}), (200, {}, {})]
    http, _ = client(server, token_fetcher=lambda h: next(tokens))

    http.get_json("/a")
    http.get_json("/b")

    assert [auth for _, auth in server.seen] == ["Bearer one", "Bearer one", "Bearer two"]

    server.answers = [(401, {}, {})]
    with pytest.raises(Unauthorized):
        http.get_json("/c")
    assert [auth for _, auth in server.seen[3:]] == ["Bearer two", "Bearer three"]


def test_an_answer_that_is_not_json_is_a_bad_response(server):
    server.answers = [(200, {}, b"<html>")]
    http, _ = client(server)

    with pytest.raises(BadResponse) as caught:
        http.get_json("/x", params={"page": 2})
    assert caught.value.message == f"{server.url}/x?page=2 answered something that is not JSON."


def test_secrets_in_addresses_are_redacted_in_the_log(server, caplog):
    http, _ = client(server)
    caplog.set_level(logging.INFO)

    http.get_json("/x", params={"access_token": "s3cr3t", "email": "ada@example.org", "page": 1})

    assert "s3cr3t" not in caplog.text and "ada@example.org" not in caplog.text
    assert "access_token=[redacted]" in caplog.text


def test_redaction_and_retry_after_parsing():
    assert redact_url("https://x.example/p?client_secret=a&page=2") == (
        "https://x.example/p?client_secret=[redacted]&page=2")
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
