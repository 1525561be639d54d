"""Webhook event handlers, routed by event name and action (:data:`HANDLERS`).

Each handler receives the verified :class:`gidgethub.sansio.Event` and the App's context and
returns a :class:`Reply`. An event/action with no handler is answered 202 with the reason.
Every handler first parses the payload into its typed model (:mod:`app.events`); a payload
of the wrong shape is answered 400 with the reason, before anything is claimed or queued.
Handlers only validate, claim and enqueue — the work happens in :mod:`app.jobs` on a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gidgethub import sansio
from rq import Queue
from starlette.concurrency import run_in_threadpool

from pipeline.plan import PUBLISHED_ACTIONS

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
from .runs import RunRecorder, RunRequest
from .settings import Settings

log = logging.getLogger("releasecast.app.webhooks")


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
    runs: RunRecorder
    token_cache: Any = None  # app.github_auth.TokenCache, to forget tokens of removed installs


def ignored(reason: str) -> Reply:
    return Reply(202, "ignored", {"status": "ignored", "reason": reason})


async def on_ping(event: sansio.Event, ctx: WebhookContext) -> Reply:
    ping = parse(PingEvent, event.data)
    hook = ping.hook or Hook()
    log.info("ping from hook %s (app %s)", hook.id, hook.app_id)
    return Reply(200, "pong", {"status": "pong", "zen": ping.zen})


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
    """One trip to the thread pool: claim and enqueue (Redis, atomically), then hand the run
    to the history's batch writer. The job is safely queued before the answer; its row
    follows within milliseconds, or the worker writes it (see :mod:`app.runs`)."""
    enqueued = enqueue_release(ctx.queue, request, release=claim, settings=ctx.settings)
    if not enqueued.duplicate:
        ctx.runs.add(request)
    return enqueued


Handler = Callable[[sansio.Event, WebhookContext], Awaitable[Reply]]
# (event, action): None matches any action. Releases: the actions the publishing plan handles
# (a release made public); edits and deletions are the Action's business, never the App's.
HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("ping", None): on_ping,
    ("installation", None): on_installation,
    **{("release", action): _on_release for action in PUBLISHED_ACTIONS},
}


def malformed(reason: str) -> Reply:
    return Reply(400, "malformed", {"status": "error", "reason": reason})


async def dispatch(event: sansio.Event, ctx: WebhookContext) -> Reply:
    """Validate the delivery's shape, then hand it to its handler (or ignore it)."""
    if not isinstance(event.data, dict):
        return malformed("payload is not a JSON object")
    try:
        # Routing reads ``action``: its type is checked first.
        action = parse(Envelope, event.data).action
        handler = HANDLERS.get((event.event, action)) or HANDLERS.get((event.event, None))
        if handler is None:
            name = f"{event.event}.{action}" if action else event.event
            return ignored(f"{name} is not handled")
        return await handler(event, ctx)
    except MalformedDelivery as exc:
        return malformed(str(exc))
