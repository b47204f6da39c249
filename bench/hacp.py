"""HACP PutParam under load: `python -m bench.hacp --label sqlite` with DATABASE_URL set (`python -m
bench` runs it on each database after the other benchmarks).

The product runs under gunicorn (threaded workers) on a free loopback port, against the benchmark's
database. 50 simulated AUs, each with its own learner, attempt and HACP session, send GetParam once
and then PutParam after PutParam (status, location, score, a growing session time and suspend data)
as fast as the server answers (the score changes every tenth report, as a quiz result would). In
the same run, the same clients post the same bodies to a minimal Django view on the same server
(bench.hacp_urls), so the comparison shares the machine's load. Rounds alternate between the two;
the best round of each counts. Every reply is checked, and at the end every unit state must hold
exactly the time its AU reported.

The clients speak HTTP/1.1 themselves (a few microseconds per request), so the server's cost is what
is compared; `--client httpx` uses httpx instead, whose own cost per request then weighs on both.

Figures: hacp_putparam_rps, hacp_putparam_p99 (ms), minimal_view_rps, minimal_view_p99 (ms),
hacp_cost_vs_minimal (the ratio of the two request rates), and the server's own CPU time per request
for each (gunicorn's processes, read from /proc, so the clients sharing the machine are not counted)
with hacp_cpu_cost_vs_minimal, their ratio; each suffixed with the database label.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.run import Figure, percentile

PROJECT_DIR = Path(__file__).resolve().parent.parent
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SUSPEND_DATA = "viewed=" + ",".join(f"s{n}" for n in range(40))


@dataclass
class Round:
    """What one round of requests measured."""

    requests: int = 0
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_seconds * 1000 / self.requests if self.requests else 0.0


def process_tree_cpu_seconds(root: int) -> float:
    """User and system CPU time of a process and its children (gunicorn's master and workers), from
    /proc: what the server spent, apart from the clients sharing the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command name: state, ppid, ..., utime and stime are fields 14 and 15 of stat.
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass
class Learner:
    sid: str
    state_id: int
    reported_seconds: int = 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def set_up(*, aus: int) -> list[Learner]:
    """An academy with a one-AU package course, `aus` learners who started it, and one open HACP
    session (after its GetParam) per learner."""
    from coursebridge.accounts.models import Role
    from coursebridge.accounts.selectors import group_root
    from coursebridge.accounts.services import academy_create, group_create, membership_grant, user_create
    from coursebridge.catalog.models import Course, CourseKind, Placement, PlacementKind
    from coursebridge.content.aicc_runtime import hacp_handle, new_session
    from coursebridge.content.models import Package, Unit
    from coursebridge.content.tracking import unit_state_for
    from coursebridge.learning.services import launch_course

    academy = academy_create(slug=f"bench-hacp-{secrets.token_hex(4)}", name="HACP bench")
    group = group_create(parent=group_root(academy=academy), name="Learners")
    course = Course.objects.create(academy=academy, kind=CourseKind.PACKAGE, title="HACP bench course")
    Placement.objects.create(academy=academy, group=group, course=course, kind=PlacementKind.CATALOGUE)
    package = Package.objects.create(academy=academy, course=course, format="aicc", identifier="BENCH-1",
                                     title=course.title, storage_prefix="packages/bench/")
    unit = Unit.objects.create(package=package, position=0, identifier="A1", title="AU", launch="index.html")
    learners = []
    for number in range(aus):
        user = user_create(academy=academy, username=f"au-{academy.pk}-{number}", first_name="Bench",
                           last_name=f"Learner {number}")
        membership_grant(user=user, group=group, role=Role.LEARNER)
        attempt = launch_course(user=user, course=course).attempt
        state = unit_state_for(attempt=attempt, unit_id=unit.pk)
        sid = new_session(state=state)
        reply = hacp_handle(urlencode({"command": "GetParam", "version": "3.5", "session_id": sid}))
        if not reply.startswith("error=0"):
            raise RuntimeError(f"GetParam refused while setting up: {reply.splitlines()[0]}")
        learners.append(Learner(sid=sid, state_id=state.pk))
    return learners


def put_body(learner: Learner, step: int) -> str:
    learner.reported_seconds += 1
    seconds = learner.reported_seconds
    data = "\r\n".join([
        "[Core]",
        f"Lesson_Location=page-{step}",
        "Lesson_Status=incomplete",
        f"Score={step // 10 % 100},100,0",  # a quiz result now and then, as content reports it
        f"Time={seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
        "[Core_Lesson]",
        SUSPEND_DATA,
    ])
    return urlencode({"command": "PutParam", "version": "3.5", "session_id": learner.sid, "aicc_data": data})


class Connection:
    """One keep-alive HTTP/1.1 connection that posts forms, as light as a client can be, so the
    server's cost is what the rounds measure (a full client library spent more CPU per request on
    this machine than the minimal view did)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        pairs = (line.partition(":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, _, value in pairs}
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        else:
            content = await self._chunks()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return b"".join(part[:-2] for part in parts)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    """The same requests through httpx, for comparison (--client httpx): its own cost per request
    is then part of both rounds, which narrows their difference."""

    def __init__(self, host: str, port: int) -> None:
        import httpx

        self.client = httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=60)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        response = await self.client.post(path, content=body, headers=FORM)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


CLIENTS = {"raw": Connection, "httpx": HttpxConnection}


async def run_round(
    *, port: int, path: str, learners: list[Learner], per_au: int, limit: float, client: str = "raw",
    server_pid: int | None = None,
) -> Round:
    """Every AU posts `per_au` PutParam bodies to `path`, one after the other on its own
    connection, all AUs at once; stops early at `limit` seconds."""
    result = Round()
    deadline = time.perf_counter() + limit
    hacp = path.endswith("/hacp")

    async def one_au(learner: Learner) -> None:
        connection = CLIENTS[client]("127.0.0.1", port)
        try:
            for step in range(per_au):
                if time.perf_counter() > deadline:
                    return
                body = put_body(learner if hacp else Learner(sid=learner.sid, state_id=0), step).encode()
                began = time.perf_counter()
                status, content = await connection.post(path, body)
                result.latencies_ms.append((time.perf_counter() - began) * 1000)
                result.requests += 1
                if status != 200 or (hacp and not content.startswith(b"error=0\r\n")):
                    result.failures.append(f"{status} {content[:60]!r}")
        finally:
            await connection.close()

    cpu_before = process_tree_cpu_seconds(server_pid) if server_pid else 0.0
    began = time.perf_counter()
    await asyncio.gather(*(one_au(learner) for learner in learners))
    result.seconds = time.perf_counter() - began
    if server_pid:
        result.server_cpu_seconds = process_tree_cpu_seconds(server_pid) - cpu_before
    return result


@contextmanager
def server(*, port: int, workers: int, threads: int) -> Iterator[int]:
    """gunicorn serving the product (plus the minimal view) on loopback until the block ends; yields
    the master's process id."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.hacp_settings",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR), str(PROJECT_DIR / "src")]),
        "CB_DB_CONN_MAX_AGE": "60",
        "CB_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "gunicorn", "coursebridge.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread",
        "--threads", str(threads), "--keep-alive", "30", "--log-level", "warning", "--timeout", "120",
    ]
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            if httpx.get(f"{base}/bench/minimal", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within a minute")


def check_states(learners: list[Learner]) -> None:
    """Each unit state holds exactly the session time its AU reported: nothing lost, nothing twice."""
    from coursebridge.content.models import UnitState

    totals = dict(UnitState.objects.filter(pk__in=[x.state_id for x in learners]).values_list(
        "pk", "total_time_seconds"))
    wrong = [x for x in learners if totals.get(x.state_id) != x.reported_seconds]
    if wrong:
        raise RuntimeError(f"{len(wrong)} unit states do not hold the time their AU reported")


def bench(*, label: str, aus: int, per_au: int, rounds: int, limit: float, workers: int, threads: int,
          client: str = "raw") -> Iterator[Figure]:
    learners = set_up(aus=aus)
    from django.db import connections

    connections.close_all()  # the server's processes use the database from here on
    port = free_port()
    with server(port=port, workers=workers, threads=threads) as pid:
        # Warm both paths up (imports, connections, caches) before anything is measured.
        def run(path: str, count: int) -> Round:
            return asyncio.run(run_round(port=port, path=path, learners=learners, per_au=count, limit=limit,
                                         client=client, server_pid=pid))

        run("/bench/minimal", 3)
        run("/content/hacp", 3)
        minimal_rounds, hacp_rounds = [], []
        for _ in range(rounds):
            minimal_rounds.append(run("/bench/minimal", per_au))
            hacp_rounds.append(run("/content/hacp", per_au))
    failures = [f for r in minimal_rounds + hacp_rounds for f in r.failures]
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    check_states(learners)
    best_hacp = max(hacp_rounds, key=lambda r: r.rps)
    best_minimal = max(minimal_rounds, key=lambda r: r.rps)
    yield Figure(f"hacp_putparam_rps_{label}", best_hacp.rps, "req/s")
    yield Figure(f"hacp_putparam_p99_{label}", percentile(best_hacp.latencies_ms, 0.99), "ms")
    yield Figure(f"minimal_view_rps_{label}", best_minimal.rps, "req/s")
    yield Figure(f"minimal_view_p99_{label}", percentile(best_minimal.latencies_ms, 0.99), "ms")
    yield Figure(f"hacp_cost_vs_minimal_{label}", best_minimal.rps / best_hacp.rps, "x")
    # The server's own CPU per request (the clients share the machine and are not counted).
    hacp_cpu = min(r.cpu_ms_per_request for r in hacp_rounds)
    minimal_cpu = min(r.cpu_ms_per_request for r in minimal_rounds)
    # In microseconds: /proc counts CPU in ticks of 10 ms, which thousands of requests average out,
    # and tenths of a millisecond would round the ratio too coarsely.
    yield Figure(f"hacp_server_cpu_per_request_{label}", hacp_cpu * 1000, "us")
    yield Figure(f"minimal_view_server_cpu_per_request_{label}", minimal_cpu * 1000, "us")
    yield Figure(f"hacp_cpu_cost_vs_minimal_{label}", hacp_cpu / minimal_cpu if minimal_cpu else 0.0, "x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True, help="suffix of every figure: sqlite or postgres")
    parser.add_argument("--aus", type=int, default=50, help="concurrent simulated AUs")
    parser.add_argument("--per-au", type=int, default=40, help="PutParams each AU sends per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind; the best counts")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a round may last at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="raw",
                        help="raw: a minimal HTTP/1.1 client, so the server's cost is measured; httpx: httpx")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    for figure in bench(label=args.label, aus=args.aus, per_au=args.per_au, rounds=args.rounds, limit=args.limit,
                        workers=args.workers, threads=args.threads, client=args.client):
        print(figure.line(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
