"""RQ workers that notice a dead colleague quickly and hand its job to someone else.

RQ keeps a running job in the queue's ``StartedJobRegistry`` with an expiry that the worker's
heartbeats push forward. When a worker (and its work horse) is killed, the heartbeats stop and
the entry expires. Two things are tuned here, from :class:`app.settings.WorkerTuning`:

* the grace after a missed heartbeat (RQ hard-codes 60 s) is ``abandoned_grace``;
* at each maintenance tick (``maintenance_interval``) an idle worker puts such abandoned jobs
  straight back at the front of the queue — without waiting for RQ's retry schedule, which
  needs the scheduler lock that the dead worker may have held for another minute. The hand-back
  is claimed with ``ZREM`` on the registry entry, so exactly one worker requeues each job.
  After ``MAX_TAKEOVERS`` takeovers (a job that keeps killing its worker, e.g. out of memory)
  RQ's own handling applies: retries with backoff, then the failed registry.

Redis outages: RQ retries a lost connection only while waiting for a job; anywhere else (the
heartbeats sent while a job runs, the maintenance tick, the suspension check) the error ends
its work loop and the worker process exits. Here those calls log the outage once and carry on
— the job keeps running in its work horse, and the next heartbeat tries again — and each
successful heartbeat checks that the worker is still registered: a Redis that came back empty
(restarted without persistence, failed over, flushed) gets the registration back, so
``workers`` in ``/metrics`` counts live workers again. ``releasecast worker`` then ends only on
a signal (exit 0, after the job in progress) or on an error it cannot outlast (exit 1, one line).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from rq import Queue, Worker, worker_registration
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.utils import parse_composite_key

from .models import RunStatus
from .queue import make_queue, redis_client
from .settings import Settings, WorkerTuning

log = logging.getLogger("releasecast.app.worker")
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
MAX_TAKEOVERS = 2
_RQ_HEARTBEAT_GRACE = 60  # what RQ adds to every heartbeat TTL


class ReleasecastWorker(Worker):
    """An RQ :class:`~rq.Worker` with a configurable abandoned-job grace and fast takeover."""

    def __init__(self, *args: Any, tuning: WorkerTuning | None = None, **kwargs: Any) -> None:
        tuning = tuning or Settings.from_env(role="worker").tuning
        kwargs.setdefault("worker_ttl", tuning.worker_ttl)
        kwargs.setdefault("job_monitoring_interval", tuning.job_monitoring_interval)
        kwargs.setdefault("maintenance_interval", tuning.maintenance_interval)
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)
        self.tuning = tuning
        self._redis_down_since: float | None = None
        self.signalled = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.signalled = True  # RQ's own flag is set only when a job is running
        super().request_stop(signum, frame)

    # --- outliving Redis -------------------------------------------------------------------

    def _redis_lost(self, exc: Exception, doing: str) -> None:
        if self._redis_down_since is None:
            self._redis_down_since = time.monotonic()
            log.warning("Redis unavailable (%s while %s); retrying, the job in progress goes on",
                        type(exc).__name__, doing)

    def _redis_back(self) -> None:
        if self._redis_down_since is not None:
            log.warning("Redis reachable again after %.1f s",
                        time.monotonic() - self._redis_down_since)
            self._redis_down_since = None

    def _ensure_registered(self) -> None:
        """Register again when Redis lost this worker's registration (its data is gone)."""
        if self.connection.sismember(self.redis_workers_keys, self.key):
            return
        with self.connection.pipeline() as pipe:
            pipe.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()
        log.warning("worker %s registered again: Redis had lost its registration", self.name)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:  # part of the caller's transaction: its caller handles errors
            super().heartbeat(timeout, pipeline=pipeline)
            return
        try:
            super().heartbeat(timeout)
            self._ensure_registered()
        except _REDIS_DOWN as exc:
            self._redis_lost(exc, "sending a heartbeat")
            return
        self._redis_back()

    def maintain_heartbeats(self, job: Job, execution: Any) -> None:
        try:
            super().maintain_heartbeats(job, execution)
            self._ensure_registered()
        except _REDIS_DOWN as exc:
            self._redis_lost(exc, f"job {job.id} runs")
            return
        self._redis_back()

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except _REDIS_DOWN as exc:
            self._redis_lost(exc, "checking for suspension")

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        except _REDIS_DOWN as exc:
            # Starting or finishing the job's bookkeeping failed. A job left in the started
            # registry is taken over once its heartbeat is late (take_over_abandoned).
            self._redis_lost(exc, f"starting or finishing job {job.id}")

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        rq_ttl = super().get_heartbeat_ttl(job, working_time)
        return max(1, rq_ttl - _RQ_HEARTBEAT_GRACE + self.tuning.abandoned_grace)

    def run_maintenance_tasks(self) -> None:
        for queue in self.queues:
            try:
                take_over_abandoned(queue)
            except redis.RedisError as exc:
                self.log.warning("abandoned-job check failed: %s", exc)
        try:
            super().run_maintenance_tasks()
        except _REDIS_DOWN as exc:
            self._redis_lost(exc, "cleaning registries")

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int,
                                 rusage: Any) -> None:
        """The horse died without recording anything: say so in the run history."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        _note_run(job.id, f"worker process died (exit status {ret_val}); "
                          + ("retrying" if job.retries_left else "no retries left"),
                  RunStatus.QUEUED if job.retries_left else RunStatus.FAILED)


def take_over_abandoned(queue: Queue, *, now: float | None = None) -> list[str]:
    """Requeue jobs whose worker stopped sending heartbeats. Returns their ids."""
    connection = queue.connection
    registry = StartedJobRegistry(queue.name, connection=connection,
                                  job_class=queue.job_class, serializer=queue.serializer)
    taken: list[str] = []
    for raw in connection.zrangebyscore(registry.key, 0, now if now is not None else time.time()):
        entry = raw.decode() if isinstance(raw, bytes) else str(raw)
        job_id, _execution = parse_composite_key(entry)
        try:
            job = Job.fetch(job_id, connection=connection, serializer=queue.serializer)
        except NoSuchJobError:
            continue
        if job.get_status() != JobStatus.STARTED:
            continue
        takeovers = int(job.meta.get("takeovers", 0))
        if takeovers >= MAX_TAKEOVERS:
            continue  # RQ's StartedJobRegistry.cleanup: retry with backoff, or fail
        if connection.zrem(registry.key, entry) != 1:
            continue  # another worker took it first
        job.meta["takeovers"] = takeovers + 1
        job.save_meta()
        queue.enqueue_job(job, at_front=True)
        taken.append(job.id)
        log.warning("job %s: its worker stopped responding; requeued (takeover %d of %d)",
                    job.id, takeovers + 1, MAX_TAKEOVERS)
        _note_run(job.id, "worker lost mid-run; running it again", RunStatus.QUEUED)
    return taken


def _note_run(run_id: str, message: str, status: RunStatus) -> None:
    from .jobs import worker_context

    try:
        ctx = worker_context()
        ctx.runs.finish(run_id, status, error=message)
        if status == RunStatus.FAILED:
            ctx.metrics.run_finished(RunStatus.FAILED)
    except Exception as exc:  # bookkeeping must not stop the worker
        log.warning("could not update run %s: %s", run_id, type(exc).__name__)


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None,
               processes: int = 1, logging_level: str = "INFO") -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty)."""
    from pipeline.errors import ReleasecastError

    from .db import Database

    Database(settings.db_url).dispose()  # migrate once before taking jobs
    connection = redis_client(settings.redis_url)
    try:
        connection.ping()
    except redis.RedisError as exc:
        raise ReleasecastError(f"cannot reach Redis ({type(exc).__name__}): check REDIS_URL"
                               ) from None
    queue = make_queue(settings, connection)
    if processes > 1:
        from rq.worker_pool import WorkerPool

        pool = WorkerPool([queue], connection=connection, num_workers=processes,
                          worker_class=ReleasecastWorker, serializer=JSONSerializer)
        pool.start(burst=burst, logging_level=logging_level)
        return True
    worker = ReleasecastWorker([queue], connection=connection, name=name, tuning=settings.tuning)
    try:
        worked = worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
    except redis.RedisError as exc:
        raise ReleasecastError(f"worker stopped: Redis failed ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:200]})") from None
    if not burst and not worker.signalled:
        # RQ's loop ended on an error it logged above; a supervisor should start us again.
        raise ReleasecastError("worker stopped after an unexpected error (see the log above); "
                               "its supervisor (systemd, compose restart:) starts it again")
    return worked
