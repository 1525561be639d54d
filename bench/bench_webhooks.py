"""Open-loop load benchmark for the App's webhook endpoint (not a timed test).

Starts a private redis-server and the documented production web command
(``releasecast serve --workers N``) on loopback, SQLite run history by default, then for each
arrival rate sends unique signed ``release`` deliveries (each a different release, built from
the shared fixture) on a fixed schedule for a fixed time. Open loop: a delivery leaves at its
scheduled moment whether or not earlier ones were answered, as GitHub's do, and its latency is
counted from that moment, so a server that falls behind shows it (no coordinated omission).
In flight is bounded (``--max-in-flight``); what cannot be sent in time counts as lost.

Per rate it reports:

* acknowledged: 2xx answers;   enqueued: this step's jobs found in the Redis queue afterwards;
* duplicates: jobs enqueued more than once, or answers saying "duplicate" (must be 0);
* lost: not acknowledged as queued, or acknowledged but not in the queue (must be 0);
* latency p50/p95/p99/max; the server's CPU (all its processes, in cores) and the load average.

    .venv/bin/python bench/bench_webhooks.py                          # 50..250/s, 10 s each
    .venv/bin/python bench/bench_webhooks.py --rates 200 --seconds 30 --workers 2 --json
    .venv/bin/python bench/bench_webhooks.py --database-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/github-webhooks/release/published.payload.json"
SECRET = "bench-webhook-secret-0123456789"
ADMIN = "bench-admin-token-0123456789abc"
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"bench: {what} did not start")


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("bench: redis-server not found (scripts/install-system-deps.sh --test)")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pong() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_for(pong, 10, "redis-server")
    return proc, f"redis://127.0.0.1:{port}/0"


def start_app(workdir: Path, redis_url: str, database_url: str, port: int,
              workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RELEASECAST_") or k == "RELEASECAST_SWITCH_INTERVAL"}
    env.update({
        "RELEASECAST_WEBHOOK_SECRET": SECRET, "RELEASECAST_ADMIN_TOKEN": ADMIN,
        "REDIS_URL": redis_url, "DATABASE_URL": database_url,
        "RELEASECAST_DATA_DIR": str(workdir),
        # One client sends everything here; GitHub's deliveries come from several addresses.
        "RELEASECAST_WEBHOOK_RATE_LIMIT": "1000000/minute",
    })
    with open(workdir / "serve.log", "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--port",
                                 str(port), "--workers", str(workers), "--log-level", "warning"],
                                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200, 180,
             "releasecast serve")
    return proc


def make_deliveries(count: int, offset: int) -> list[tuple[str, bytes]]:
    """(delivery id, the whole HTTP request) for ``count`` distinct releases."""
    template = json.loads(FIXTURE.read_text())
    out = []
    for i in range(offset, offset + count):
        payload = copy.deepcopy(template)
        payload["release"].update(id=10_000_000 + i, tag_name=f"v{i // 1000}.{i % 1000}.0")
        payload["installation"] = {"id": 1}
        body = json.dumps(payload).encode()
        delivery = str(uuid.uuid4())
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        head = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: release\r\n"
                f"X-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: sha256={signature}\r\n"
                "\r\n")
        out.append((delivery, head.encode() + body))
    return out


class Connections:
    """Keep-alive HTTP/1.1 connections to the server, one request at a time on each.

    A few lines of asyncio streams rather than an HTTP client library: the load generator
    shares the machine's cores with the server, and this costs a fraction of httpx's CPU per
    request, so the figures describe the server."""

    KEEP_IDLE = 2.0  # under uvicorn's 5 s keep-alive: never reuse one it may be closing

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        now = time.monotonic()
        while self.idle and now - self.idle[0][2] > self.KEEP_IDLE:  # oldest first
            self.idle.pop(0)[1].close()
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self.idle.append((reader, writer, time.monotonic()))
        return status, body


@dataclass
class Result:
    delivery: str
    status: int
    kind: str
    latency: float


async def open_loop(port: int, deliveries: list[tuple[str, bytes]], rate: float,
                    max_in_flight: int) -> list[Result]:
    connections = Connections(port)
    results: list[Result] = []
    in_flight = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def send(due: float, delivery: str, raw: bytes) -> None:
        nonlocal in_flight
        in_flight += 1
        try:
            status, body = await asyncio.wait_for(connections.request(raw), 30)
            kind = json.loads(body).get("status", "") if body else ""
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, kind = 0, type(exc).__name__
        finally:
            in_flight -= 1
        results.append(Result(delivery, status, kind, loop.time() - due))

    tasks = []
    for n, (delivery, raw) in enumerate(deliveries):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= max_in_flight:
            results.append(Result(delivery, 0, "over max in flight", 0.0))
            continue
        tasks.append(asyncio.create_task(send(due, delivery, raw)))
    await asyncio.gather(*tasks)
    for _, writer, _ in connections.idle:
        writer.close()
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its descendants (uvicorn's worker processes)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def step(port: int, server_pid: int, connection, rate: float, seconds: float,  # type: ignore[no-untyped-def]
         offset: int, max_in_flight: int) -> dict[str, object]:
    deliveries = make_deliveries(int(rate * seconds), offset)
    cpu_before, wall_before = cpu_seconds(server_pid), time.monotonic()
    results = asyncio.run(open_loop(port, deliveries, rate, max_in_flight))
    cpu = (cpu_seconds(server_pid) - cpu_before) / (time.monotonic() - wall_before)
    ours = {d for d, _ in deliveries}
    queued_ids = [i.decode() for i in connection.lrange("rq:queue:releasecast", 0, -1)]
    in_queue = Counter(i for i in queued_ids if i in ours)
    acknowledged = [r for r in results if 200 <= r.status < 300]
    said_queued = {r.delivery for r in results if r.kind == "queued"}
    latencies = sorted(r.latency for r in results if r.status)
    return {
        "rate": rate,
        "sent": len(deliveries),
        "acknowledged": len(acknowledged),
        "enqueued": len(in_queue),
        "duplicates": sum(n - 1 for n in in_queue.values())
        + sum(1 for r in results if r.kind == "duplicate"),
        "lost": len(ours - said_queued) + len(said_queued - set(in_queue)),
        "statuses": dict(Counter(str(r.status) if r.status else r.kind for r in results)),
        "latency_ms": {f"p{q}": round(percentile(latencies, q) * 1000, 1)
                       for q in (50, 95, 99)} | {"max": round(latencies[-1] * 1000, 1)
                                                 if latencies else None},
        "server_cpu_cores": round(cpu, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="50,100,150,200,250",
                        help="deliveries per second, comma-separated (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=10, help="per rate")
    parser.add_argument("--workers", type=int, default=2, help="web processes (serve --workers)")
    parser.add_argument("--max-in-flight", type=int, default=1000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    if not FIXTURE.is_file():
        raise SystemExit(f"bench: webhook fixture not found: {FIXTURE}")

    import redis

    workdir = Path(tempfile.mkdtemp(prefix="releasecast-bench-"))
    redis_proc, redis_url = start_redis(workdir)
    port = free_port()
    database_url = args.database_url or f"sqlite:///{workdir}/runs.db"
    app = start_app(workdir, redis_url, database_url, port, args.workers)
    steps = []
    try:
        connection = redis.Redis.from_url(redis_url)
        offset = 0
        for rate in (float(r) for r in args.rates.split(",")):
            steps.append(step(port, app.pid, connection, rate, args.seconds, offset,
                              args.max_in_flight))
            offset += int(rate * args.seconds)
            time.sleep(1)  # let the thread pools drain between rates
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(30)
        redis_proc.kill()
        redis_proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    report = {"workers": args.workers, "seconds_per_rate": args.seconds,
              "cpus": os.cpu_count(), "steps": steps}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"web processes: {args.workers}, {args.seconds:g} s per rate, "
              f"{os.cpu_count()} CPUs")
        print("  rate  sent  ack  enq  dup lost   p50 ms   p95 ms   p99 ms   max ms  cpu  load")
        for s in steps:
            lat = s["latency_ms"]
            assert isinstance(lat, dict)
            print(f"{s['rate']:>6g} {s['sent']:>5} {s['acknowledged']:>4} {s['enqueued']:>4} "
                  f"{s['duplicates']:>4} {s['lost']:>4} {lat['p50']:>8} {lat['p95']:>8} "
                  f"{lat['p99']:>8} {lat['max']:>8} {s['server_cpu_cores']:>4} "
                  f"{s['load_average_1m']:>5}")
    return 0 if all(s["duplicates"] == 0 and s["lost"] == 0 for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
