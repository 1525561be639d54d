"""The web process: webhook receiver, HTTP API, dashboard, health and metrics (Starlette).

Nothing here does slow work: ``POST /webhook`` verifies, claims and enqueues, then answers.
"""

from __future__ import annotations

import logging
import math
import re
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import redis
from gidgethub import BadRequest, ValidationFailure, sansio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .db import Database
from .github_auth import TokenCache
from .metrics import RedisMetricsCollector, WebMetrics
from .models import RunStatus
from .queue import make_queue, redis_client
from .runs import RunStore
from .security import (
    SESSION_COOKIE,
    Authenticator,
    RateLimiter,
    SecurityHeadersMiddleware,
    client_key,
)
from .settings import Settings
from .webhooks import Reply, WebhookContext, dispatch

log = logging.getLogger("releasecast.app.web")
HERE = Path(__file__).parent
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_MAX_PER_PAGE = 100


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes before reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


class ReleasecastApp:
    """Holds the process-wide state; its methods are the route endpoints."""

    def __init__(self, settings: Settings, *, db: Database | None = None,
                 connection: redis.Redis | None = None) -> None:
        assert settings.webhook_secret is not None
        self.settings = settings
        self.connection = connection or redis_client(settings.redis_url)
        self.queue = make_queue(settings, self.connection)
        self._db = db
        self.metrics = WebMetrics()
        self.metrics.attach(RedisMetricsCollector(self.connection, self.queue))
        self.auth = Authenticator(settings)
        self.webhook_limiter = RateLimiter(settings.webhook_rate)
        self.api_limiter = RateLimiter(settings.api_rate)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.token_cache = TokenCache(self.connection)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.db_url)
        return self._db

    @property
    def runs(self) -> RunStore:
        return RunStore(self.db)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _limited(limiter: RateLimiter, request: Request) -> Reply | None:
        """None when the client may go on, else the 429 answer with its ``Retry-After``."""
        wait = limiter.hit(client_key(request))
        if wait <= 0:
            return None
        seconds = max(1, math.ceil(wait))
        return Reply(429, "rate_limited", {"status": "rate_limited", "retry_after": seconds},
                     {"Retry-After": str(seconds)})

    def _guard_api(self, request: Request) -> Response | None:
        limited = self._limited(self.api_limiter, request)
        if limited is not None:
            return _json(limited.status, limited.body, limited.headers)
        if not self.auth.is_admin(request):
            return _json(401, {"status": "unauthorized",
                               "reason": "send Authorization: Bearer <admin token> or log in"},
                         {"WWW-Authenticate": 'Bearer realm="releasecast"'})
        return None

    # --- webhook ---------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        started = time.perf_counter()
        reply = await self._webhook(request)
        self.metrics.webhook_seconds.observe(time.perf_counter() - started)
        return _json(reply.status, reply.body, reply.headers or None)

    async def _webhook(self, request: Request) -> Reply:
        limited = self._limited(self.webhook_limiter, request)
        if limited is not None:
            return self._count("unverified", limited)
        try:
            body = await read_capped(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return self._count("unverified", Reply(
                413, "too_large",
                {"status": "error", "reason": f"body over {self.settings.max_body_bytes} bytes"}))
        signature = request.headers.get("x-hub-signature-256", "")
        if not signature.startswith("sha256="):
            return self._count("unverified", Reply(
                401, "unauthorized", {"status": "error", "reason": "missing X-Hub-Signature-256"}))
        secret = self._matching_secret(body, signature)
        if secret is None:
            return self._count("unverified", Reply(
                401, "unauthorized", {"status": "error", "reason": "signature does not match"}))
        headers = {k: v for k, v in request.headers.items() if k != "x-hub-signature"}
        try:
            event = sansio.Event.from_http(headers, body, secret=secret)
        except BadRequest as exc:
            # gidgethub reports undecodable JSON as an unsupported media type; say which.
            if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
                return self._count("unverified", Reply(
                    400, "bad_request", {"status": "error", "reason": "body is not valid JSON"}))
            return self._count("unverified", Reply(
                exc.status_code, "bad_request", {"status": "error", "reason": str(exc)}))
        except KeyError as exc:
            return self._count("unverified", Reply(
                400, "bad_request", {"status": "error", "reason": f"missing header {exc.args[0]}"}))
        if not _DELIVERY_ID.match(event.delivery_id):
            return self._count(event.event, Reply(
                400, "bad_request", {"status": "error", "reason": "malformed X-GitHub-Delivery"}))
        if not isinstance(event.data, dict):
            return self._count(event.event, Reply(
                400, "bad_request", {"status": "error", "reason": "payload is not a JSON object"}))
        ctx = WebhookContext(self.settings, self.queue, self.runs, self.token_cache)
        try:
            reply = await dispatch(event, ctx)
        except RedisError as exc:
            # Nothing was claimed: GitHub marks the delivery failed and it can be redelivered.
            log.error("delivery %s refused, Redis unavailable: %s", event.delivery_id,
                      type(exc).__name__)
            reply = Reply(503, "unavailable",
                          {"status": "unavailable", "reason": "queue unavailable, redeliver later"},
                          {"Retry-After": "30"})
        log.info("delivery %s %s -> %s %s", event.delivery_id, event.event, reply.status,
                 reply.result)
        return self._count(event.event, reply)

    def _matching_secret(self, body: bytes, signature: str) -> str | None:
        """The configured secret (current, or previous during a rotation) that signed it."""
        for secret in (self.settings.webhook_secret, self.settings.previous_webhook_secret):
            if secret is None:
                continue
            try:
                sansio.validate_event(body, signature=signature, secret=secret.reveal())
            except ValidationFailure:
                continue
            return secret.reveal()
        return None

    def _count(self, event: str, reply: Reply) -> Reply:
        self.metrics.deliveries.labels(event=event, result=reply.result).inc()
        return reply

    # --- API ---------------------------------------------------------------------------

    async def list_runs(self, request: Request) -> Response:
        refused = self._guard_api(request)
        if refused is not None:
            return refused
        params = request.query_params
        try:
            page = max(1, int(params.get("page", "1")))
            per_page = min(_MAX_PER_PAGE, max(1, int(params.get("per_page", "25"))))
        except ValueError:
            return _json(400, {"status": "error", "reason": "page and per_page are numbers"})
        status = params.get("status") or None
        if status is not None and status not in set(RunStatus):
            return _json(400, {"status": "error",
                               "reason": f"status must be one of {', '.join(RunStatus)}"})
        repository = (params.get("repository") or "").strip() or None
        try:
            runs, total = await run_in_threadpool(
                self.runs.list, repository=repository, status=status, page=page, per_page=per_page
            )
        except SQLAlchemyError as exc:
            log.error("run history unavailable: %s", type(exc).__name__)
            return _json(503, {"status": "unavailable", "reason": "database unavailable"})
        has_next = page * per_page < total
        query = {k: v for k, v in (("repository", repository), ("status", status)) if v}
        next_url = (
            "/api/runs?" + urllib.parse.urlencode({**query, "page": page + 1, "per_page": per_page})
            if has_next else None
        )
        return _json(200, {"runs": runs, "page": page, "per_page": per_page, "total": total,
                           "next": next_url})

    async def get_job(self, request: Request) -> Response:
        refused = self._guard_api(request)
        if refused is not None:
            return refused
        job_id = request.path_params["job_id"]
        if not _DELIVERY_ID.match(job_id):
            return _json(404, {"status": "not_found"})
        try:
            run = await run_in_threadpool(self.runs.get, job_id)
        except SQLAlchemyError:
            return _json(503, {"status": "unavailable", "reason": "database unavailable"})
        if run is None:
            # Accepted while the database was unreachable: the job exists, its row not yet.
            queued = await run_in_threadpool(self._queued_job, job_id)
            if queued is not None:
                return _json(200, queued)
            return _json(404, {"status": "not_found", "id": job_id})
        return _json(200, run)

    def _queued_job(self, job_id: str) -> dict[str, Any] | None:
        try:
            job = self.queue.fetch_job(job_id)
        except RedisError:
            return None
        if job is None or not job.args:
            return None
        request = job.args[0]
        return {"id": job_id, "delivery_id": request.get("delivery_id"),
                "repository": request.get("repository"), "tag": request.get("tag"),
                "status": "queued", "recorded": False}

    async def health(self, request: Request) -> Response:
        checks: dict[str, str] = {}

        def check_redis() -> None:
            self.connection.ping()

        for name, probe in (("redis", check_redis), ("database", self.db.ping)):
            try:
                await run_in_threadpool(probe)
                checks[name] = "ok"
            except (RedisError, SQLAlchemyError, OSError) as exc:
                checks[name] = f"unavailable ({type(exc).__name__})"
        healthy = all(value == "ok" for value in checks.values())
        return _json(200 if healthy else 503,
                     {"status": "ok" if healthy else "unavailable", **checks})

    async def metrics_endpoint(self, request: Request) -> Response:
        if not self.auth.may_scrape(request):
            return _json(401, {"status": "unauthorized"},
                         {"WWW-Authenticate": 'Bearer realm="releasecast"'})
        payload = await run_in_threadpool(generate_latest, self.metrics.registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    # --- dashboard ---------------------------------------------------------------------------

    async def dashboard(self, request: Request) -> Response:
        if not self.auth.is_admin(request):
            return self.templates.TemplateResponse(request, "login.html", {"error": None})
        return self.templates.TemplateResponse(
            request, "dashboard.html", {"statuses": list(RunStatus)},
            headers={"Cache-Control": "no-store"},
        )

    async def login(self, request: Request) -> Response:
        limited = self._limited(self.api_limiter, request)
        if limited is not None:
            return _json(limited.status, limited.body, limited.headers)
        try:
            body = await read_capped(request, 4096)
        except BodyTooLarge:
            return _json(413, {"status": "error"})
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        if not token or not self.auth.token_matches(token):
            return self.templates.TemplateResponse(
                request, "login.html", {"error": "That token is not valid."}, status_code=401
            )
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, self.auth.new_session(), max_age=self.settings.session_ttl,
            httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def create_app(settings: Settings, *, db: Database | None = None,
               connection: redis.Redis | None = None) -> Starlette:
    state = ReleasecastApp(settings, db=db, connection=connection)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(lambda: state.db)  # migrate before taking traffic
        yield

    routes = [
        Route("/webhook", state.webhook, methods=["POST"]),
        Route("/api/runs", state.list_runs, methods=["GET"]),
        Route("/jobs/{job_id}", state.get_job, methods=["GET"]),
        Route("/api/jobs/{job_id}", state.get_job, methods=["GET"]),
        Route("/health", state.health, methods=["GET"]),
        Route("/metrics", state.metrics_endpoint, methods=["GET"]),
        Route("/", state.dashboard, methods=["GET"]),
        Route("/login", state.login, methods=["POST"]),
        Route("/logout", state.logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
            max_age=600,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.releasecast = state
    return app


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory app.web:app_from_env``."""
    return create_app(Settings.from_env(role="web"))
