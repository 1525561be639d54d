"""Settings validated at start: every problem in one line, secrets from env or files, never
printed; the `serve`/`worker` commands refuse to start on bad settings without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from app_fixtures import (
    REPO_ROOT,
    CliProcess,
    RedisServer,
    free_port,
    make_private_key,
    wait_until,
)

from app.security import RateLimiter, SessionStore
from app.settings import RateLimit, Secret, Settings, SettingsError

GOOD = {"RELEASECAST_WEBHOOK_SECRET": "w" * 20, "RELEASECAST_ADMIN_TOKEN": "a" * 20}


def test_web_needs_the_webhook_secret_and_admin_token() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({}, role="web")
    message = str(caught.value)
    assert "RELEASECAST_WEBHOOK_SECRET: not set (or RELEASECAST_WEBHOOK_SECRET_FILE)" in message
    assert "RELEASECAST_ADMIN_TOKEN: not set" in message
    assert "\n" not in message


def test_worker_needs_the_app_identity(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({}, role="worker")
    assert "GITHUB_APP_ID: not set" in str(caught.value)
    assert "GITHUB_APP_PRIVATE_KEY: not set" in str(caught.value)
    make_private_key(tmp_path / "key.pem")
    settings = Settings.from_env({"GITHUB_APP_ID": "12",
                                  "GITHUB_APP_PRIVATE_KEY_FILE": str(tmp_path / "key.pem")},
                                 role="worker")
    assert settings.private_key is not None
    assert settings.private_key.reveal().startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_secrets_from_files_and_precise_errors(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 32 + "\n")
    settings = Settings.from_env({**GOOD, "RELEASECAST_WEBHOOK_SECRET": "",
                                  "RELEASECAST_WEBHOOK_SECRET_FILE": str(secret_file)})
    assert settings.webhook_secret == Secret("s" * 32)
    (tmp_path / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\nno\n-----END PRIVATE KEY-----")
    bad = {
        **GOOD,
        "RELEASECAST_ADMIN_TOKEN": "short",
        "RELEASECAST_METRICS_TOKEN_FILE": str(tmp_path / "missing"),
        "GITHUB_APP_ID": "my-app",
        "GITHUB_APP_PRIVATE_KEY_FILE": str(tmp_path / "key.pem"),
        "REDIS_URL": "localhost:6379",
        "DATABASE_URL": "mysql://db",
        "RELEASECAST_WEBHOOK_RATE_LIMIT": "lots",
        "RELEASECAST_CORS_ORIGINS": "https://ok.example,not a url",
        "RELEASECAST_RETRY_INTERVALS": "30,-1",
        "RELEASECAST_PRERELEASES": "maybe",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(bad)
    message = str(caught.value)
    for expected in (
        "RELEASECAST_ADMIN_TOKEN: too short",
        f"RELEASECAST_METRICS_TOKEN_FILE: cannot read {tmp_path / 'missing'}",
        "GITHUB_APP_ID: expected the App's numeric id, got 'my-app'",
        "GITHUB_APP_PRIVATE_KEY: not an unencrypted PEM private key",
        "REDIS_URL: expected redis://",
        "DATABASE_URL: expected sqlite:///path or postgresql://",
        "RELEASECAST_WEBHOOK_RATE_LIMIT: expected like '120/minute'",
        "RELEASECAST_CORS_ORIGINS: not an origin: 'not a url'",
        "RELEASECAST_RETRY_INTERVALS",
        "RELEASECAST_PRERELEASES: expected true or false",
    ):
        assert expected in message
    assert "short" not in message.replace("too short", "")  # the value itself is not echoed


def test_database_url_spellings() -> None:
    assert Settings.from_env({**GOOD, "DATABASE_URL": "postgres://u@h/db"}).db_url == \
        "postgresql+psycopg://u@h/db"
    default = Settings.from_env({**GOOD, "RELEASECAST_DATA_DIR": "/srv/rc"}).db_url
    assert default == "sqlite:////srv/rc/releasecast.db"


def test_secrets_never_print_themselves() -> None:
    settings = Settings.from_env({**GOOD, "RELEASECAST_WEBHOOK_SECRET": "hunter2-hunter2-hunter2"})
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.webhook_secret)
    assert f"{settings.webhook_secret}" == "Secret('***')"


def test_rate_limit_parsing_and_token_bucket() -> None:
    assert RateLimit.parse("120/minute") == RateLimit(120, 60)
    assert RateLimit.parse("5/s") == RateLimit(5, 1)
    assert RateLimit.parse("10/3600") == RateLimit(10, 3600)
    limiter = RateLimiter(RateLimit(2, 10), max_clients=2)
    assert limiter.hit("a", now=0) == 0 and limiter.hit("a", now=0) == 0
    assert limiter.hit("a", now=0) == pytest.approx(5)  # one token per 5 s
    assert limiter.hit("b", now=0) == 0  # per client
    assert limiter.hit("a", now=5) == 0  # refilled
    limiter.hit("c", now=5)  # a third client evicts the least recently seen ("b")
    assert limiter.hit("b", now=5) == 0 and limiter.hit("b", now=5) == 0


def test_sessions_live_in_redis_and_end_on_logout_or_token_rotation(
        redis_server: RedisServer) -> None:
    import asyncio

    import redis.asyncio as aioredis

    async def scenario() -> None:
        connection = aioredis.Redis.from_url(redis_server.url)
        store = SessionStore(connection, Secret("a" * 20), ttl=60)
        session = await store.create()
        assert await store.valid(session)
        assert "a" * 20 not in session  # a random id, not derived from the token
        assert not await store.valid(session[:-1] + ("x" if session[-1] != "x" else "y"))
        rotated = SessionStore(connection, Secret("b" * 20), ttl=60)
        assert not await rotated.valid(session)  # a new admin token ends every session
        ttl = await connection.ttl(SessionStore._key(session))
        assert 0 < ttl <= 60
        await store.revoke(session)
        assert not await store.valid(session)
        await connection.aclose()

    asyncio.run(scenario())


def test_proxies_are_addresses_never_a_wildcard() -> None:
    settings = Settings.from_env({**GOOD, "RELEASECAST_TRUSTED_PROXIES": "172.28.0.10, 10.0.0.0/8"})
    assert settings.trusted_proxies == ("172.28.0.10", "10.0.0.0/8")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, "RELEASECAST_TRUSTED_PROXIES": "*"})
    assert "RELEASECAST_TRUSTED_PROXIES: not an IP address or network: '*'" in str(caught.value)


def test_the_github_server_comes_from_the_configured_api_url() -> None:
    for api, server in (("https://api.github.com", "https://github.com"),
                        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
                        ("https://ghe.acme.example/api/v3", "https://ghe.acme.example")):
        assert Settings.from_env({**GOOD, "GITHUB_API_URL": api}).github_server_url == server
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, "GITHUB_API_URL": "https://evil.example/anything"})
    assert "GITHUB_API_URL: expected https://api.github.com" in str(caught.value)


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_commands_refuse_bad_settings_in_one_line(command: str) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RELEASECAST_", "GITHUB_", "REDIS_", "DATABASE_"))}
    env["RELEASECAST_ADMIN_TOKEN"] = "leaky-secret-value-123456"
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", command], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("releasecast: error: ")
    assert "Traceback" not in proc.stderr
    assert "leaky-secret-value" not in proc.stderr + proc.stdout


def test_env_file_fills_in_what_the_environment_lacks(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import load_env_file
    from pipeline.errors import InputError

    env_file = tmp_path / "app.env"
    env_file.write_text("# local App\nexport RC_TEST_A=one\nRC_TEST_B = 'two words'\n\n"
                        'RC_TEST_C="three"\n')
    monkeypatch.setenv("RC_TEST_C", "from the environment")
    for key in ("RC_TEST_A", "RC_TEST_B"):
        monkeypatch.delenv(key, raising=False)
    load_env_file(env_file)
    assert os.environ["RC_TEST_A"] == "one"
    assert os.environ["RC_TEST_B"] == "two words"
    assert os.environ["RC_TEST_C"] == "from the environment"
    env_file.write_text("RC_TEST_D=ok\nthis is not a setting\n")
    with pytest.raises(InputError, match=r"line 2: expected KEY=VALUE"):
        load_env_file(env_file)


def test_the_two_local_commands_start_from_an_env_file(redis_server: RedisServer,
                                                       tmp_path: Path) -> None:
    """docs/app.md's local setup: `serve --env-file` and `worker --env-file`, SQLite default."""
    make_private_key(tmp_path / "app.pem")
    (tmp_path / "app.env").write_text(
        f"RELEASECAST_WEBHOOK_SECRET={'w' * 24}\nRELEASECAST_ADMIN_TOKEN={'a' * 24}\n"
        f"GITHUB_APP_ID=1\nGITHUB_APP_PRIVATE_KEY_FILE={tmp_path / 'app.pem'}\n"
        f"REDIS_URL={redis_server.url}\nRELEASECAST_DATA_DIR={tmp_path / 'data'}\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RELEASECAST_", "GITHUB_", "REDIS_", "DATABASE_"))}
    worker = subprocess.run([sys.executable, "-m", "pipeline.cli", "worker", "--burst",
                             "--env-file", str(tmp_path / "app.env")], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert (tmp_path / "data" / "releasecast.db").is_file()  # SQLite, migrated
    port = free_port()
    serve = CliProcess(["serve", "--port", str(port), "--env-file", str(tmp_path / "app.env")],
                       env, tmp_path / "serve.log")
    try:
        health = wait_until(lambda: _get(f"http://127.0.0.1:{port}/health"), 30, 0.1,
                            what="serve")
        assert health.json() == {"status": "ok", "redis": "ok", "database": "ok"}
    finally:
        serve.stop()


def _get(url: str):  # type: ignore[no-untyped-def]
    import httpx

    try:
        return httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return None


def test_youtube_credentials_file(tmp_path: Path) -> None:
    good = tmp_path / "youtube.json"
    good.write_text('{"client_id": "id.apps", "client_secret": "cs-123", '
                    '"refresh_token": "rt-456"}')
    settings = Settings.from_env({**GOOD, "YOUTUBE_CREDENTIALS_FILE": str(good)})
    assert settings.youtube is not None and settings.youtube.client_id == "id.apps"
    assert "cs-123" not in repr(settings) and "rt-456" not in repr(settings)
    partial = tmp_path / "partial.json"
    partial.write_text('{"client_id": "id.apps"}')
    with pytest.raises(SettingsError, match="needs client_id, client_secret and refresh_token"):
        Settings.from_env({**GOOD, "YOUTUBE_CREDENTIALS_FILE": str(partial)})
    with pytest.raises(SettingsError, match="YOUTUBE_CREDENTIALS_FILE: cannot read"):
        Settings.from_env({**GOOD, "YOUTUBE_CREDENTIALS_FILE": str(tmp_path / "none.json")})
