"""Authentication, rate limiting and response hardening for the web process.

Authentication: the admin token, sent as ``Authorization: Bearer <token>`` (API clients) or
exchanged once at the login form for a session cookie (the dashboard). The cookie holds an
expiry time and an HMAC of it keyed by the admin token — never the token itself — so rotating
the token logs every session out. ``/metrics`` also accepts a separate metrics token.

Rate limiting: a token bucket per client address, in process memory. Chosen over a Redis
window because (1) it adds no Redis round trip to the webhook's hot path, (2) it keeps
answering 429 while Redis is down, when the webhook must fail fast with 503 rather than queue up,
and (3) one web process serves the whole App (it only enqueues). With N web replicas behind a
balancer each enforces its own budget, so the effective limit is N times the setting
(DEPLOYMENT.md says so). Memory is bounded: the least recently seen clients are dropped first.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import RateLimit, Secret, Settings

SESSION_COOKIE = "releasecast_session"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token bucket per key: ``rate.requests`` burst, refilled evenly over ``rate.period``."""

    def __init__(self, rate: RateLimit, *, max_clients: int = 10_000) -> None:
        self.capacity = float(rate.requests)
        self.refill_per_second = rate.requests / rate.period
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, *, now: float | None = None) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(self.capacity, now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.refill_per_second)
                bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.refill_per_second


def client_key(connection: HTTPConnection) -> str:
    # Behind a reverse proxy, uvicorn's --proxy-headers/--forwarded-allow-ips make this the
    # real client address; X-Forwarded-For is never read here, so clients cannot spoof it.
    return connection.client.host if connection.client else "unknown"


def _constant_time_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        assert settings.admin_token is not None
        self.admin_token = settings.admin_token
        self.metrics_token = settings.metrics_token
        self.session_ttl = settings.session_ttl
        self._session_key = hmac.new(
            settings.admin_token.reveal().encode(), b"releasecast dashboard session", hashlib.sha256
        ).digest()

    @staticmethod
    def _bearer(connection: HTTPConnection) -> str | None:
        header = connection.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def token_matches(self, token: str) -> bool:
        return _constant_time_equal(token, self.admin_token.reveal())

    def is_admin(self, connection: HTTPConnection) -> bool:
        token = self._bearer(connection)
        if token is not None:
            return self.token_matches(token)
        return self.session_valid(connection.cookies.get(SESSION_COOKIE, ""))

    def may_scrape(self, connection: HTTPConnection) -> bool:
        token = self._bearer(connection)
        if (token is not None and self.metrics_token is not None
                and _constant_time_equal(token, self.metrics_token.reveal())):
            return True
        return self.is_admin(connection)

    def _sign(self, expires: int) -> str:
        return hmac.new(self._session_key, str(expires).encode(), hashlib.sha256).hexdigest()

    def new_session(self, *, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self.session_ttl)
        return f"{expires}.{self._sign(expires)}"

    def session_valid(self, value: str, *, now: float | None = None) -> bool:
        expires_text, _, signature = value.partition(".")
        if not expires_text.isdigit() or not signature:
            return False
        if not _constant_time_equal(signature, self._sign(int(expires_text))):
            return False
        return int(expires_text) > (time.time() if now is None else now)


SECURITY_HEADERS = [
    # No inline scripts or styles anywhere: the dashboard's JS and CSS are files under /static.
    (b"content-security-policy",
     b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeadersMiddleware:
    """Adds hardening headers to every HTTP response (pure ASGI: no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def redact(secret: Secret | None) -> str:
    return "set" if secret is not None else "not set"
