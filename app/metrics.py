"""Prometheus metrics, exposed by the web process at ``GET /metrics``.

Two kinds, because they are produced in different places:

* the web process's own: ``webhook_deliveries_total{event,result}`` and the webhook response
  time, kept by prometheus-client (in memory, or in its multiprocess files when several web
  processes share a port: :class:`WebMetrics`);
* the workers': ``pipeline_runs_total{status}``, ``pipeline_duration_seconds{stage}``,
  ``pipeline_errors_total{stage}`` and ``github_api_calls_total``. Workers fork a process per job
  and run on several machines, so in-memory counters would die with each job and be scattered
  across hosts; they are accumulated in Redis hashes instead and read back at scrape time by
  :class:`RedisMetricsCollector`, together with the queue depth and the live worker count.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue, Worker

log = logging.getLogger("releasecast.app.metrics")

_COUNTERS_KEY = "releasecast:metrics:counters"
_HISTOGRAM_KEY = "releasecast:metrics:histogram:pipeline_duration_seconds"
# Stages take from well under a second (facts) to minutes (a full reel render).
DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_SEP = "|"


def _field(name: str, **labels: str) -> str:
    return _SEP.join([name, *(f"{k}={v}" for k, v in sorted(labels.items()))])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse_field(field: str) -> tuple[str, dict[str, str]]:
    name, *pairs = field.split(_SEP)
    return name, dict(pair.split("=", 1) for pair in pairs)


class WorkerMetrics:
    """What workers record; every call is one pipelined round trip and never raises."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def _write(self, increments: Iterable[tuple[str, str, float]]) -> None:
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for key, field, amount in increments:
                    pipe.hincrbyfloat(key, field, amount)
                pipe.execute()
        except RedisError as exc:  # metrics must never fail a release
            log.warning("could not record metrics: %s", exc)

    def run_finished(self, status: str) -> None:
        self._write([(_COUNTERS_KEY, _field("pipeline_runs_total", status=status), 1)])

    def stage_durations(self, timings: dict[str, float]) -> None:
        increments: list[tuple[str, str, float]] = []
        for stage, seconds in timings.items():
            for bound in (*DURATION_BUCKETS, math.inf):
                if seconds <= bound:
                    bucket = _field("bucket", stage=stage, le=_le(bound))
                    increments.append((_HISTOGRAM_KEY, bucket, 1))
            increments.append((_HISTOGRAM_KEY, _field("sum", stage=stage), seconds))
            increments.append((_HISTOGRAM_KEY, _field("count", stage=stage), 1))
        self._write(increments)

    def error(self, stage: str) -> None:
        self._write([(_COUNTERS_KEY, _field("pipeline_errors_total", stage=stage), 1)])

    def github_api_calls(self, count: int = 1) -> None:
        if count:
            self._write([(_COUNTERS_KEY, _field("github_api_calls_total"), count)])


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


_DESCRIPTIONS = {
    "pipeline_runs_total": ("Finished pipeline runs by final status", ["status"]),
    "pipeline_errors_total": ("Pipeline failures by the stage that failed", ["stage"]),
    "github_api_calls_total": ("Requests the workers made to the GitHub API", []),
}


class RedisMetricsCollector(Collector):
    """Reads the workers' metrics and the queue state from Redis at scrape time."""

    def __init__(self, connection: redis.Redis, queue: Queue) -> None:
        self.connection = connection
        self.queue = queue

    def describe(self) -> Sequence[Metric]:
        return []  # values come from Redis at collect time; do not collect at registration

    def collect(self) -> Iterator[Metric]:
        try:
            counters = self.connection.hgetall(_COUNTERS_KEY)
            histogram = self.connection.hgetall(_HISTOGRAM_KEY)
            depth = self.queue.count
            workers = Worker.count(queue=self.queue)
        except RedisError as exc:
            log.warning("metrics: Redis unavailable: %s", exc)
            return
        yield from self._counters(counters)
        yield self._histogram(histogram)
        depth_family = GaugeMetricFamily("queue_depth", "Jobs waiting in the queue",
                                         labels=["queue"])
        depth_family.add_metric([self.queue.name], depth)
        yield depth_family
        yield GaugeMetricFamily("workers", "Live RQ workers listening on the queue", value=workers)

    @staticmethod
    def _counters(raw: Mapping[bytes | str, bytes | str]) -> Iterator[Metric]:
        families = {
            name: CounterMetricFamily(name, doc, labels=labels)
            for name, (doc, labels) in _DESCRIPTIONS.items()
        }
        if not any(_parse_field(_text(f))[0] == "github_api_calls_total" for f in raw):
            families["github_api_calls_total"].add_metric([], 0)
        for field, value in raw.items():
            name, labels = _parse_field(_text(field))
            family = families.get(name)
            if family is not None:
                family.add_metric([labels[k] for k in _DESCRIPTIONS[name][1]], float(value))
        yield from families.values()

    @staticmethod
    def _histogram(raw: Mapping[bytes | str, bytes | str]) -> Metric:
        family = HistogramMetricFamily(
            "pipeline_duration_seconds", "Time spent in each pipeline stage", labels=["stage"]
        )
        stages: dict[str, dict[str, float]] = {}
        for field, value in raw.items():
            kind, labels = _parse_field(_text(field))
            entry = stages.setdefault(labels["stage"], {})
            key = f"le={labels['le']}" if kind == "bucket" else kind
            entry[key] = float(value)
        for stage, entry in sorted(stages.items()):
            bounds = (*DURATION_BUCKETS, math.inf)
            buckets = [(_le(b), entry.get(f"le={_le(b)}", 0.0)) for b in bounds]
            family.add_metric([stage], buckets, sum_value=entry.get("sum", 0.0))
        return family


MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(directory: Path) -> None:
    """Before starting several web processes: an empty directory for their metric files, named
    in the environment they inherit (prometheus-client reads it when first imported there)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)


class WebMetrics:
    """The web process's own metrics.

    One process: in memory, in a registry per app instance. Several processes behind one port
    (``releasecast serve --workers N``): prometheus-client's multiprocess mode, each process
    writing its values to files in ``PROMETHEUS_MULTIPROC_DIR`` and every scrape summing all of
    them, so whichever process answers ``/metrics`` reports the whole server."""

    def __init__(self) -> None:
        own = CollectorRegistry()
        self.deliveries = Counter(
            "webhook_deliveries",
            "Webhook deliveries by event and what was done with them",
            ["event", "result"],
            registry=own,
        )
        self.webhook_seconds = Histogram(
            "webhook_response_seconds",
            "Time to answer a webhook delivery",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10),
            registry=own,
        )
        directory = os.environ.get(MULTIPROCESS_ENV)
        if directory:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=directory)
        else:
            self.registry = own

    def attach(self, collector: Collector) -> None:
        self.registry.register(collector)
