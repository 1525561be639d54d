"""The shared retry policy's decisions, on the exceptions the real clients raise."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from pipeline.errors import ReleasecastError
from pipeline.retry import (
    RemoteServiceError,
    RetryPolicy,
    call_remote,
    classify,
    parse_retry_after,
)


def _status_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    response = httpx.Response(status, headers=headers, request=request)
    return httpx.HTTPStatusError("failed", request=request, response=response)


def test_retry_after_in_seconds_or_as_an_http_date():
    assert parse_retry_after("7") == 7.0
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(when, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.parametrize(("status", "retryable", "auth"), [
    (408, True, False), (429, True, False), (500, True, False), (503, True, False),
    (400, False, False), (404, False, False), (401, False, True), (403, False, True),
])
def test_which_statuses_are_retried(status, retryable, auth):
    failure = classify(_status_error(status, {"Retry-After": "3"}))
    assert (failure.retryable, failure.auth, failure.retry_after) == (retryable, auth, 3.0)


def test_timeouts_and_refused_connections_are_retried():
    assert classify(httpx.ReadTimeout("slow")).reason == "timed out"
    assert classify(httpx.ConnectError("refused")).retryable


def test_attempts_are_bounded_and_the_last_reason_is_reported():
    calls = []

    def always_503():
        calls.append(1)
        raise _status_error(503)

    policy = RetryPolicy(attempts=3, deadline=10, initial_wait=0.01, max_wait=0.02, jitter=0)
    with pytest.raises(RemoteServiceError, match=r"svc: gave up after 3 attempt\(s\) .*HTTP 503"):
        call_remote(always_503, what="svc", policy=policy)
    assert len(calls) == 3


def test_a_wait_longer_than_the_deadline_is_not_slept():
    def busy():
        raise _status_error(429, {"Retry-After": "60"})

    with pytest.raises(RemoteServiceError, match="gave up after 1 attempt"):
        call_remote(busy, what="svc", policy=RetryPolicy(deadline=5))


def test_environment_limits_are_checked(monkeypatch):
    monkeypatch.setenv("RELEASECAST_REMOTE_TIMEOUT", "2.5")
    assert RetryPolicy.from_env().timeout == 2.5
    monkeypatch.setenv("RELEASECAST_REMOTE_ATTEMPTS", "many")
    with pytest.raises(ReleasecastError, match="RELEASECAST_REMOTE_ATTEMPTS: expected a number"):
        RetryPolicy.from_env()


def test_the_environment_adjusts_the_backoff(monkeypatch):
    monkeypatch.setenv("RELEASECAST_REMOTE_INITIAL_WAIT", "0.25")
    monkeypatch.setenv("RELEASECAST_REMOTE_MAX_WAIT", "2")
    policy = RetryPolicy.from_env()
    assert (policy.initial_wait, policy.max_wait, policy.attempts) == (0.25, 2.0, 5)
    assert all(0.125 <= policy.wait(1) <= 0.375 for _ in range(50))
    assert all(policy.wait(9) <= 3.0 for _ in range(50))  # capped at max_wait, +-50 %
    monkeypatch.setenv("RELEASECAST_REMOTE_MAX_WAIT", "a while")
    with pytest.raises(ReleasecastError, match="RELEASECAST_REMOTE_MAX_WAIT: expected a number"):
        RetryPolicy.from_env()
