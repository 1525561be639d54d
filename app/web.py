"""The web process: webhook receiver, HTTP API, dashboard, health and metrics (Starlette).

Nothing here does slow work: ``POST /webhook`` verifies, claims and enqueues, then answers.
"""

from __future__ import annotations

import logging
import math
import os
import re
import socket
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import redis
import redis.asyncio as aioredis
import uvicorn
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
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pipeline.errors import ReleasecastError

from .db import Database
from .github_auth import TokenCache
from .metrics import MULTIPROCESS_ENV, RedisMetricsCollector, WebMetrics, prepare_multiprocess
from .models import RunStatus
from .queue import make_queue, redis_client
from .runs import RunRecorder, RunStore
from .security import (
    SESSION_COOKIE,
    Authenticator,
    RedactQueryStrings,
    SecurityHeadersMiddleware,
    SessionStore,
    SharedRateLimiter,
    client_key,
    same_origin,
)
from .settings import Settings
from .webhooks import Reply, WebhookContext, dispatch

log = logging.getLogger("releasecast.app.web")
logging.getLogger("uvicorn.access").addFilter(RedactQueryStrings())
HERE = Path(__file__).parent
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_EVENT_NAME = re.compile(r"^[a-z_]{1,64}$")  # GitHub's event names; anything else is one label
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
        self._recorder: RunRecorder | None = None
        self.metrics = WebMetrics()
        self.metrics.attach(RedisMetricsCollector(self.connection, self.queue))
        # The async client serves the event loop's own calls (limits, sessions); the sync one
        # serves RQ and the thread pool.
        self.async_connection = aioredis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        assert settings.admin_token is not None
        self.auth = Authenticator(settings, SessionStore(
            self.async_connection, settings.admin_token, settings.session_ttl))
        self.limits = {
            name: SharedRateLimiter(name, rate, self.async_connection)
            for name, rate in (("deliveries", settings.webhook_rate),
                               ("unverified", settings.unverified_rate),
                               ("api", settings.api_rate), ("login", settings.login_rate))
        }
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

    @property
    def recorder(self) -> RunRecorder:
        if self._recorder is None:
            self._recorder = RunRecorder(self.runs)
        return self._recorder

    # --- helpers ---------------------------------------------------------------------------

    async def _limited(self, bucket: str, request: Request) -> Reply | None:
        """None when the client may go on, else the 429 answer with its ``Retry-After``."""
        wait = await self.limits[bucket].hit(client_key(request))
        if wait <= 0:
            return None
        seconds = max(1, math.ceil(wait))
        return Reply(429, "rate_limited", {"status": "rate_limited", "retry_after": seconds},
                     {"Retry-After": str(seconds)})

    async def _guard_api(self, request: Request) -> Response | None:
        limited = await self._limited("api", request)
        if limited is not None:
            return _json(limited.status, limited.body, limited.headers)
        if not await self.auth.is_admin(request):
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
        # The signature is checked before anything else (an HMAC costs microseconds), so a
        # flood of forged requests draws from its own bucket, never from GitHub's.
        try:
            body = await read_capped(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return await self._unverified(request, Reply(
                413, "too_large",
                {"status": "error", "reason": f"body over {self.settings.max_body_bytes} bytes"}))
        signature = request.headers.get("x-hub-signature-256", "")
        if not signature.startswith("sha256="):
            return await self._unverified(request, Reply(
                401, "unauthorized", {"status": "error", "reason": "missing X-Hub-Signature-256"}))
        if not self._signed(body, signature):
            return await self._unverified(request, Reply(
                401, "unauthorized", {"status": "error", "reason": "signature does not match"}))
        event_name = request.headers.get("x-github-event", "")
        label = event_name if _EVENT_NAME.match(event_name) else "unknown"
        limited = await self._limited("deliveries", request)
        if limited is not None:
            return self._count(label, limited)
        # Verified above: gidgethub only parses (without the signature headers it would check
        # the HMAC a second time).
        headers = {k: v for k, v in request.headers.items()
                   if k not in ("x-hub-signature", "x-hub-signature-256")}
        try:
            event = sansio.Event.from_http(headers, body)
        except BadRequest as exc:
            # gidgethub reports undecodable JSON as an unsupported media type; say which.
            if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
                return self._count(label, Reply(
                    400, "bad_request", {"status": "error", "reason": "body is not valid JSON"}))
            return self._count(label, Reply(
                exc.status_code, "bad_request", {"status": "error", "reason": str(exc)}))
        except KeyError as exc:
            return self._count(label, Reply(
                400, "bad_request", {"status": "error", "reason": f"missing header {exc.args[0]}"}))
        if not _DELIVERY_ID.match(event.delivery_id):
            return self._count(label, Reply(
                400, "bad_request", {"status": "error", "reason": "malformed X-GitHub-Delivery"}))
        ctx = WebhookContext(self.settings, self.queue, self.recorder, self.token_cache)
        try:
            reply = await dispatch(event, ctx)
        except RedisError as exc:
            # Nothing was claimed: GitHub marks the delivery failed and it can be redelivered.
            log.error("delivery %s refused, Redis unavailable: %s", event.delivery_id,
                      type(exc).__name__)
            reply = Reply(503, "unavailable",
                          {"status": "unavailable", "reason": "queue unavailable, redeliver later"},
                          {"Retry-After": "30"})
        log.info("delivery %s %s -> %s %s", event.delivery_id, label, reply.status,
                 reply.result)
        return self._count(label, reply)

    async def _unverified(self, request: Request, reply: Reply) -> Reply:
        """A request that is not (provably) from GitHub: counted, and limited on its own."""
        limited = await self._limited("unverified", request)
        return self._count("unverified", limited or reply)

    def _signed(self, body: bytes, signature: str) -> bool:
        """Whether the configured secret (current, or previous during a rotation) signed it."""
        for secret in (self.settings.webhook_secret, self.settings.previous_webhook_secret):
            if secret is None:
                continue
            try:
                sansio.validate_event(body, signature=signature, secret=secret.reveal())
            except ValidationFailure:
                continue
            return True
        return False

    def _count(self, event: str, reply: Reply) -> Reply:
        self.metrics.deliveries.labels(event=event, result=reply.result).inc()
        return reply

    # --- API ---------------------------------------------------------------------------

    async def list_runs(self, request: Request) -> Response:
        refused = await self._guard_api(request)
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
        refused = await self._guard_api(request)
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
        if not await self.auth.may_scrape(request):
            return _json(401, {"status": "unauthorized"},
                         {"WWW-Authenticate": 'Bearer realm="releasecast"'})
        payload = await run_in_threadpool(generate_latest, self.metrics.registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    # --- dashboard ---------------------------------------------------------------------------

    async def dashboard(self, request: Request) -> Response:
        if not await self.auth.is_admin(request):
            return self.templates.TemplateResponse(request, "login.html", {"error": None})
        return self.templates.TemplateResponse(
            request, "dashboard.html", {"statuses": list(RunStatus)},
            headers={"Cache-Control": "no-store"},
        )

    async def login(self, request: Request) -> Response:
        if not same_origin(request):
            return _json(403, {"status": "forbidden", "reason": "cross-site request"})
        limited = await self._limited("login", request)
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
        try:
            session = await self.auth.sessions.create()
        except (RedisError, OSError):
            return self.templates.TemplateResponse(
                request, "login.html",
                {"error": "Sessions are unavailable (Redis is down); try again shortly."},
                status_code=503)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, session, max_age=self.settings.session_ttl,
            httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        if not same_origin(request):
            return _json(403, {"status": "forbidden", "reason": "cross-site request"})
        try:
            await self.auth.sessions.revoke(request.cookies.get(SESSION_COOKIE, ""))
        except (RedisError, OSError):
            return _json(503, {"status": "unavailable",
                               "reason": "the session could not be ended; try again"})
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def create_app(settings: Settings, *, db: Database | None = None,
               connection: redis.Redis | None = None) -> ASGIApp:
    state = ReleasecastApp(settings, db=db, connection=connection)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(lambda: state.db)  # migrate before taking traffic
        yield
        await run_in_threadpool(state.recorder.close)  # write the runs still pending
        await state.async_connection.aclose()

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
            allow_methods=["GET"],  # no cross-origin POST: login and logout are same-site only
            allow_headers=["Authorization"],
            max_age=600,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.releasecast = state
    if not settings.trusted_proxies:
        return app
    # Outermost, so the limits and the cookie's Secure flag see the client behind the proxy.
    # (uvicorn types ASGI apps more narrowly than Starlette; both follow the ASGI spec.)
    return cast(ASGIApp, ProxyHeadersMiddleware(
        cast(Any, app), trusted_hosts=list(settings.trusted_proxies)))


def _share_the_interpreter_quickly() -> None:
    # The event loop shares the GIL with the thread pool (Redis enqueue) and the run
    # recorder. With CPython's 5 ms switch interval a thread waiting for the GIL behind a
    # busy loop (or the loop behind the recorder) waits up to 5 ms per hand-over, several
    # times per delivery; 0.5 ms keeps those waits out of the webhook's answer time.
    sys.setswitchinterval(float(os.environ.get("RELEASECAST_SWITCH_INTERVAL", "0.0005")))


def app_from_env() -> ASGIApp:
    """Factory for ``uvicorn --factory app.web:app_from_env`` (each of ``serve --workers``)."""
    _share_the_interpreter_quickly()
    return create_app(Settings.from_env(role="web"))


def serve(settings: Settings, *, host: str, port: int, workers: int = 1,
          log_level: str = "info") -> None:
    """Run the web server: one process, or ``workers`` processes sharing the port (uvicorn's
    supervisor restarts any that dies), their metrics summed by each scrape. Forwarding
    headers are read by :func:`create_app` from RELEASECAST_TRUSTED_PROXIES only."""
    options: dict[str, Any] = dict(
        host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False,
        timeout_graceful_shutdown=10)
    db = Database(settings.db_url)  # unreachable or unmigratable: one line, before binding
    if workers == 1:
        _share_the_interpreter_quickly()
        uvicorn.run(create_app(settings, db=db), **options)
        return
    db.dispose()  # migrated once here; each process opens its own engine
    if not os.environ.get(MULTIPROCESS_ENV):
        prepare_multiprocess(settings.data_dir.resolve() / "web-metrics")
    from uvicorn.supervisors import Multiprocess

    config = _TcpConfig("app.web:app_from_env", factory=True, workers=workers, **options)
    try:
        sock = config.bind_socket()
    except OSError as exc:
        raise ReleasecastError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                               ) from None
    Multiprocess(config, sockets=[sock]).run()


class _TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        # asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets whose protocol
        # says TCP. uvicorn's shared socket for --workers is made without one, so every
        # answer (headers, then body) waited ~40 ms for the client's delayed ACK.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        return sock
