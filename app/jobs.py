"""The RQ job: :func:`process_release`, run by ``releasecast worker`` in a forked work horse.

Exactly-once, although RQ delivers at least once (a worker killed mid-job has its job run
again, see :mod:`app.worker`):

* a Redis lock per run, renewed while the job runs, keeps two attempts from overlapping (an
  orphaned attempt still running when the job is handed to another worker);
* the run history says whether an earlier attempt already finished; if so the job does nothing;
* publishing is idempotent: the same release writes the same files, so an attempt that died
  after pushing but before recording success commits nothing the second time.

Failures: errors in the input or the repository's configuration are final (no retry); anything
else is retried with backoff (``Retry``) and the run shows ``queued`` with the last error until
the final attempt fails.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from redis.exceptions import LockError
from redis.lock import Lock
from rq import get_current_job
from rq.job import Job

from pipeline.errors import InputError
from pipeline.plan import Skip
from pipeline.progress import Progress

from .db import Database
from .github_auth import GitHubApp, TokenCache
from .metrics import WorkerMetrics
from .models import RunStatus
from .queue import redis_client
from .release_job import build_and_publish
from .runs import RunRequest, RunStore
from .settings import Settings

log = logging.getLogger("releasecast.app.jobs")


class RunBusy(Exception):
    """Another attempt of this run still holds its lock; RQ retries later."""


class StageProgress(Progress):
    """Pipeline progress that remembers which stage failed (for ``pipeline_errors_total``)."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.current: str | None = None
        self.failed_stage: str | None = None

    @contextmanager
    def stage(self, name: str, what: str = "", *, spinner: bool = True) -> Iterator[None]:
        self.current = name
        try:
            with super().stage(name, what, spinner=spinner):
                yield
        except BaseException:
            self.failed_stage = self.failed_stage or name
            raise

    def say(self, line: str) -> None:
        log.info("%s", line)


@dataclass
class WorkerContext:
    settings: Settings
    connection: redis.Redis
    db: Database
    runs: RunStore
    metrics: WorkerMetrics
    github: GitHubApp | None


_context: tuple[int, WorkerContext] | None = None


def worker_context() -> WorkerContext:
    """Per process: a forked work horse builds its own, leaving the parent's connections alone
    (SQLAlchemy's ``dispose(close=False)``: never close a socket the parent still uses)."""
    global _context
    pid = os.getpid()
    if _context is not None and _context[0] == pid:
        return _context[1]
    if _context is not None:
        _context[1].db.engine.dispose(close=False)
    settings = Settings.from_env(role="worker")
    connection = redis_client(settings.redis_url)
    db = Database(settings.db_url, migrate_schema=False)
    metrics = WorkerMetrics(connection)
    github = None
    if settings.app_id and settings.private_key:
        github = GitHubApp(
            settings.app_id,
            settings.private_key,
            api_url=settings.github_api_url,
            cache=TokenCache(connection, settings.private_key),
            metrics=metrics,
        )
    context = WorkerContext(settings, connection, db, RunStore(db), metrics, github)
    _context = (pid, context)
    return context


class _RequestCounter(logging.Handler):
    """Counts PyGithub's requests from its per-request debug record, without formatting it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and " ==> " in record.msg:
            self.count += 1


@contextmanager
def counting_github_requests(metrics: WorkerMetrics) -> Iterator[None]:
    """Count the REST calls the shared publishing code makes through PyGithub (it has no hook;
    its requester logs each call at DEBUG). The records stop here: nothing is printed."""
    logger = logging.getLogger("github.Requester")
    counter = _RequestCounter()
    saved = (logger.level, logger.propagate)
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(counter)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        metrics.github_api_calls(counter.count)


def lock_ttl(settings: Settings) -> int:
    """Long enough to outlive a heartbeat gap; short enough that a dead attempt's lock is gone
    by the time its job is taken over."""
    tuning = settings.tuning
    return max(2, tuning.abandoned_grace + tuning.job_monitoring_interval)


@contextmanager
def run_lock(connection: redis.Redis, run_id: str, ttl: int) -> Iterator[None]:
    """Hold ``releasecast:run-lock:<id>`` while the block runs, renewing it in a thread."""
    lock = Lock(connection, f"releasecast:run-lock:{run_id}", timeout=ttl, thread_local=False)
    # Waiting up to two TTLs covers a dead attempt's lock expiring; a live one keeps renewing.
    if not lock.acquire(blocking=True, blocking_timeout=2 * ttl):
        raise RunBusy(f"run {run_id} is being processed by another attempt")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl / 3):
            try:
                lock.reacquire()
            except Exception as exc:  # logged; the job itself decides the outcome
                log.warning("run %s: lock renewal failed: %s", run_id, type(exc).__name__)

    renewer = threading.Thread(target=renew, name=f"lock-{run_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        with suppress(LockError):  # expired already: nothing to release
            lock.release()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 2000 else text[:1997] + "..."


def _retries_left(job: Job | None) -> int:
    return int(job.retries_left or 0) if job is not None else 0


def process_release(request_data: dict[str, Any]) -> dict[str, Any]:
    """Publish one release. The RQ job function (its argument is a :class:`RunRequest`)."""
    request = RunRequest.from_json(request_data)
    ctx = worker_context()
    with run_lock(ctx.connection, request.run_id, lock_ttl(ctx.settings)):
        if not ctx.runs.start(request):
            log.info("run %s already finished by an earlier attempt", request.run_id)
            return {"run_id": request.run_id, "status": "already-finished"}
        return _attempt(request, ctx)


def _attempt(request: RunRequest, ctx: WorkerContext) -> dict[str, Any]:
    progress = StageProgress()
    work = Path(tempfile.mkdtemp(prefix=f"releasecast-{request.run_id[:12]}-",
                                 dir=_work_root(ctx.settings)))
    try:
        token = None
        if request.installation_id is not None:
            if ctx.github is None:
                raise InputError("GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are needed for "
                                 "installation events")
            with progress.stage("auth", "installation token"):
                ctx.github.verify_installation(request.repository, request.installation_id)
                token = ctx.github.installation_token(request.installation_id).token.reveal()
        with counting_github_requests(ctx.metrics):
            result = build_and_publish(request, work_dir=work, token=token,
                                       api_url=ctx.settings.github_api_url, progress=progress,
                                       youtube_auth=ctx.settings.youtube)
    except Exception as exc:
        _record_failure(request, ctx, progress, exc)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if isinstance(result, Skip):
        ctx.runs.finish(request.run_id, RunStatus.SKIPPED, error=result.reason)
        ctx.metrics.run_finished(RunStatus.SKIPPED)
        return {"run_id": request.run_id, "status": "skipped", "reason": result.reason}
    ctx.runs.finish(request.run_id, RunStatus.SUCCEEDED, outcome=result.outcome)
    ctx.metrics.run_finished(RunStatus.SUCCEEDED)
    ctx.metrics.stage_durations(result.timings)
    log.info("run %s succeeded: %s (%s)", request.run_id, result.outcome.post_url,
             "new commit" if result.changed else "no change")
    return {
        "run_id": request.run_id,
        "status": "succeeded",
        "post_url": result.outcome.post_url,
        "video_url": result.outcome.video_url,
        "youtube_url": result.outcome.youtube_url,
        "commit_sha": result.commit_sha,
        "changed": result.changed,
        "pull_request_url": result.pull_request_url,
    }


def _record_failure(request: RunRequest, ctx: WorkerContext, progress: StageProgress,
                    exc: BaseException) -> None:
    stage = progress.failed_stage or progress.current or "setup"
    message = _one_line(exc)
    ctx.metrics.error(stage)
    job = get_current_job()
    final = isinstance(exc, InputError) or _retries_left(job) == 0
    if final:
        if job is not None:
            job.retries_left = 0  # a wrong config or input does not fix itself: no retry
        ctx.runs.finish(request.run_id, RunStatus.FAILED, error=f"{stage}: {message}")
        ctx.metrics.run_finished(RunStatus.FAILED)
        log.error("run %s failed in %s: %s", request.run_id, stage, message)
    else:
        ctx.runs.finish(request.run_id, RunStatus.QUEUED,
                        error=f"{stage}: {message} (will retry)")
        log.warning("run %s: attempt failed in %s, retrying: %s", request.run_id, stage, message)


def _work_root(settings: Settings) -> str:
    root = settings.data_dir / "work"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


def on_job_failure(job: Job, connection: redis.Redis, exc_type: Any, exc: Any, tb: Any) -> None:
    """RQ failure callback. The job records its own failures; this only repairs a run left
    ``running`` by an attempt that could not (its process died, or its worker was lost)."""
    try:
        ctx = worker_context()
        run = ctx.runs.get(job.id)
        if run is None and job.args:
            # Failed before it could start (e.g. the database was down): record it now, so
            # the run is visible with its error rather than failing out of sight.
            ctx.runs.record_queued(RunRequest.from_json(job.args[0]))
        elif run is None or run["status"] != RunStatus.RUNNING:
            return
        reason = _one_line(exc) if exc is not None else "worker lost"
        if _retries_left(job) > 0:
            ctx.runs.finish(job.id, RunStatus.QUEUED, error=f"{reason} (will retry)")
        else:
            ctx.runs.finish(job.id, RunStatus.FAILED, error=reason)
            ctx.metrics.run_finished(RunStatus.FAILED)
    except Exception as error:  # a callback must never break RQ's bookkeeping
        log.warning("failure callback for %s: %s", job.id, type(error).__name__)

