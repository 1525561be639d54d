"""YouTube settings that need no Google library: credentials, endpoints and the options of an
upload. Messages name the credentials in the caller's terms (:class:`CredentialNames`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError
from ..request import PRIVACY_STATUSES

__all__ = ["PRIVACY_STATUSES", "CredentialNames", "Transport", "YouTubeAuth", "YouTubeOptions"]

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# One scope covers every call made here; youtube.upload alone cannot add captions or look up
# the channel's uploads (see docs/youtube.md).
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
CHUNK_GRANULARITY = 256 * 1024  # the API rejects non-final chunks of other sizes

# Advanced, for tests and proxies (docs/youtube.md): another API endpoint and token URI. A
# private CA bundle is given with httplib2's own HTTPLIB2_CA_CERTS.
ENDPOINT_ENV = "RELEASECAST_YOUTUBE_API_ENDPOINT"
TOKEN_URI_ENV = "RELEASECAST_YOUTUBE_TOKEN_URI"
CA_CERTS_ENV = "HTTPLIB2_CA_CERTS"


def token_uri(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(TOKEN_URI_ENV) or GOOGLE_TOKEN_URI


@dataclass(frozen=True)
class CredentialNames:
    """What the user calls each credential: Action inputs, or keys of the App's file."""

    client_id: str = "client_id"
    client_secret: str = "client_secret"
    refresh_token: str = "refresh_token"


@dataclass(frozen=True)
class YouTubeAuth:
    """An OAuth 2.0 client and the refresh token of the channel's owner. Secrets stay out of
    ``repr`` so they never reach a log line or a traceback."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_uri: str = GOOGLE_TOKEN_URI
    names: CredentialNames = field(default_factory=CredentialNames)

    def __post_init__(self) -> None:
        missing = [name for name, value in (
            (self.names.client_id, self.client_id),
            (self.names.client_secret, self.client_secret),
            (self.names.refresh_token, self.refresh_token),
        ) if not (value or "").strip()]
        if missing:
            raise InputError(
                f"YouTube upload needs {', '.join(missing)}: see docs/youtube.md for how to get "
                "them"
            )


@dataclass(frozen=True)
class Transport:
    """Where the API is and how to reach it. The defaults are Google's servers."""

    api_endpoint: str | None = None  # e.g. a local test server; None: youtube.googleapis.com
    ca_certs: str | None = None  # CA bundle to trust; None: httplib2's (certifi)
    timeout: float = 120.0  # seconds for one HTTP request (a chunk must fit in it)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Transport:
        env = os.environ if env is None else env
        return cls(api_endpoint=env.get(ENDPOINT_ENV) or None,
                   ca_certs=env.get(CA_CERTS_ENV) or None)


@dataclass(frozen=True)
class YouTubeOptions:
    privacy: str = "private"
    publish_at: datetime | None = None  # schedule: private until then, then public
    playlist_id: str | None = None
    notify_subscribers: bool = True
    chunk_size: int = 8 * 1024 * 1024  # bytes per request; a multiple of 256 KiB
    templates: Path | None = None  # directory overriding youtube_description.txt.j2

    def __post_init__(self) -> None:
        if self.privacy not in PRIVACY_STATUSES:
            raise InputError(f"YouTube privacy: expected one of "
                             f"{', '.join(PRIVACY_STATUSES)}, got {self.privacy!r}")
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_GRANULARITY:
            raise InputError(f"YouTube chunk size must be a positive multiple of 256 KiB "
                             f"({CHUNK_GRANULARITY} bytes), got {self.chunk_size}")
        if self.publish_at is not None:
            if self.publish_at.tzinfo is None:
                raise InputError("YouTube publication time: give a time zone, e.g. "
                                 "2025-06-01T09:00:00Z")
            if self.publish_at <= datetime.now(UTC):
                raise InputError(f"YouTube publication time: {self.publish_at.isoformat()} is "
                                 "in the past; give a future time or leave it empty")
