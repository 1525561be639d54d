"""The job queue: RQ on Redis, with delivery deduplication done in the same transaction.

A delivery is claimed (``SET`` of its dedupe keys) and its job enqueued in one Redis
``WATCH``/``MULTI``/``EXEC`` transaction, so either both happen or neither does:

* a redelivery of an accepted delivery finds the claim and is answered "duplicate";
* a delivery whose enqueue failed (Redis down) left no claim, so GitHub's redelivery works.

Two keys are claimed: the delivery id, and the release itself (repository id, release id and
prerelease flag), because GitHub sends both ``published`` and ``released`` for one release.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import redis
from redis.exceptions import WatchError
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.serializers import JSONSerializer

from .runs import RunRequest
from .settings import Settings

log = logging.getLogger("releasecast.app.queue")

KEY_PREFIX = "releasecast"
JOB_FUNCTION = "app.jobs.process_release"
FAILURE_CALLBACK = "app.jobs.on_job_failure"


@cache
def redis_client(url: str) -> redis.Redis:
    """One connection pool per URL and process; short timeouts so an outage is noticed fast."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )


def make_queue(settings: Settings, connection: redis.Redis | None = None) -> Queue:
    return Queue(
        settings.queue_name,
        connection=connection or redis_client(settings.redis_url),
        serializer=JSONSerializer,
        default_timeout=settings.job_timeout,
    )


def delivery_key(delivery_id: str) -> str:
    return f"{KEY_PREFIX}:delivery:{delivery_id}"


def release_key(repository_id: int | str, release_id: int | str, prerelease: bool) -> str:
    return f"{KEY_PREFIX}:release:{repository_id}:{release_id}:{'pre' if prerelease else 'final'}"


@dataclass(frozen=True)
class Enqueued:
    job_id: str
    duplicate_of: str | None = None  # the run an earlier delivery started, when duplicate

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None


def enqueue_release(
    queue: Queue, request: RunRequest, *, release: str, settings: Settings
) -> Enqueued:
    """Claim the delivery and the release and enqueue the job, atomically.

    Raises ``redis.exceptions.RedisError`` when Redis cannot be reached: nothing was claimed.
    """
    connection: redis.Redis = queue.connection
    claim = delivery_key(request.delivery_id)
    with connection.pipeline() as pipe:
        while True:
            try:
                pipe.watch(claim, release)
                earlier = pipe.get(claim) or pipe.get(release)
                if earlier is not None:
                    pipe.unwatch()
                    return Enqueued(request.run_id, duplicate_of=_text(earlier))
                pipe.multi()
                pipe.set(claim, request.run_id, ex=settings.dedupe_ttl)
                pipe.set(release, request.run_id, ex=settings.dedupe_ttl)
                queue.enqueue_call(
                    JOB_FUNCTION,
                    args=(request.to_json(),),
                    job_id=request.run_id,
                    timeout=settings.job_timeout,
                    result_ttl=24 * 3600,
                    failure_ttl=30 * 24 * 3600,
                    description=f"release {request.tag} ({request.event})",
                    retry=_retry(settings),
                    on_failure=Callback(FAILURE_CALLBACK),
                    pipeline=pipe,
                )
                pipe.execute()
                return Enqueued(request.run_id)
            except WatchError:
                # Another process claimed one of the keys between WATCH and EXEC: look again,
                # the next round reports the duplicate.
                continue


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _retry(settings: Settings) -> Retry | None:
    intervals = list(settings.retry_intervals)
    return Retry(max=len(intervals), interval=intervals) if intervals else None
