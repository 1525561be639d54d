"""The HTTP API, health, metrics and their protections, on the real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from app_fixtures import (
    ADMIN_TOKEN,
    METRICS_TOKEN,
    RedisServer,
    WebServer,
    app_env,
)
from sqlalchemy import update

from app.db import Database
from app.models import Run, RunStatus
from app.runs import Outcome, RunRequest, RunStore

ORIGIN = "https://dashboard.acme.example"


@pytest.fixture(scope="module")
def seeded(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[WebServer, RunStore]]:
    data = tmp_path_factory.mktemp("api")
    url = f"sqlite:///{data}/runs.db"
    store = RunStore(Database(url))
    start = datetime(2024, 6, 1, tzinfo=UTC)
    for i in range(30):  # 30 runs over two repositories, one per hour, various outcomes
        repository = "acme/secret-project" if i % 3 == 0 else "acme/widget"
        request = RunRequest(
            run_id=f"run-{i:02d}", delivery_id=f"run-{i:02d}", event="release.published",
            repository=repository, private=repository.endswith("secret-project"),
            tag=f"v1.{i}.0", release_id=i, installation_id=1, payload={},
        )
        store.record_queued(request)
        if i % 5 == 4:
            store.finish(request.run_id, RunStatus.FAILED, error="publish: push refused")
        elif i % 2 == 0:
            store.finish(request.run_id, RunStatus.SUCCEEDED,
                         outcome=Outcome(post_url=f"https://acme.example/p/{i}.html"))
        with store.db.session() as session:
            session.execute(update(Run).where(Run.id == request.run_id)
                            .values(created_at=start + timedelta(hours=i)))
    env = app_env(redis_url=redis_server.url, database_url=url, data_dir=data,
                  RELEASECAST_CORS_ORIGINS=ORIGIN, RELEASECAST_API_RATE_LIMIT="1000/minute")
    web = WebServer(env, data / "serve.log")
    yield web, store
    web.stop()


@pytest.fixture
def web(seeded: tuple[WebServer, RunStore]) -> WebServer:
    return seeded[0]


def test_runs_are_newest_first_and_paginated(web: WebServer) -> None:
    with web.admin() as client:
        first = client.get("/api/runs", params={"per_page": 10}).json()
        second = client.get(first["next"]).json()
        last = client.get("/api/runs", params={"per_page": 10, "page": 3}).json()
    assert first["total"] == 30
    assert [r["id"] for r in first["runs"]] == [f"run-{i:02d}" for i in range(29, 19, -1)]
    assert [r["id"] for r in second["runs"]] == [f"run-{i:02d}" for i in range(19, 9, -1)]
    assert last["next"] is None and len(last["runs"]) == 10
    assert first["runs"][0]["created_at"] == "2024-06-02T05:00:00Z"


def test_runs_filter_by_repository_and_status(web: WebServer) -> None:
    with web.admin() as client:
        failed = client.get("/api/runs", params={"status": "failed", "per_page": 100}).json()
        secret = client.get("/api/runs", params={"repository": "acme/secret-project",
                                                 "per_page": 100}).json()
        both = client.get("/api/runs", params={"repository": "acme/widget",
                                               "status": "succeeded", "per_page": 2}).json()
        bad = client.get("/api/runs", params={"status": "exploded"})
    assert failed["total"] == 6
    assert {r["status"] for r in failed["runs"]} == {"failed"}
    assert all(r["error"] == "publish: push refused" for r in failed["runs"])
    assert secret["total"] == 10
    assert {r["repository"] for r in secret["runs"]} == {"acme/secret-project"}
    widget_succeeded = [i for i in range(30) if i % 3 and i % 2 == 0 and i % 5 != 4]
    assert both["total"] == len(widget_succeeded) == 8 and len(both["runs"]) == 2
    assert "repository=acme%2Fwidget" in both["next"] and "status=succeeded" in both["next"]
    assert bad.status_code == 400


def test_job_status_has_the_run(web: WebServer) -> None:
    with web.admin() as client:
        run = client.get("/jobs/run-28").json()
        missing = client.get("/jobs/no-such-run")
    assert run["status"] == "succeeded"
    assert run["post_url"] == "https://acme.example/p/28.html"
    assert missing.status_code == 404


def test_the_api_needs_the_admin_token(web: WebServer) -> None:
    with web.client() as anonymous:
        for path in ("/api/runs", "/jobs/run-00", "/api/jobs/run-00"):
            response = anonymous.get(path)
            assert response.status_code == 401
            assert "secret-project" not in response.text
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with web.client(headers={"Authorization": "Bearer not-the-token-at-all"}) as wrong:
        assert wrong.get("/api/runs").status_code == 401


def test_anonymous_visitors_see_a_login_form_and_no_repository(web: WebServer) -> None:
    with web.client() as anonymous:
        page = anonymous.get("/")
    assert page.status_code == 200
    assert 'name="token"' in page.text
    assert "acme/" not in page.text and "secret-project" not in page.text


def test_login_sets_an_httponly_session_cookie(web: WebServer) -> None:
    with web.client() as browser:
        refused = browser.post("/login", data={"token": "guess-guess-guess-guess"})
        assert refused.status_code == 401
        assert "not valid" in refused.text
        assert "releasecast_session" not in browser.cookies
        ok = browser.post("/login", data={"token": ADMIN_TOKEN})
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert ADMIN_TOKEN not in cookie  # a signed expiry, not the token itself
        assert browser.get("/api/runs").status_code == 200
        assert 'id="runs-table"' in browser.get("/").text
        browser.post("/logout")
        assert browser.get("/api/runs").status_code == 401


def test_a_forged_session_cookie_is_refused(web: WebServer) -> None:
    expires = int(datetime.now(UTC).timestamp()) + 3600
    with web.client(cookies={"releasecast_session": f"{expires}.{'0' * 64}"}) as forger:
        assert forger.get("/api/runs").status_code == 401


def test_cors_allows_only_configured_origins(web: WebServer) -> None:
    with web.admin() as client:
        allowed = client.get("/api/runs", headers={"Origin": ORIGIN})
        other = client.get("/api/runs", headers={"Origin": "https://evil.example"})
        preflight = client.options("/api/runs", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        evil_preflight = client.options("/api/runs", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert evil_preflight.status_code == 400


def test_security_headers_on_every_page(web: WebServer) -> None:
    with web.client() as client:
        for path in ("/", "/health", "/static/dashboard.js"):
            headers = client.get(path).headers
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert "default-src 'self'" in headers["content-security-policy"]
            assert "server" not in headers


def test_health_reports_redis_and_database(web: WebServer) -> None:
    with web.client() as client:
        health = client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "redis": "ok", "database": "ok"}
    assert "acme" not in health.text


def test_metrics_need_a_token_and_use_the_documented_names(web: WebServer) -> None:
    with web.client() as anonymous:
        assert anonymous.get("/metrics").status_code == 401
    with web.client(headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as prometheus:
        text = prometheus.get("/metrics").text
    for name in ("pipeline_runs_total", "pipeline_errors_total", "github_api_calls_total",
                 "pipeline_duration_seconds", "webhook_deliveries_total", "queue_depth",
                 "workers"):
        assert re.search(rf"^# TYPE {name} ", text, re.M), name
    assert "acme" not in text  # no repository names in labels


def test_api_rate_limit_is_per_client(redis_server: RedisServer, tmp_path: Path) -> None:
    # The session's Redis still holds the API buckets other tests' requests filled (the same
    # client address): with them this burst was short by one, or not, by timing.
    redis_server.client().flushdb()
    env = app_env(redis_url=redis_server.url, database_url=f"sqlite:///{tmp_path}/r.db",
                  data_dir=tmp_path, RELEASECAST_API_RATE_LIMIT="4/minute")
    web = WebServer(env, tmp_path / "serve.log")
    try:
        with web.admin() as client:
            codes = [client.get("/api/runs").status_code for _ in range(6)]
            assert codes == [200] * 4 + [429] * 2
            assert int(client.get("/jobs/x").headers["Retry-After"]) >= 1
            assert client.get("/health").status_code == 200  # probes are not limited
    finally:
        web.stop()


def test_metrics_of_two_web_processes_are_summed(redis_server: RedisServer,
                                                 tmp_path: Path) -> None:
    """`serve --workers 2`: whichever process answers the scrape reports both processes."""
    import asyncio

    import httpx
    from app_fixtures import delivery, fixture_payload, wait_until

    env = app_env(redis_url=redis_server.url, database_url=f"sqlite:///{tmp_path}/r.db",
                  data_dir=tmp_path)
    web = WebServer(env, tmp_path / "serve.log", workers=2)
    files = tmp_path / "web-metrics"

    async def pings(count: int) -> list[int]:
        headers, body = delivery("ping", fixture_payload("ping/payload.json"))

        async def one() -> int:  # a connection each, so both processes accept some
            async with httpx.AsyncClient(base_url=web.url) as client:
                return (await client.post("/webhook", content=body, headers=headers)).status_code

        return await asyncio.gather(*(one() for _ in range(count)))

    try:
        sent = 0

        def both_counted() -> bool:
            nonlocal sent
            assert asyncio.run(pings(10)) == [200] * 10
            sent += 10
            return len(list(files.glob("counter_*.db"))) >= 2  # one file per process

        wait_until(both_counted, 60, 0, what="both web processes to take deliveries")
        for _ in range(6):  # each scrape on a new connection, whichever process takes it
            with web.client(headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
                text = client.get("/metrics").text
            assert f'webhook_deliveries_total{{event="ping",result="pong"}} {sent}.0' in text
            assert re.search(rf"^webhook_response_seconds_count {sent}.0$", text, re.M)
    finally:
        web.stop()
