"""The App's settings: read once at start from the environment, validated, secrets kept opaque.

Every secret comes from an environment variable or from a file that a ``*_FILE`` variable
names (Docker/Kubernetes secrets). All problems are collected and reported in one line, e.g.
``RELEASECAST_WEBHOOK_SECRET: not set (or RELEASECAST_WEBHOOK_SECRET_FILE)``. A secret is
wrapped in :class:`Secret`, whose ``repr``/``str`` never show the value, so a stray log line
or traceback cannot leak it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pipeline.errors import InputError
from pipeline.youtube.config import GOOGLE_TOKEN_URI, TOKEN_URI_ENV, CredentialNames, YouTubeAuth

Role = Literal["web", "worker"]
_MIN_TOKEN_LENGTH = 16
# How YouTube errors name the credentials to App operators: keys of their file.
YOUTUBE_FILE_KEYS = CredentialNames(*(f"{key} in YOUTUBE_CREDENTIALS_FILE" for key in (
    "client_id", "client_secret", "refresh_token")))
_PERIODS = {"second": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600, "h": 3600}


class SettingsError(InputError):
    """The App's environment is incomplete or wrong; the message lists every problem."""


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``period`` seconds for one client."""

    requests: int
    period: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """``"120/minute"``, ``"10/s"``, ``"1000/3600"``."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?|[a-z]+)\s*", text)
        if not match:
            raise ValueError(f"expected like '120/minute', got {text!r}")
        requests, unit = int(match[1]), match[2]
        period = float(unit) if unit[0].isdigit() else _PERIODS.get(unit)
        if period is None or period <= 0 or requests <= 0:
            raise ValueError(f"expected like '120/minute', got {text!r}")
        return cls(requests, float(period))


def github_server_url(api_url: str) -> str:
    """The web/Git server whose REST API is at ``api_url``: ``https://api.github.com`` →
    ``https://github.com``, ``https://api.acme.ghe.com`` → ``https://acme.ghe.com``,
    ``https://ghe.acme.example/api/v3`` → ``https://ghe.acme.example`` (GitHub Enterprise
    Server). Clone URLs and tokens go to this host only, never to one a payload names."""
    parts = urlsplit(api_url.rstrip("/"))
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username \
            or parts.query or parts.fragment:
        raise ValueError(f"expected the GitHub REST API's https:// URL, got {api_url!r}")
    if parts.path.endswith("/api/v3"):
        return f"{parts.scheme}://{parts.netloc}{parts.path.removesuffix('/api/v3')}"
    if not parts.path and parts.netloc.startswith("api."):
        return f"{parts.scheme}://{parts.netloc.removeprefix('api.')}"
    raise ValueError("expected https://api.github.com, https://api.<name>.ghe.com or "
                     f"https://<host>/api/v3, got {api_url!r}")


@dataclass(frozen=True)
class WorkerTuning:
    """How quickly a dead worker's job is noticed and run again (see :mod:`app.worker`)."""

    worker_ttl: int = 420  # a silent worker is considered dead after this (RQ's default)
    job_monitoring_interval: int = 30  # heartbeat period while a job runs
    abandoned_grace: int = 60  # a job whose heartbeat is this late is taken over
    maintenance_interval: int = 60  # how often an idle worker looks for abandoned jobs


@dataclass(frozen=True)
class Settings:
    # URLs may carry passwords: kept out of repr, and readable from *_FILE like secrets.
    redis_url: str = field(default="redis://127.0.0.1:6379/0", repr=False)
    database_url: str = field(default="", repr=False)
    data_dir: Path = Path(".releasecast")
    queue_name: str = "releasecast"
    webhook_secret: Secret | None = None
    previous_webhook_secret: Secret | None = None  # still accepted while a rotation rolls out
    admin_token: Secret | None = None
    metrics_token: Secret | None = None
    app_id: str | None = None
    private_key: Secret | None = None
    github_api_url: str = "https://api.github.com"
    youtube: YouTubeAuth | None = None  # its repr hides the client secret and refresh token
    max_body_bytes: int = 5 * 1024 * 1024
    accept_prereleases: bool = False
    cors_origins: tuple[str, ...] = ()
    # Per client address. Signed deliveries come from GitHub's few hook addresses, so their
    # budget is wide (a flood needs the secret); unsigned or badly signed requests and login
    # attempts get small buckets of their own, so neither can starve real deliveries or the
    # admin's API access.
    webhook_rate: RateLimit = RateLimit(18000, 60)
    unverified_rate: RateLimit = RateLimit(60, 60)
    api_rate: RateLimit = RateLimit(120, 60)
    login_rate: RateLimit = RateLimit(10, 60)
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-For counts
    job_timeout: int = 1800
    retry_intervals: tuple[int, ...] = (30, 120, 600)
    dedupe_ttl: int = 7 * 24 * 3600  # GitHub allows redelivery for 3 days
    session_ttl: int = 12 * 3600
    tuning: WorkerTuning = field(default_factory=WorkerTuning)

    @property
    def github_server_url(self) -> str:
        return github_server_url(self.github_api_url)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'releasecast.db').resolve()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, role: Role = "web") -> Settings:
        """Read and validate; raise :class:`SettingsError` listing every problem at once."""
        return _Reader(os.environ if env is None else env, role).read()


class _Reader:
    def __init__(self, env: Mapping[str, str], role: Role) -> None:
        self.env = env
        self.role = role
        self.problems: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, "").strip() or default

    def secret(self, name: str, *, required: bool, min_length: int = 1) -> Secret | None:
        """``NAME`` or the contents of the file ``NAME_FILE`` names."""
        value = self.env.get(name, "")
        file_name = self.env.get(f"{name}_FILE", "").strip()
        if value and file_name:
            self.problems.append(f"{name}: set either {name} or {name}_FILE, not both")
            return None
        if file_name:
            try:
                value = Path(file_name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not UTF-8 text"
                self.problems.append(f"{name}_FILE: cannot read {file_name}: {reason}")
                return None
        value = value.strip()
        if not value:
            if required:
                self.problems.append(f"{name}: not set (or {name}_FILE)")
            return None
        if len(value) < min_length:
            self.problems.append(f"{name}: too short, use at least {min_length} random characters")
            return None
        return Secret(value)

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name}: expected a whole number, got {raw!r}")
            return default
        if value < minimum:
            self.problems.append(f"{name}: must be at least {minimum}, got {value}")
            return default
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        self.problems.append(f"{name}: expected true or false, got {raw!r}")
        return default

    def rate(self, name: str, default: RateLimit) -> RateLimit:
        raw = self.text(name)
        if not raw:
            return default
        try:
            return RateLimit.parse(raw)
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return default

    def networks(self, name: str) -> tuple[str, ...]:
        """Comma-separated IP addresses or CIDR networks; ``*`` is refused (it would let any
        client choose its own address)."""
        found: list[str] = []
        for item in (part.strip() for part in self.text(name).split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                self.problems.append(f"{name}: not an IP address or network: {item!r}")
                continue
            found.append(item)
        return tuple(found)

    def api_url(self) -> str:
        url = self.text("GITHUB_API_URL", Settings.github_api_url).rstrip("/")
        try:
            github_server_url(url)
        except ValueError as exc:
            self.problems.append(f"GITHUB_API_URL: {exc}")
        return url

    def private_key(self) -> Secret | None:
        key = self.secret("GITHUB_APP_PRIVATE_KEY", required=self.role == "worker")
        if key is None:
            return None
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            loaded = load_pem_private_key(key.reveal().encode(), password=None)
        except (ValueError, TypeError):
            self.problems.append(
                "GITHUB_APP_PRIVATE_KEY: not an unencrypted PEM private key "
                "(use the .pem file GitHub generated for the App)"
            )
            return None
        if not isinstance(loaded, rsa.RSAPrivateKey):
            self.problems.append("GITHUB_APP_PRIVATE_KEY: GitHub Apps sign with RSA keys")
            return None
        return key

    def youtube(self) -> YouTubeAuth | None:
        """``YOUTUBE_CREDENTIALS_FILE``: JSON with the channel owner's OAuth client id, client
        secret and refresh token (docs/youtube.md explains how to get them)."""
        name = self.text("YOUTUBE_CREDENTIALS_FILE")
        if not name:
            return None
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or "not a JSON file"
            self.problems.append(f"YOUTUBE_CREDENTIALS_FILE: cannot read {name}: {reason}")
            return None
        keys = ("client_id", "client_secret", "refresh_token")
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k]
                                                 for k in keys):
            self.problems.append(
                f"YOUTUBE_CREDENTIALS_FILE: {name} needs client_id, client_secret and "
                "refresh_token"
            )
            return None
        return YouTubeAuth(data["client_id"], data["client_secret"], data["refresh_token"],
                           token_uri=self.text(TOKEN_URI_ENV, GOOGLE_TOKEN_URI),
                           names=YOUTUBE_FILE_KEYS)

    def read(self) -> Settings:
        web = self.role == "web"
        redis_secret = self.secret("REDIS_URL", required=False)
        redis_url = redis_secret.reveal() if redis_secret else Settings.redis_url
        if not re.match(r"^(redis|rediss|unix)://", redis_url):
            self.problems.append("REDIS_URL: expected redis://[:password@]host:port/db")
        database_secret = self.secret("DATABASE_URL", required=False)
        database_url = database_secret.reveal() if database_secret else ""
        if database_url.startswith("postgres://"):  # Heroku-style spelling
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        if database_url and not re.match(r"^(sqlite|postgresql\+psycopg)://", database_url):
            self.problems.append(
                "DATABASE_URL: expected sqlite:///path or postgresql://user@host/db"
            )
        app_id = self.text("GITHUB_APP_ID") or None
        if app_id is not None and not app_id.isdigit():
            self.problems.append(f"GITHUB_APP_ID: expected the App's numeric id, got {app_id!r}")
        elif app_id is None and not web:
            self.problems.append("GITHUB_APP_ID: not set (the App's numeric id)")
        origins = tuple(
            o.strip().rstrip("/") for o in self.text("RELEASECAST_CORS_ORIGINS").split(",")
            if o.strip()
        )
        for origin in origins:
            if not re.fullmatch(r"https?://[^/\s]+", origin):
                self.problems.append(f"RELEASECAST_CORS_ORIGINS: not an origin: {origin!r}")
        intervals = self.text("RELEASECAST_RETRY_INTERVALS", "30,120,600")
        try:
            retry_intervals = tuple(int(part) for part in intervals.split(","))
            if any(i < 0 for i in retry_intervals):
                raise ValueError
        except ValueError:
            self.problems.append(
                "RELEASECAST_RETRY_INTERVALS: expected seconds like '30,120,600', "
                f"got {intervals!r}"
            )
            retry_intervals = Settings.retry_intervals
        tuning = WorkerTuning(
            worker_ttl=self.integer("RELEASECAST_WORKER_TTL", WorkerTuning.worker_ttl, 2),
            job_monitoring_interval=self.integer(
                "RELEASECAST_JOB_MONITORING_INTERVAL", WorkerTuning.job_monitoring_interval, 1
            ),
            abandoned_grace=self.integer(
                "RELEASECAST_ABANDONED_GRACE", WorkerTuning.abandoned_grace, 1
            ),
            maintenance_interval=self.integer(
                "RELEASECAST_MAINTENANCE_INTERVAL", WorkerTuning.maintenance_interval, 1
            ),
        )
        settings = Settings(
            redis_url=redis_url,
            database_url=database_url,
            data_dir=Path(self.text("RELEASECAST_DATA_DIR", ".releasecast")),
            queue_name=self.text("RELEASECAST_QUEUE", Settings.queue_name),
            webhook_secret=self.secret("RELEASECAST_WEBHOOK_SECRET", required=web, min_length=16),
            previous_webhook_secret=self.secret(
                "RELEASECAST_WEBHOOK_SECRET_PREVIOUS", required=False, min_length=16
            ),
            admin_token=self.secret(
                "RELEASECAST_ADMIN_TOKEN", required=web, min_length=_MIN_TOKEN_LENGTH
            ),
            metrics_token=self.secret(
                "RELEASECAST_METRICS_TOKEN", required=False, min_length=_MIN_TOKEN_LENGTH
            ),
            app_id=app_id,
            private_key=self.private_key(),
            github_api_url=self.api_url(),
            youtube=self.youtube(),
            max_body_bytes=self.integer(
                "RELEASECAST_MAX_BODY_BYTES", Settings.max_body_bytes, 1024
            ),
            accept_prereleases=self.flag("RELEASECAST_PRERELEASES", False),
            cors_origins=origins,
            webhook_rate=self.rate("RELEASECAST_WEBHOOK_RATE_LIMIT", Settings.webhook_rate),
            unverified_rate=self.rate("RELEASECAST_UNVERIFIED_RATE_LIMIT",
                                      Settings.unverified_rate),
            api_rate=self.rate("RELEASECAST_API_RATE_LIMIT", Settings.api_rate),
            login_rate=self.rate("RELEASECAST_LOGIN_RATE_LIMIT", Settings.login_rate),
            trusted_proxies=self.networks("RELEASECAST_TRUSTED_PROXIES"),
            job_timeout=self.integer("RELEASECAST_JOB_TIMEOUT", Settings.job_timeout, 10),
            retry_intervals=retry_intervals,
            dedupe_ttl=self.integer("RELEASECAST_DEDUPE_TTL", Settings.dedupe_ttl, 60),
            session_ttl=self.integer("RELEASECAST_SESSION_TTL", Settings.session_ttl, 60),
            tuning=tuning,
        )
        if self.problems:
            raise SettingsError("; ".join(self.problems))
        return settings
