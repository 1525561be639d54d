"""Webhook event handlers, routed Probot-style by event name and action with gidgethub's Router.

Each handler receives the verified :class:`gidgethub.sansio.Event` and the App's context and
returns a :class:`Reply`. An event/action with no handler is answered 202 with the reason.
Every handler first parses the payload into its typed model (:mod:`app.events`); a payload
of the wrong shape is answered 400 with the reason, before anything is claimed or queued.
Handlers only validate, claim and enqueue — the work happens in :mod:`app.jobs` on a worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from gidgethub import routing, sansio
from rq import Queue
from starlette.concurrency import run_in_threadpool

from .events import (
    Envelope,
    Hook,
    InstallationEvent,
    MalformedDelivery,
    PingEvent,
    ReleaseEvent,
    parse,
)
from .queue import Enqueued, enqueue_release, release_key
from .runs import RunRequest, RunStore
from .settings import Settings

log = logging.getLogger("releasecast.app.webhooks")
router = routing.Router()


@dataclass(frozen=True)
class Reply:
    status: int
    result: str  # the `result` label of webhook_deliveries_total
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebhookContext:
    settings: Settings
    queue: Queue
    runs: RunStore
    token_cache: Any = None  # app.github_auth.TokenCache, to forget tokens of removed installs


def ignored(reason: str) -> Reply:
    return Reply(202, "ignored", {"status": "ignored", "reason": reason})


@router.register("ping")
async def on_ping(event: sansio.Event, ctx: WebhookContext) -> Reply:
    ping = parse(PingEvent, event.data)
    hook = ping.hook or Hook()
    log.info("ping from hook %s (app %s)", hook.id, hook.app_id)
    return Reply(200, "pong", {"status": "pong", "zen": ping.zen})


@router.register("installation")
async def on_installation(event: sansio.Event, ctx: WebhookContext) -> Reply:
    data = parse(InstallationEvent, event.data)
    installation = data.installation
    account = installation.account.login if installation.account else None
    repositories = event.data.get("repositories")
    log.info("installation %s %s by %s (%d repositories)", installation.id, data.action,
             account or "?", len(repositories) if isinstance(repositories, list) else 0)
    if data.action in {"deleted", "suspend"} and ctx.token_cache is not None:
        await run_in_threadpool(ctx.token_cache.forget, installation.id)
    return Reply(200, f"installation_{data.action}" if data.action else "installation",
                 {"status": "ok", "action": data.action})


async def _on_release(event: sansio.Event, ctx: WebhookContext) -> Reply:
    data = parse(ReleaseEvent, event.data)
    release, repository = data.release, data.repository
    if release.draft:
        return ignored("draft releases are not announced")
    prerelease = release.prerelease or data.action == "prereleased"
    if prerelease and not ctx.settings.accept_prereleases:
        return ignored("prereleases are turned off (RELEASECAST_PRERELEASES)")
    request = RunRequest(
        run_id=event.delivery_id,
        delivery_id=event.delivery_id,
        event=f"release.{data.action}",
        repository=repository.full_name,
        private=repository.private,
        tag=release.tag_name,
        release_id=release.id,
        installation_id=data.installation.id if data.installation else None,
        payload=event.data,
    )
    claim = release_key(repository.id, release.id, prerelease)
    enqueued = await run_in_threadpool(_enqueue_and_record, ctx, request, claim)
    if enqueued.duplicate:
        return Reply(
            202,
            "duplicate",
            {"status": "duplicate", "job_id": enqueued.duplicate_of,
             "reason": "this delivery or release was already accepted"},
        )
    return Reply(202, "queued", {"status": "queued", "job_id": enqueued.job_id,
                                 "job_url": f"/jobs/{enqueued.job_id}"})


def _enqueue_and_record(ctx: WebhookContext, request: RunRequest, claim: str) -> Enqueued:
    """One trip to the thread pool: claim and enqueue (Redis), then record the run."""
    enqueued = enqueue_release(ctx.queue, request, release=claim, settings=ctx.settings)
    if not enqueued.duplicate:
        # The job is already safely queued; the worker creates the row if this write fails.
        try:
            ctx.runs.record_queued(request)
        except Exception as exc:  # never turn an enqueued delivery into an error
            log.warning("run %s queued but not recorded yet: %s", request.run_id,
                        type(exc).__name__)
    return enqueued


for _action in ("published", "released", "prereleased"):
    router.add(_on_release, "release", action=_action)


def malformed(reason: str) -> Reply:
    return Reply(400, "malformed", {"status": "error", "reason": reason})


async def dispatch(event: sansio.Event, ctx: WebhookContext) -> Reply:
    """Validate the delivery's shape, then hand it to its handler (or ignore it)."""
    if not isinstance(event.data, dict):
        return malformed("payload is not a JSON object")
    try:
        # Routing reads ``action``: its type is checked before gidgethub hashes it.
        action = parse(Envelope, event.data).action
        handlers = router.fetch(event)
        if not handlers:
            name = f"{event.event}.{action}" if action else event.event
            return ignored(f"{name} is not handled")
        (handler,) = handlers  # one handler per event/action by construction
        return await handler(event, ctx)
    except MalformedDelivery as exc:
        return malformed(str(exc))
