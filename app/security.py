"""Authentication, sessions, rate limiting, cross-site and log hygiene for the web process.

Authentication: the admin token, sent as ``Authorization: Bearer <token>`` (API clients) or
exchanged once at the login form for a session. Sessions live in Redis (server side): the
cookie holds only a random id, Redis holds its hash with a fingerprint of the admin token, so
logging out deletes the session and rotating the token ends every session. ``/metrics`` also
accepts a separate metrics token.

Rate limiting: GCRA (a token bucket kept as one "theoretical arrival time" per client) in Redis,
one Lua call per request, so every web replica draws from the same budget. Separate buckets:
signed deliveries, requests that failed the signature check, the API, and the login form, so a
flood of one never starves the others. The client is the peer address; ``X-Forwarded-For`` is
read only from proxies named in ``RELEASECAST_TRUSTED_PROXIES`` (uvicorn's proxy-headers
middleware, right-most untrusted entry). While Redis is unreachable each process falls back to
an in-memory bucket, so limits still hold (per process) during an outage.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import RateLimit, Secret, Settings

log = logging.getLogger("releasecast.app.security")
SESSION_COOKIE = "releasecast_session"
_KEY_PREFIX = "releasecast"


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token bucket per key in this process: ``rate.requests`` burst, refilled evenly over
    ``rate.period``. The fallback of :class:`SharedRateLimiter` while Redis is down."""

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


# GCRA: KEYS[1] holds the client's theoretical arrival time (microseconds, Redis clock, so
# replicas with skewed clocks agree). ARGV[1]: microseconds per request; ARGV[2]: burst
# tolerance, (capacity - 1) x ARGV[1]. Returns 0 (allowed) or the microseconds to wait.
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[2]) - now
if wait > 0 then return string.format('%.0f', wait) end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
"""


class SharedRateLimiter:
    """One named bucket per client, shared by all web processes through Redis."""

    def __init__(self, name: str, rate: RateLimit, connection: aioredis.Redis) -> None:
        self.name = name
        self.interval_us = rate.period * 1_000_000 / rate.requests
        self.tolerance_us = (rate.requests - 1) * self.interval_us
        self.connection = connection
        self.local = RateLimiter(rate)
        self._script = connection.register_script(_GCRA)

    async def hit(self, client: str) -> float:
        """0 when allowed, else the seconds until the client may try again."""
        try:
            wait_us = await self._script(
                keys=[f"{_KEY_PREFIX}:ratelimit:{self.name}:{client}"],
                args=[f"{self.interval_us:.0f}", f"{self.tolerance_us:.0f}"],
            )
        except (RedisError, OSError):
            return self.local.hit(client)
        return int(wait_us) / 1_000_000


def client_key(connection: HTTPConnection) -> str:
    # The peer address, rewritten from X-Forwarded-For only when the peer is a trusted proxy
    # (see create_app); a client cannot pick its own identity.
    return connection.client.host if connection.client else "unknown"


def _constant_time_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class SessionStore:
    """Server-side dashboard sessions in Redis: ``releasecast:session:<sha256 of the id>``."""

    def __init__(self, connection: aioredis.Redis, admin_token: Secret, ttl: int) -> None:
        self.connection = connection
        self.ttl = ttl
        # Sessions made under another admin token do not match this one: rotation logs out.
        self.fingerprint = hmac.new(admin_token.reveal().encode(), b"releasecast session",
                                    hashlib.sha256).hexdigest()

    @staticmethod
    def _key(session_id: str) -> str:
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        return f"{_KEY_PREFIX}:session:{digest}"

    async def create(self) -> str:
        session_id = secrets.token_urlsafe(32)
        await self.connection.set(self._key(session_id), self.fingerprint, ex=self.ttl)
        return session_id

    async def valid(self, session_id: str) -> bool:
        if not session_id or len(session_id) > 128:
            return False
        try:
            stored = await self.connection.get(self._key(session_id))
        except (RedisError, OSError):
            return False  # sessions cannot be checked: only the bearer token works
        if stored is None:
            return False
        text = stored.decode() if isinstance(stored, bytes) else stored
        return _constant_time_equal(text, self.fingerprint)

    async def revoke(self, session_id: str) -> None:
        if session_id and len(session_id) <= 128:
            await self.connection.delete(self._key(session_id))


class Authenticator:
    def __init__(self, settings: Settings, sessions: SessionStore) -> None:
        assert settings.admin_token is not None
        self.admin_token = settings.admin_token
        self.metrics_token = settings.metrics_token
        self.sessions = sessions

    @staticmethod
    def _bearer(connection: HTTPConnection) -> str | None:
        header = connection.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def token_matches(self, token: str) -> bool:
        return _constant_time_equal(token, self.admin_token.reveal())

    async def is_admin(self, connection: HTTPConnection) -> bool:
        token = self._bearer(connection)
        if token is not None:
            return self.token_matches(token)
        return await self.sessions.valid(connection.cookies.get(SESSION_COOKIE, ""))

    async def may_scrape(self, connection: HTTPConnection) -> bool:
        token = self._bearer(connection)
        if (token is not None and self.metrics_token is not None
                and _constant_time_equal(token, self.metrics_token.reveal())):
            return True
        return await self.is_admin(connection)


def same_origin(connection: HTTPConnection) -> bool:
    """False for a request a browser says another site started (a cross-site form POST).

    Browsers send ``Origin`` on every POST and ``Sec-Fetch-Site`` on modern versions; clients
    that send neither (curl, scripts) are not browsers and carry no ambient cookie risk."""
    if connection.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    return origin != "null" and urllib.parse.urlsplit(origin).netloc == host


class RedactQueryStrings(logging.Filter):
    """Access-log lines without query strings: a token someone put in a URL is not written
    down (uvicorn's access record carries the path with its query as its third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?[redacted]", *args[3:])
        return True


SECURITY_HEADERS = [
    # No inline scripts or styles anywhere: the dashboard's JS and CSS are files under /static.
    (b"content-security-policy",
     b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Not no-referrer: with it browsers send "Origin: null" on the dashboard's own form POSTs,
    # which the cross-site check must refuse. same-origin still tells other sites nothing.
    (b"referrer-policy", b"same-origin"),
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
