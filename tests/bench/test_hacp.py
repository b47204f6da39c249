import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.hacp import Connection, Learner, put_body

from coursebridge.content import hacp

PROJECT_DIR = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^bench: (?P<name>[a-z0-9_]+) [0-9]+(\.[0-9]+)? (?P<unit>req/s|ms|us|x)$")


def test_putparam_bodies_report_a_growing_session_time():
    learner = Learner(sid="abc", state_id=1)

    bodies = [hacp.parse_request(put_body(learner, step)) for step in range(3)]

    assert [b.command for b in bodies] == ["putparam"] * 3
    assert {b.session_id for b in bodies} == {"abc"}
    cores = [hacp.parse_aicc_data(b.aicc_data).core for b in bodies]
    assert [hacp.parse_time(core["time"]) for core in cores] == [1, 2, 3]
    assert [core["lesson_location"] for core in cores] == ["page-0", "page-1", "page-2"]
    assert hacp.parse_aicc_data(bodies[0].aicc_data).group("core_lesson").startswith("viewed=s0,s1")
    assert learner.reported_seconds == 3


def test_the_client_reads_sized_and_chunked_replies_and_reconnects_after_close():
    replies = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain",
    ]
    received = []
    connections = []

    async def scenario():
        async def serve(reader, writer):
            connections.append(writer)
            while replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
                received.append(head.split(b"\r\n", 1)[0] + b" " + await reader.readexactly(length))
                reply = replies.pop(0)
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply:
                    break
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Connection("127.0.0.1", port)
        answers = [await client.post("/x", f"n={n}".encode()) for n in range(4)]
        await client.close()
        server.close()
        await server.wait_closed()
        return answers

    answers = asyncio.run(scenario())

    assert answers == [(200, b"hello"), (200, b"abcde"), (404, b"no"), (200, b"again")]
    assert received == [b"POST /x HTTP/1.1 n=0", b"POST /x HTTP/1.1 n=1", b"POST /x HTTP/1.1 n=2",
                        b"POST /x HTTP/1.1 n=3"]
    assert len(connections) == 2


@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_python_m_bench_hacp_serves_both_views_and_prints_its_figures(tmp_path, client):
    env = {**os.environ, "CB_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'hacp.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    done = subprocess.run(
        [sys.executable, "-m", "bench.hacp", "--label", "sqlite", "--aus", "4", "--per-au", "3", "--rounds", "1",
         "--client", client],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=240, check=False,
    )

    assert done.returncode == 0, done.stderr
    figures = [LINE.match(line) for line in done.stdout.splitlines()]
    assert all(figures), done.stdout
    assert [(f["name"], f["unit"]) for f in figures if f] == [
        ("hacp_putparam_rps_sqlite", "req/s"), ("hacp_putparam_p99_sqlite", "ms"),
        ("minimal_view_rps_sqlite", "req/s"), ("minimal_view_p99_sqlite", "ms"), ("hacp_cost_vs_minimal_sqlite", "x"),
        ("hacp_server_cpu_per_request_sqlite", "us"), ("minimal_view_server_cpu_per_request_sqlite", "us"),
        ("hacp_cpu_cost_vs_minimal_sqlite", "x"),
    ]


def test_the_cpu_of_a_process_tree_counts_its_living_children():
    """A parent that only sleeps, and its child that spins for 0.6 s of CPU then sleeps: the tree's
    CPU time is the child's. /proc counts in clock ticks sampled by the scheduler, which can fall a
    tick or two short of the child's own clock, so the floor is below 0.6 s and the wait ends on it."""
    from bench.hacp import process_tree_cpu_seconds

    child = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    parent_code = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {child!r}])\ntime.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 20
        while process_tree_cpu_seconds(parent.pid) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0.5 <= process_tree_cpu_seconds(parent.pid) < 1.8
    finally:
        for line in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split():
            os.kill(int(line), signal.SIGKILL)
        parent.kill()
        parent.wait()
