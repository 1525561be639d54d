"""YouTube settings that need no Google library: credentials, endpoints, retry bounds and the
options of an upload, validated with errors that name the Action input at fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import InputError
from .youtube_metadata import PRIVACY_STATUSES

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# One scope covers every call made here; youtube.upload alone cannot add captions or look up
# the channel's uploads (see docs/youtube.md).
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
CHUNK_GRANULARITY = 256 * 1024  # the API rejects non-final chunks of other sizes

SECRET_INPUTS = ("youtube-client-id", "youtube-client-secret", "youtube-refresh-token")
INPUT_NAMES = (*SECRET_INPUTS, "youtube-privacy", "youtube-playlist", "youtube-publish-at")
# Advanced, for tests and proxies: another API endpoint and token URI. A private CA bundle is
# given with httplib2's own HTTPLIB2_CA_CERTS.
ENDPOINT_ENV = "RELEASECAST_YOUTUBE_API_ENDPOINT"
TOKEN_URI_ENV = "RELEASECAST_YOUTUBE_TOKEN_URI"


@dataclass(frozen=True)
class YouTubeAuth:
    """An OAuth 2.0 client and the refresh token of the channel's owner. Secrets stay out of
    ``repr`` so they never reach a log line or a traceback."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_uri: str = GOOGLE_TOKEN_URI

    def __post_init__(self) -> None:
        missing = [name for name, value in (
            ("youtube-client-id", self.client_id),
            ("youtube-client-secret", self.client_secret),
            ("youtube-refresh-token", self.refresh_token),
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


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries per step (one chunk, one call); the count restarts after progress."""

    attempts: int = 8
    initial_wait: float = 1.0
    max_wait: float = 60.0


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
            raise InputError(f"youtube-privacy: expected one of {', '.join(PRIVACY_STATUSES)}, "
                             f"got {self.privacy!r}")
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_GRANULARITY:
            raise InputError(f"YouTube chunk size must be a positive multiple of 256 KiB "
                             f"({CHUNK_GRANULARITY} bytes), got {self.chunk_size}")
        if self.publish_at is not None:
            if self.publish_at.tzinfo is None:
                raise InputError("youtube-publish-at: give a time zone, e.g. "
                                 "2025-06-01T09:00:00Z")
            if self.publish_at <= datetime.now(UTC):
                raise InputError(f"youtube-publish-at: {self.publish_at.isoformat()} is in the "
                                 "past; give a future time or leave it empty")


def options_from_inputs(privacy: str = "", playlist: str = "", publish_at: str = "",
                        **extra: Any) -> YouTubeOptions:
    """Options from the Action's text inputs (empty means the default).

    ``playlist`` may be a playlist id or its URL (``...playlist?list=PL...``).
    """
    when = None
    if publish_at.strip():
        try:
            when = datetime.fromisoformat(publish_at.strip())
        except ValueError:
            raise InputError(f"youtube-publish-at: expected an ISO 8601 time such as "
                             f"2025-06-01T09:00:00Z, got {publish_at!r}") from None
    playlist = playlist.strip()
    if playlist.startswith(("http://", "https://")):
        playlist = parse_qs(urlsplit(playlist).query).get("list", [""])[0]
        if not playlist:
            raise InputError("youtube-playlist: the URL has no list=... parameter")
    return YouTubeOptions(privacy=privacy.strip().lower() or "private", publish_at=when,
                          playlist_id=playlist or None, **extra)
