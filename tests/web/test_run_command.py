"""`coursebridge run` on a fresh var folder: migrates, loads the demo, serves the sign-in page and the
OpenAPI schema with a worker beside it, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, deadline: float) -> httpx.Response:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError as exc:
            last_error = exc
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered: {last_error}")


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_run_serves_sign_in_and_openapi_and_stops_on_ctrl_c(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CB_BROKER_URL", "CB_TESTING"}}
    env.update({"CB_VAR_DIR": str(tmp_path), "PORT": str(port), "CB_WEB_WORKERS": "1"})
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "coursebridge.cli", "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        login = wait_for(f"http://127.0.0.1:{port}/accounts/login/", deadline)
        schema = wait_for(f"http://127.0.0.1:{port}/api/openapi.json", deadline)
        started = children_of(process.pid)

        assert login.status_code == 200
        assert "Sign in" in login.text
        assert schema.status_code == 200
        assert schema.json()["info"]["title"] == "coursebridge"
        assert len(started) == 2  # the web server and the worker
        output = (tmp_path / "run.log").read_text()
        assert f"coursebridge is running on http://127.0.0.1:{port}/" in output
        assert "learner" in output

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [pid for pid in started if Path(f"/proc/{pid}").exists()] == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
