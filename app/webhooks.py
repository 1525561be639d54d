"""Webhook event handlers, routed Probot-style by event name and action with gidgethub's Router.

Each handler receives the verified :class:`gidgethub.sansio.Event` and the App's context and
returns a :class:`Reply`. An event/action with no handler is answered 202 with the reason.
Handlers only validate, claim and enqueue — the work happens in :mod:`app.jobs` on a worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from gidgethub import routing, sansio
from rq import Queue
from starlette.concurrency import run_in_threadpool

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
    hook = event.data.get("hook") or {}
    log.info("ping from hook %s (app %s)", hook.get("id"), hook.get("app_id"))
    return Reply(200, "pong", {"status": "pong", "zen": event.data.get("zen", "")})


@router.register("installation")
async def on_installation(event: sansio.Event, ctx: WebhookContext) -> Reply:
    action = event.data.get("action", "")
    installation = event.data.get("installation") or {}
    account = (installation.get("account") or {}).get("login", "?")
    repositories = event.data.get("repositories") or []
    log.info("installation %s %s by %s (%d repositories)", installation.get("id"), action,
             account, len(repositories))
    if action in {"deleted", "suspend"} and ctx.token_cache is not None and installation.get("id"):
        await run_in_threadpool(ctx.token_cache.forget, int(installation["id"]))
    return Reply(200, f"installation_{action}" if action else "installation",
                 {"status": "ok", "action": action})


async def _on_release(event: sansio.Event, ctx: WebhookContext) -> Reply:
    data = event.data
    release = data.get("release") or {}
    repository = data.get("repository") or {}
    action = data.get("action", "")
    if not release.get("tag_name") or not repository.get("full_name"):
        return Reply(400, "malformed",
                     {"status": "error", "reason": "release or repository missing"})
    if release.get("draft"):
        return ignored("draft releases are not announced")
    prerelease = bool(release.get("prerelease")) or action == "prereleased"
    if prerelease and not ctx.settings.accept_prereleases:
        return ignored("prereleases are turned off (RELEASECAST_PRERELEASES)")
    installation = data.get("installation") or {}
    request = RunRequest(
        run_id=event.delivery_id,
        delivery_id=event.delivery_id,
        event=f"release.{action}",
        repository=repository["full_name"],
        private=bool(repository.get("private")),
        tag=release["tag_name"],
        release_id=release.get("id"),
        installation_id=installation.get("id"),
        clone_url=repository.get("clone_url") or "",
        payload=data,
    )
    claim = release_key(repository.get("id") or repository["full_name"],
                        release.get("id") or release["tag_name"], prerelease)
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


async def dispatch(event: sansio.Event, ctx: WebhookContext) -> Reply:
    handlers = router.fetch(event)
    if not handlers:
        action = event.data.get("action") if isinstance(event.data, dict) else None
        name = f"{event.event}.{action}" if action else event.event
        return ignored(f"{name} is not handled")
    (handler,) = handlers  # one handler per event/action by construction
    return await handler(event, ctx)
