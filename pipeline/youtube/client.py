"""Talking to the YouTube Data API: an authorized client, bounded retries, errors to act on.

The client library makes exactly one attempt per call (``num_retries=0``), and so does the
HTTP layer under it for requests that are not idempotent (:class:`OnceHttp`); this module
decides what is retried (5xx, 429, rate limits, dropped connections, timeouts) under the
project's :class:`~pipeline.retry.RetryPolicy`, waits with exponential backoff and full jitter
(tenacity), logs every retry with its reason and wait, and turns the failures that retrying
cannot fix into one line saying what to do.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import tenacity
from google.oauth2.credentials import Credentials
from googleapiclient import discovery
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaFileUpload

from ..errors import PublishError
from ..retry import RetryPolicy
from .config import SCOPE, CredentialNames, Transport, YouTubeAuth

log = logging.getLogger("releasecast.youtube")
T = TypeVar("T")

QUOTA_HELP = (
    "the daily quota resets at midnight Pacific Time; re-run the workflow after that (nothing "
    "is uploaded twice), or ask for more quota: https://support.google.com/youtube/contact/"
    "yt_api_form"
)
TESTING_HELP = (
    "refresh tokens of OAuth apps left in Google's 'Testing' publishing status expire after "
    "7 days: set the OAuth consent screen to 'In production', create a new refresh token "
    "(docs/youtube.md) and update {refresh_token}"
)
# Bounded retries per step (one chunk, one call); the count restarts after progress.
YOUTUBE_RETRY = RetryPolicy(attempts=8, initial_wait=1.0, max_wait=60.0)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class AnswerLost(Exception):
    """A request that is not idempotent reached the server, and its answer did not come back:
    it may or may not have been carried out. Deliberately not an ``OSError`` nor an
    ``HTTPException``, which httplib2 would answer by sending the request again."""


class _OnceMixin(http.client.HTTPConnection):
    """Turns a lost answer to a POST into :class:`AnswerLost`.

    httplib2 sends a request again, silently, when the connection closes before the answer
    (it takes that for a stale keep-alive connection, whatever ``RETRIES`` says). For a POST
    that stored something (a caption track, a playlist entry) that makes a second one; the
    caller's own "is it already there?" check must decide instead.
    """

    _method = "GET"

    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self._method = method
        super().putrequest(method, url, *args, **kwargs)

    def getresponse(self) -> http.client.HTTPResponse:
        try:
            return super().getresponse()
        except (http.client.HTTPException, ConnectionError) as exc:
            if self._method in _IDEMPOTENT:
                raise
            self.close()
            raise AnswerLost(f"{self._method}: the connection closed before the answer "
                             f"({type(exc).__name__})") from exc


class _OnceHTTPS(_OnceMixin, httplib2.HTTPSConnectionWithTimeout):
    pass


class _OnceHTTP(_OnceMixin, httplib2.HTTPConnectionWithTimeout):
    pass


class OnceHttp(httplib2.Http):
    """``httplib2.Http`` that never sends a non-idempotent request twice by itself."""

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
                connection_type: Any = None) -> Any:
        if connection_type is None:
            connection_type = _OnceHTTPS if uri.lower().startswith("https:") else _OnceHTTP
        return super().request(uri, method, body, headers, redirections, connection_type)


def build_youtube(auth: YouTubeAuth, transport: Transport | None = None) -> Any:
    """The YouTube v3 client: bundled discovery document, refreshing OAuth credentials.

    ``AuthorizedHttp`` adds the access token, and on a 401 refreshes it and repeats the request
    once, which is how a token that expires in the middle of an upload is renewed.
    """
    credentials = Credentials(
        token=None,
        refresh_token=auth.refresh_token,
        client_id=auth.client_id,
        client_secret=auth.client_secret,
        token_uri=auth.token_uri,
    )
    transport = transport or Transport()
    raw = OnceHttp(ca_certs=transport.ca_certs, timeout=transport.timeout)
    # Resumable uploads answer "308 Resume Incomplete": not a redirect to follow.
    raw.redirect_codes = raw.redirect_codes - {308}
    authorized = google_auth_httplib2.AuthorizedHttp(credentials, http=raw)
    options = {"api_endpoint": transport.api_endpoint} if transport.api_endpoint else None
    return discovery.build(
        "youtube", "v3", http=authorized, static_discovery=True, cache_discovery=False,
        client_options=options,
    )


class ReplayableFileUpload(MediaFileUpload):
    """A resumable file upload whose chunks are sent as bytes, not as a stream slice.

    A request can be sent twice without the caller seeing it: ``AuthorizedHttp`` repeats it
    after refreshing an expired token, and httplib2 repeats an idempotent one (a chunk's PUT)
    on a stale connection. A stream slice is spent after the first send, so the repeat would
    carry an empty body under the chunk's Content-Length; bytes can be sent again. Costs one
    chunk of memory.
    """

    def has_stream(self) -> bool:
        return False


# -- what went wrong ---------------------------------------------------------------------------

_RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # reset, refused, aborted, broken pipe
    TimeoutError,  # socket.timeout
    ssl.SSLError,  # a TLS record cut short
    http.client.HTTPException,  # incomplete read, bad status line
    httplib2.ServerNotFoundError,
    google.auth.exceptions.TransportError,  # the token endpoint was unreachable
    AnswerLost,  # retried after asking whether it was done (see call's already_done)
)


@dataclass(frozen=True)
class ApiError:
    """The useful parts of a Google API error body."""

    status: int
    reason: str
    message: str


def api_error(exc: HttpError) -> ApiError:
    reason, message = "", ""
    try:
        body = json.loads(exc.content.decode("utf-8"))
        error = body.get("error", {}) if isinstance(body, dict) else {}
        errors = error.get("errors") or [{}]
        reason = str(errors[0].get("reason") or error.get("status") or "")
        message = str(error.get("message") or "")
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    # Messages carry HTML links ("your <a href=...>quota</a>"): keep one plain line.
    message = " ".join(re.sub(r"<[^>]+>", "", message).split())[:200]
    return ApiError(int(exc.resp.status), reason, message)


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: the same request may well succeed later."""
    if isinstance(exc, HttpError):
        error = api_error(exc)
        return (error.status >= 500 or error.status == 429
                or (error.status == 403 and error.reason in _RATE_LIMITS))
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return bool(getattr(exc, "retryable", False))
    return isinstance(exc, _TRANSPORT_ERRORS)


def describe(exc: BaseException) -> str:
    """A short reason for a log line: never headers, bodies or tokens."""
    if isinstance(exc, HttpError):
        error = api_error(exc)
        return f"HTTP {error.status}" + (f" {error.reason}" if error.reason else "")
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def explain(exc: BaseException, what: str, names: CredentialNames | None = None
            ) -> PublishError:
    """One line for the user: what failed and what to do about it; credentials are named as
    the user knows them (``names``)."""
    names = names or CredentialNames()
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return PublishError(_explain_refresh(exc, names))
    if isinstance(exc, HttpError) and not is_transient(exc):
        return PublishError(_explain_http(api_error(exc), what, names))
    if is_transient(exc):
        return PublishError(
            f"YouTube: {what} kept failing ({describe(exc)}); retries are used up. Re-run the "
            "workflow: an upload that finished is found again, never duplicated"
        )
    return PublishError(f"YouTube: {what} failed: {describe(exc)}")


def _explain_refresh(exc: google.auth.exceptions.RefreshError, names: CredentialNames) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    if "invalid_grant" in text:
        return ("YouTube: the refresh token was rejected (invalid_grant: revoked or expired); "
                + TESTING_HELP.format(refresh_token=names.refresh_token)
                + ". It is also revoked when the Google account's password changes or the "
                "app's access is removed")
    if "invalid_client" in text or "unauthorized_client" in text:
        return ("YouTube: the OAuth client was rejected (invalid_client): check "
                f"{names.client_id} and {names.client_secret} against Google Cloud console > "
                "APIs & Services > Credentials, and that the refresh token was made with "
                "this client")
    return f"YouTube: could not refresh the access token: {' '.join(text.split())[:200]}"


def _explain_http(error: ApiError, what: str, names: CredentialNames) -> str:
    reason = error.reason
    if reason == "quotaExceeded":
        return f"YouTube: the API project's quota is used up (quotaExceeded) during {what}; " \
               + QUOTA_HELP
    if reason == "uploadLimitExceeded":
        return ("YouTube: this channel has reached its upload limit (uploadLimitExceeded); "
                "YouTube lifts it after about 24 hours: re-run the workflow then. Channels "
                "without phone verification have lower limits (https://www.youtube.com/verify)")
    if reason in ("insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        return ("YouTube: the refresh token lacks a needed permission (insufficientPermissions); "
                f"create a new one with the scope {SCOPE} (docs/youtube.md)")
    if reason in ("accessNotConfigured", "SERVICE_DISABLED"):
        return ("YouTube: the YouTube Data API v3 is not enabled in the Google Cloud project "
                "of this OAuth client; enable it in APIs & Services > Library")
    if reason == "youtubeSignupRequired":
        return ("YouTube: the Google account of the refresh token has no YouTube channel; "
                "create one at https://www.youtube.com/create_channel, then a new refresh token")
    if error.status == 401:
        return ("YouTube: the access token was refused even after refreshing it (HTTP 401); "
                f"check that the refresh token belongs to {names.client_id}")
    detail = f" {reason}" if reason else ""
    message = f": {error.message}" if error.message else ""
    return f"YouTube: {what} was refused (HTTP {error.status}{detail}){message}"


# -- retrying ------------------------------------------------------------------------------------


def call(
    fn: Callable[[], T],
    *,
    what: str | Callable[[], str],
    policy: RetryPolicy,
    already_done: Callable[[], T | None] | None = None,
) -> T:
    """Run ``fn`` (one API request) with bounded retries of transient failures.

    ``already_done`` protects requests that are not idempotent: after a failure whose outcome
    is unknown (the connection dropped after the server acted), it is asked first and its
    non-None answer is taken as the result instead of repeating the request.
    """

    def label() -> str:
        return what() if callable(what) else what

    def log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "YouTube: %s failed (%s); retry %d of %d in %.2f s",
            label(), describe(exc) if exc else "?", state.attempt_number, policy.attempts - 1,
            state.upcoming_sleep,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=tenacity.wait_random_exponential(multiplier=policy.initial_wait,
                                              max=policy.max_wait),
        retry=tenacity.retry_if_exception(is_transient),
        before_sleep=log_retry,
        reraise=True,
    )

    attempts = 0

    def attempt() -> T:
        nonlocal attempts
        attempts += 1
        if already_done is not None and attempts > 1:
            found = already_done()
            if found is not None:
                log.info("YouTube: %s had succeeded before the connection failed", label())
                return found
        return fn()

    return retrying(attempt)


def upload_resumable(request: HttpRequest, *, policy: RetryPolicy,
                     on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Send a resumable upload chunk by chunk until the server returns the created resource.

    After a failed chunk the client library is left in its error state, so the next
    ``next_chunk()`` first asks the server how much it holds (``PUT`` with ``Content-Range:
    bytes */size``, answered by ``308`` + ``Range``) and continues from there; if the server
    already has everything (the final answer was lost), that query returns the resource.
    """
    response = None
    while response is None:
        status, response = call(
            lambda: request.next_chunk(num_retries=0),
            what=lambda: f"upload from byte {request.resumable_progress}",
            policy=policy,
        )
        if status is not None and on_progress is not None:
            on_progress(status.resumable_progress, status.total_size)
    return response
