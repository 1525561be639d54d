"""The web process under attack, on real ``releasecast serve`` processes sharing one real Redis:
forged-delivery floods, spoofed ``X-Forwarded-For``, login floods, stolen or cross-site session
use, and secrets in URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_fixtures import (
    ADMIN_TOKEN,
    METRICS_TOKEN,
    WEBHOOK_SECRET,
    RedisServer,
    WebServer,
    app_env,
    delivery,
    fixture_payload,
)

PING = fixture_payload("ping/payload.json")


@pytest.fixture(autouse=True)
def fresh_redis(redis_server: RedisServer) -> RedisServer:
    redis_server.client().flushdb()  # every test starts with no limits used and no sessions
    return redis_server


def _serve(redis: RedisServer, root: Path, name: str, **extra: str) -> WebServer:
    data = root / name
    data.mkdir()
    env = app_env(redis_url=redis.url, database_url=f"sqlite:///{root}/runs.db", data_dir=data,
                  **extra)
    return WebServer(env, data / "serve.log", log_level="debug")


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[WebServer, WebServer]]:
    """Two web processes behind no proxy, with small budgets that they share through Redis."""
    tmp_path = tmp_path_factory.mktemp("replicas")
    limits = {"RELEASECAST_WEBHOOK_RATE_LIMIT": "4/minute",
              "RELEASECAST_UNVERIFIED_RATE_LIMIT": "5/minute",
              "RELEASECAST_LOGIN_RATE_LIMIT": "3/minute",
              "RELEASECAST_API_RATE_LIMIT": "100/minute"}
    first = _serve(redis_server, tmp_path, "a", **limits)
    second = _serve(redis_server, tmp_path, "b", **limits)
    yield first, second
    first.stop()
    second.stop()


def _forged(web: WebServer, count: int, **headers: str) -> list[int]:
    forged_headers, body = delivery("ping", PING, secret="not-the-secret-0123456789")
    with web.client() as client:
        return [client.post("/webhook", content=body, headers={**forged_headers, **headers}
                            ).status_code for _ in range(count)]


def test_a_forged_flood_does_not_block_github(replicas: tuple[WebServer, WebServer]) -> None:
    web, _ = replicas
    assert _forged(web, 8) == [401] * 5 + [429] * 3
    # GitHub, from the same address, still gets through: its deliveries have their own bucket.
    assert web.post_delivery("ping", PING).status_code == 200
    with web.client(headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        text = client.get("/metrics").text
    assert 'webhook_deliveries_total{event="unverified",result="unauthorized"} 5.0' in text
    assert 'webhook_deliveries_total{event="unverified",result="rate_limited"} 3.0' in text


def test_replicas_share_one_budget_and_xff_does_not_reset_it(
        replicas: tuple[WebServer, WebServer]) -> None:
    first, second = replicas
    codes = []
    for n in range(6):  # alternate replicas, a new claimed address every time
        headers, body = delivery("ping", PING)
        headers["X-Forwarded-For"] = f"203.0.113.{n + 1}"
        with (first if n % 2 == 0 else second).client() as client:
            codes.append(client.post("/webhook", content=body, headers=headers).status_code)
    assert codes == [200] * 4 + [429] * 2  # 4/minute in all, not per replica or per XFF


def test_xff_counts_only_from_a_trusted_proxy(fresh_redis: RedisServer, tmp_path: Path) -> None:
    web = _serve(fresh_redis, tmp_path, "proxied", RELEASECAST_TRUSTED_PROXIES="127.0.0.1",
                 RELEASECAST_UNVERIFIED_RATE_LIMIT="2/minute")
    try:
        # Behind the proxy, each forwarded client has its own bucket...
        assert _forged(web, 2, **{"X-Forwarded-For": "198.51.100.7"}) == [401, 401]
        assert _forged(web, 1, **{"X-Forwarded-For": "198.51.100.7"}) == [429]
        assert _forged(web, 1, **{"X-Forwarded-For": "198.51.100.8"}) == [401]
        # ...and a client cannot pick its own by prepending entries: the proxy appends the
        # address it saw, and the right-most untrusted entry is the client.
        spoofed = "10.9.9.9, 198.51.100.7"
        assert _forged(web, 1, **{"X-Forwarded-For": spoofed}) == [429]
    finally:
        web.stop()


def test_a_login_flood_does_not_lock_the_admin_out_of_the_api(
        replicas: tuple[WebServer, WebServer]) -> None:
    web, other = replicas
    with web.client() as attacker:
        codes = [attacker.post("/login", data={"token": f"guess-{n:020d}"}).status_code
                 for n in range(5)]
    assert codes == [401] * 3 + [429] * 2
    with other.client() as attacker:  # the other replica knows about the flood
        assert attacker.post("/login", data={"token": "guess-again-guess-again"}
                             ).status_code == 429
    with web.admin() as admin:
        assert admin.get("/api/runs").status_code == 200


def test_logout_revokes_the_session_everywhere(replicas: tuple[WebServer, WebServer]) -> None:
    first, second = replicas
    with first.client() as browser:
        assert browser.post("/login", data={"token": ADMIN_TOKEN}).status_code == 303
        cookie = browser.cookies["releasecast_session"]
        assert ADMIN_TOKEN not in cookie
        assert browser.get("/api/runs").status_code == 200
        assert browser.post("/logout").status_code == 303
    # A copy of the cookie taken before logout (a stolen one) no longer works, on any replica.
    for web in (first, second):
        with web.client(cookies={"releasecast_session": cookie}) as thief:
            assert thief.get("/api/runs").status_code == 401
            assert 'name="token"' in thief.get("/").text


def test_cross_site_posts_are_refused(replicas: tuple[WebServer, WebServer]) -> None:
    web, _ = replicas
    with web.client() as browser:
        assert browser.post("/login", data={"token": ADMIN_TOKEN}).status_code == 303
        cookie = browser.cookies["releasecast_session"]
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    with web.client(cookies={"releasecast_session": cookie}) as victim:
        assert victim.post("/logout", headers=evil).status_code == 403
        assert victim.post("/logout", headers={"Origin": "https://evil.example"}
                           ).status_code == 403
        assert victim.get("/api/runs").status_code == 200  # still signed in
        assert victim.post("/login", data={"token": ADMIN_TOKEN}, headers=evil
                           ).status_code == 403
        same = {"Origin": web.url, "Sec-Fetch-Site": "same-origin"}
        assert victim.post("/logout", headers=same).status_code == 303


def test_no_secret_in_any_log_line_even_in_urls(replicas: tuple[WebServer, WebServer]) -> None:
    web, _ = replicas
    with web.client() as client:
        assert client.get(f"/api/runs?token={ADMIN_TOKEN}").status_code == 401
        assert client.get(f"/metrics?access_token={METRICS_TOKEN}").status_code == 401
        client.post("/login", data={"token": ADMIN_TOKEN})
    web.post_delivery("ping", PING)
    log = web.log()
    assert "GET /api/runs?[redacted]" in log  # the access log is on (debug level)
    for secret in (ADMIN_TOKEN, METRICS_TOKEN, WEBHOOK_SECRET):
        assert secret not in log
