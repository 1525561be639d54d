"""Load benchmark for the App's webhook endpoint (not a timed test).

Starts a private redis-server and ``releasecast serve`` on loopback (SQLite run history by
default), then sends N signed ``release`` deliveries (each a different release, built from the
shared fixture) at a given concurrency with httpx's AsyncClient, and reports:

* acknowledged: 2xx answers;   enqueued: jobs found in the Redis queue afterwards;
* duplicates: jobs enqueued more than once, or answers saying "duplicate" (must be 0);
* lost: acknowledged as queued but not in the queue, or never acknowledged (must be 0);
* recorded: runs in the history database; latency p50/p99 of the answers.

    .venv/bin/python bench/bench_webhooks.py                       # 2,000 at concurrency 50
    .venv/bin/python bench/bench_webhooks.py --deliveries 5000 --concurrency 100 --json
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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/github-webhooks/release/published.payload.json"
SECRET = "bench-webhook-secret-0123456789"
ADMIN = "bench-admin-token-0123456789abc"


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
              deliveries: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASECAST_")}
    env.update({
        "RELEASECAST_WEBHOOK_SECRET": SECRET, "RELEASECAST_ADMIN_TOKEN": ADMIN,
        "REDIS_URL": redis_url, "DATABASE_URL": database_url,
        "RELEASECAST_DATA_DIR": str(workdir),
        # One client sends everything here; GitHub's deliveries come from many addresses.
        "RELEASECAST_WEBHOOK_RATE_LIMIT": f"{deliveries * 2}/minute",
    })
    with open(workdir / "serve.log", "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--port",
                                 str(port), "--log-level", "warning"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200, 60,
             "releasecast serve")
    return proc


def make_deliveries(count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    template = json.loads(FIXTURE.read_text())
    out = []
    for i in range(count):
        payload = copy.deepcopy(template)
        payload["release"].update(id=10_000_000 + i, tag_name=f"v{i // 1000}.{i % 1000}.0")
        payload["installation"] = {"id": 1}
        body = json.dumps(payload).encode()
        delivery = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json", "X-GitHub-Event": "release",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body,
                                                        hashlib.sha256).hexdigest(),
        }
        out.append((delivery, body, headers))
    return out


async def send_all(url: str, deliveries: list[tuple[str, bytes, dict[str, str]]],
                   concurrency: int) -> list[tuple[str, int, str, float]]:
    results: list[tuple[str, int, str, float]] = []
    pending = iter(deliveries)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def sender() -> None:
            for delivery, body, headers in pending:
                started = time.perf_counter()
                try:
                    response = await client.post("/webhook", content=body, headers=headers)
                    status, kind = response.status_code, response.json().get("status", "")
                except (httpx.HTTPError, ValueError) as exc:
                    status, kind = 0, type(exc).__name__
                results.append((delivery, status, kind, time.perf_counter() - started))

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return results


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
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
    app = start_app(workdir, redis_url, database_url, port, args.deliveries)
    try:
        deliveries = make_deliveries(args.deliveries)
        started = time.perf_counter()
        results = asyncio.run(send_all(f"http://127.0.0.1:{port}", deliveries, args.concurrency))
        elapsed = time.perf_counter() - started

        connection = redis.Redis.from_url(redis_url)
        queued_ids = [i.decode() for i in connection.lrange("rq:queue:releasecast", 0, -1)]
        in_queue = Counter(queued_ids)
        acknowledged = [r for r in results if 200 <= r[1] < 300]
        said_queued = {r[0] for r in results if r[2] == "queued"}
        latencies = sorted(r[3] for r in results)
        from app.db import Database
        from app.runs import RunStore

        _, recorded = RunStore(Database(database_url)).list(per_page=1)
        report = {
            "deliveries": len(deliveries),
            "concurrency": args.concurrency,
            "seconds": round(elapsed, 2),
            "per_second": round(len(deliveries) / elapsed, 1),
            "acknowledged": len(acknowledged),
            "enqueued": len(in_queue),
            "duplicates": sum(n - 1 for n in in_queue.values())
            + sum(1 for r in results if r[2] == "duplicate"),
            "lost": len(said_queued - set(in_queue)) + (len(deliveries) - len(acknowledged)),
            "recorded": recorded,
            "statuses": dict(Counter(str(r[1]) if r[1] else r[2] for r in results)),
            "latency_ms": {"p50": round(percentile(latencies, 50) * 1000, 1),
                           "p99": round(percentile(latencies, 99) * 1000, 1),
                           "max": round(latencies[-1] * 1000, 1)},
        }
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(20)
        redis_proc.kill()
        redis_proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>13}: {value}")
    return 0 if report["duplicates"] == 0 and report["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
