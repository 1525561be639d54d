"""One retry policy for every remote call (LLM writers, translators, cloud voices, GitHub,
YouTube, git push): :class:`RetryPolicy` bounds them all.

The client libraries (google-genai, openai, httpx) are configured to make exactly one attempt;
this module decides what is retried, how long to wait and when to give up, so behaviour is the
same for every backend and is tested once (YouTube's and git's own failure kinds are told
apart in :mod:`pipeline.youtube.client` and :mod:`pipeline.blog.git`, under the same policy):

* retried: HTTP 408, 429 and 5xx, timeouts and connection failures;
* waits: the server's ``Retry-After`` (seconds or HTTP date, or Gemini's ``RetryInfo``) when
  given, else exponential backoff with jitter;
* bounded: a number of attempts and an overall deadline, never sleeping past it;
* other 4xx fail at once; 401/403 become one line that names the key to check;
* every retry is logged (status and wait only: no bodies, headers or keys).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import tenacity

from .errors import ReleasecastError

log = logging.getLogger("releasecast.remote")
T = TypeVar("T")


class RemoteServiceError(ReleasecastError):
    """A remote service (LLM, translation, speech) failed or gave up after retries."""

    exit_code = 5


class RemoteAuthError(RemoteServiceError):
    """The service rejected our credentials: retrying cannot help."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    deadline: float = 120.0  # seconds for all attempts and waits together
    timeout: float = 60.0  # seconds for one request
    initial_wait: float = 1.0
    max_wait: float = 20.0
    jitter: float = 1.0

    def wait(self, failures: int) -> float:
        """Seconds before the next attempt after ``failures`` in a row: exponential, capped,
        spread by +-50 % so racing clients do not come back together."""
        base = min(self.max_wait, self.initial_wait * 2 ** (failures - 1))
        return base * random.uniform(0.5, 1.5)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """Defaults, adjusted by RELEASECAST_REMOTE_{ATTEMPTS,DEADLINE,TIMEOUT,INITIAL_WAIT,
        MAX_WAIT} when set (e.g. a self-hosted model server that needs longer, or tests that
        need not sleep through real backoffs)."""
        policy = cls()
        overrides: dict[str, Any] = {}
        for field, cast in (("attempts", int), ("deadline", float), ("timeout", float),
                            ("initial_wait", float), ("max_wait", float)):
            raw = os.environ.get(f"RELEASECAST_REMOTE_{field.upper()}")
            if raw:
                try:
                    overrides[field] = cast(raw)
                except ValueError:
                    raise ReleasecastError(
                        f"RELEASECAST_REMOTE_{field.upper()}: expected a number, got {raw!r}"
                    ) from None
        return cls(**{**policy.__dict__, **overrides})


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt, as far as retrying is concerned."""

    retryable: bool
    reason: str  # short: "HTTP 503", "timed out", "connection failed"
    status: int | None = None
    retry_after: float | None = None
    auth: bool = False  # credentials rejected: retrying cannot help


def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeouts, other transport failures) of httpx and of its fork httpx2 (used by genai)."""
    timeouts: list[type[BaseException]] = [httpx.TimeoutException, TimeoutError]
    transport: list[type[BaseException]] = [httpx.TransportError, ConnectionError]
    try:
        import httpx2

        timeouts.append(httpx2.TimeoutException)
        transport.append(httpx2.TransportError)
    except ImportError:
        pass
    try:
        import openai

        timeouts.append(openai.APITimeoutError)
        transport.append(openai.APIConnectionError)
    except ImportError:
        pass
    return tuple(timeouts), tuple(transport)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _google_details(details: Any) -> list[dict]:
    """The ``error.details[]`` list of a Google API error body, or []."""
    try:
        found = details.get("error", {}).get("details", [])
    except AttributeError:
        return []
    return [d for d in found if isinstance(d, dict)] if isinstance(found, list) else []


def _gemini_retry_delay(details: Any) -> float | None:
    """Gemini puts the wait in ``error.details[]`` as a google.rpc.RetryInfo ``"7s"``."""
    for detail in _google_details(details):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            try:
                return float(str(detail["retryDelay"]).rstrip("s"))
            except (KeyError, ValueError):
                return None
    return None


def _gemini_bad_key(details: Any) -> bool:
    """Gemini answers a wrong API key with HTTP 400 and ErrorInfo reason API_KEY_INVALID."""
    return any(d.get("reason") == "API_KEY_INVALID" for d in _google_details(details))


def _status_and_headers(exc: BaseException) -> tuple[int | None, Any]:
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    return (int(status) if isinstance(status, int) else None), headers


def classify(exc: BaseException) -> Failure:
    timeouts, transport = _transport_errors()
    if isinstance(exc, timeouts):
        return Failure(True, "timed out")
    if isinstance(exc, transport):
        return Failure(True, "connection failed")
    status, headers = _status_and_headers(exc)
    if status is None:
        return Failure(False, type(exc).__name__)
    details = getattr(exc, "details", None)
    retry_after = parse_retry_after(headers.get("retry-after")) if headers else None
    if retry_after is None:
        retry_after = _gemini_retry_delay(details)
    retryable = status in (408, 429) or status >= 500
    auth = status in (401, 403) or _gemini_bad_key(details)
    return Failure(retryable, f"HTTP {status}", status, retry_after, auth)


class _Wait(tenacity.wait.wait_base):
    """Retry-After when the server sent one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = tenacity.wait_exponential_jitter(
            initial=policy.initial_wait, max=policy.max_wait, jitter=policy.jitter
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        failure = classify(exc) if exc else None
        if failure and failure.retry_after is not None:
            # a little jitter so parallel clients do not come back in the same instant
            return failure.retry_after + random.uniform(0, 0.1)
        return self.backoff(retry_state)


def _one_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    line = " ".join(str(message).split())
    return line[:200]


def call_remote(
    fn: Callable[[], T],
    *,
    what: str,
    key_env: str | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    """Call ``fn`` (one HTTP request through a client library) under the shared policy.

    ``what`` names the service in messages ("gemini writer"); ``key_env`` is the environment
    variable that holds its key, named (never shown) when authentication fails.
    """
    policy = policy or RetryPolicy.from_env()
    started = time.monotonic()

    def log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = classify(exc).reason if exc else "?"
        wait = state.upcoming_sleep
        log.warning(
            "%s: %s, retrying in %.1f s (attempt %d of %d)",
            what, reason, wait, state.attempt_number + 1, policy.attempts,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts)
        | tenacity.stop_before_delay(policy.deadline),
        wait=_Wait(policy),
        retry=tenacity.retry_if_exception(lambda e: classify(e).retryable),
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        return retrying(fn)
    except ReleasecastError:
        raise
    except Exception as exc:
        failure = classify(exc)
        if failure.auth:
            hint = f": check {key_env}" if key_env else ""
            raise RemoteAuthError(
                f"{what}: authentication failed ({failure.reason}){hint}"
            ) from None
        if failure.status is None and not failure.retryable:
            # e.g. a 200 whose body is not the JSON the client library expects
            raise RemoteServiceError(
                f"{what}: unusable response ({type(exc).__name__}: {_one_line(exc)})"
            ) from exc
        elapsed = time.monotonic() - started
        if failure.retryable:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise RemoteServiceError(
                f"{what}: gave up after {attempts} attempt(s) in {elapsed:.1f} s: {failure.reason}"
            ) from None
        raise RemoteServiceError(
            f"{what}: request rejected ({failure.reason}): {_one_line(exc)}"
        ) from None
