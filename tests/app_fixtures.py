"""Real services for the App's tests: a private redis-server, a PostgreSQL database, the web
server and RQ workers as separate processes, signed deliveries, and a GitHub stand-in that also
speaks the App authentication protocol (JWT → installation token).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from factories import WEBHOOKS
from githubapi_server import FakeGitHub
from local_server import LocalServer

REPO_ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "test-webhook-secret-0123456789"
ADMIN_TOKEN = "test-admin-token-abcdefghijklmnop"
METRICS_TOKEN = "test-metrics-token-abcdefghijklm"
APP_ID = "424242"
INSTALLATION_ID = 9001
GIT_TOKEN = "ghs_installationtoken0123456789abcdef"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/{db}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- Redis -------------------------------------------------------------------------------------

class RedisServer:
    """A private ``redis-server`` that tests may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed (scripts/install-system-deps.sh --test)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            return False

        wait_until(answers, 10, what="redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url)


# --- Chromium ----------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


# The redis_server and browser fixtures are in conftest.py.


def sign_in(browser: Any, base_url: str) -> Any:
    """A page of the dashboard, signed in through the login form."""
    context = browser.new_context()
    context.set_default_timeout(60_000)  # a loaded CI machine, not a slow page
    page = context.new_page()
    page.goto(base_url + "/")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#runs-table")
    # A selector wait, not wait_for_function: the dashboard's CSP forbids eval, which
    # Playwright's string predicates need.
    page.wait_for_selector('#runs-table[data-refreshed-at]:not([data-refreshed-at=""])',
                           state="attached")
    return page


# --- PostgreSQL --------------------------------------------------------------------------------

@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL; yields its SQLAlchemy URL, drops it after."""
    name = f"releasecast_app_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_DSN.format(db="postgres"), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not running on 127.0.0.1:5432 "
                    f"(scripts/start-services.sh): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_DSN.format(db="postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- signing and deliveries --------------------------------------------------------------------

def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def fixture_payload(name: str) -> dict[str, Any]:
    """A real GitHub payload from the shared fixtures, e.g. ``release/published.payload.json``."""
    path = WEBHOOKS / name
    if not path.is_file():
        pytest.fail(f"webhook fixture missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def release_payload(*, tag: str = "v1.0.0", release_id: int = 1, repo_id: int = 186853002,
                    action: str = "published", full_name: str = "Codertocat/Hello-World",
                    private: bool = False, prerelease: bool = False, draft: bool = False,
                    installation: int | None = INSTALLATION_ID) -> dict[str, Any]:
    """The fixture's ``release.published`` payload with another tag, release and repository."""
    payload = copy.deepcopy(fixture_payload("release/published.payload.json"))
    payload["action"] = action
    payload["release"].update(tag_name=tag, id=release_id, name=f"Release {tag}",
                              prerelease=prerelease, draft=draft)
    payload["repository"].update(id=repo_id, full_name=full_name, private=private,
                                 name=full_name.split("/")[1])
    if installation is not None:
        payload["installation"] = {"id": installation, "node_id": "MDIzOkludGVncmF0aW9uMQ=="}
    return payload


def delivery(event: str, payload: dict[str, Any] | bytes, *, delivery_id: str | None = None,
             secret: str | None = WEBHOOK_SECRET) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as GitHub sends them."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": APP_ID,
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return headers, body


# --- App credentials ---------------------------------------------------------------------------

def make_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def app_env(*, redis_url: str, database_url: str, data_dir: Path,
            private_key_file: Path | None = None, api_url: str | None = None,
            **extra: str) -> dict[str, str]:
    """The environment a deployment gives ``releasecast serve`` and ``releasecast worker``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RELEASECAST_", "GITHUB_", "REDIS_", "DATABASE_"))}
    env.update({
        "RELEASECAST_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RELEASECAST_ADMIN_TOKEN": ADMIN_TOKEN,
        "RELEASECAST_METRICS_TOKEN": METRICS_TOKEN,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "RELEASECAST_DATA_DIR": str(data_dir),
        "GITHUB_APP_ID": APP_ID,
        # Fast failure detection and retries: the mechanisms are the production ones.
        "RELEASECAST_WORKER_TTL": "16",
        "RELEASECAST_JOB_MONITORING_INTERVAL": "1",
        "RELEASECAST_ABANDONED_GRACE": "2",
        "RELEASECAST_MAINTENANCE_INTERVAL": "1",
        "RELEASECAST_RETRY_INTERVALS": "1,1",
        "RELEASECAST_JOB_TIMEOUT": "300",
        "RELEASECAST_API_RATE_LIMIT": "6000/minute",  # tests poll /jobs/<id>
        "PYTHONUNBUFFERED": "1",
    })
    if private_key_file is not None:
        env["GITHUB_APP_PRIVATE_KEY_FILE"] = str(private_key_file)
    if api_url is not None:
        env["GITHUB_API_URL"] = api_url
    env.update(extra)
    return env


# --- processes ---------------------------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found.append(int(child))
                found.extend(_descendants(int(child)))
    return found


class CliProcess:
    """``python -m pipeline.cli <args>`` in its own session, output to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args], env=env, cwd=REPO_ROOT,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill_hard(self) -> list[int]:
        """SIGKILL the process and everything it started (as a lost machine would)."""
        victims = [self.pid, *_descendants(self.pid)]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        return victims

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_hard()
        for pid in _descendants(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


class WebServer(CliProcess):
    def __init__(self, env: dict[str, str], log: Path, *, log_level: str = "warning",
                 workers: int = 1) -> None:
        self.port = free_port()
        super().__init__(["serve", "--port", str(self.port), "--log-level", log_level,
                          "--workers", str(workers)], env, log)
        self.url = f"http://127.0.0.1:{self.port}"

        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"releasecast serve exited:\n{self.log()}")
            try:
                return httpx.get(self.url + "/static/dashboard.css", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 90, 0.1, what="the web server")  # a loaded CI machine, two processes

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)

    def admin(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    def post_delivery(self, event: str, payload: dict[str, Any] | bytes,
                      **kwargs: Any) -> httpx.Response:
        headers, body = delivery(event, payload, **kwargs)
        with self.client() as client:
            return client.post("/webhook", content=body, headers=headers)


class WorkerProcess(CliProcess):
    def __init__(self, env: dict[str, str], log: Path, *, name: str) -> None:
        super().__init__(["worker", "--name", name, "--log-level", "info"], env, log)
        self.name = name


# --- a GitHub that also issues installation tokens ---------------------------------------------

class FakeGitHubApp(FakeGitHub):
    """:class:`FakeGitHub` plus the App endpoint ``POST /app/installations/{id}/access_tokens``,
    which (like GitHub) accepts only an RS256 JWT signed with the App's key, ``iss`` = App id,
    valid for at most ten minutes."""

    def __init__(self, root: Path, *, token: str, app_id: str, public_key: Any,
                 installation_id: int) -> None:
        super().__init__(root, token=token)
        self.app_id = app_id
        self.public_key = public_key
        self.installation_id = installation_id
        self.tokens_issued = 0
        self.token_outages = 0  # answer this many token requests with 502, like a bad deploy

    def _repository_installation(self, method: str, full_name: str, headers: Any
                                 ) -> tuple[int, Any, dict[str, str]]:
        """``GET /repos/{owner}/{repo}/installation``: the App's installation on a repository
        (JWT only); every repository of this server is in the one installation."""
        if method != "GET" or not self._jwt_valid(headers.get("Authorization")):
            return 401, {"message": "A JSON web token could not be decoded"}, {}
        if full_name not in self.repos:
            return 404, {"message": "Not Found"}, {}
        owner = full_name.split("/")[0]
        return 200, {"id": self.installation_id, "app_id": int(self.app_id),
                     "account": self._user(owner), "target_type": "Organization",
                     "repository_selection": "all",
                     "access_tokens_url": f"{self.api_url}/app/installations/"
                                          f"{self.installation_id}/access_tokens"}, {}

    def _jwt_valid(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "bearer" or value.count(".") != 2:
            return False
        try:
            claims = jwt.decode(value, self.public_key, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError:
            return False
        return str(claims["iss"]) == self.app_id and claims["exp"] - claims["iat"] <= 660

    def auth_ok(self, header: str | None, *, git: bool) -> bool | None:
        if not git and self._jwt_valid(header):
            return True
        return super().auth_ok(header, git=git)

    def api(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
            headers: Any) -> tuple[int, Any, dict[str, str]]:
        if found := re.fullmatch(r"/repos/([^/]+/[^/]+)/installation", path):
            return self._repository_installation(method, found[1], headers)
        match = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if match is None:
            return super().api(method, path, query, body, headers)
        if method != "POST" or not self._jwt_valid(headers.get("Authorization")):
            return 401, {"message": "A JSON web token could not be decoded",
                         "documentation_url": "https://docs.github.com/rest"}, {}
        if int(match[1]) != self.installation_id:
            return 404, {"message": "Not Found"}, {}
        if self.token_outages > 0:
            self.token_outages -= 1
            return 502, {"message": "Server Error"}, {}
        self.tokens_issued += 1
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {"token": self.token, "expires_at": expires,
                     "permissions": {"contents": "write", "metadata": "read"},
                     "repository_selection": "all"}, {}


class CaptureHost:
    """A loopback HTTP server that records every request (method, path, headers) and answers
    404: payload URLs point here, and a test asserts it heard nothing."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler

        self.requests: list[tuple[str, str, dict[str, str]]] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _record(self) -> None:
                capture.requests.append((self.command, self.path, dict(self.headers.items())))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

        self._server = LocalServer(Handler)
        self.url = self._server.url

    def __enter__(self) -> CaptureHost:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def seed_source_repository(bare: Path, work: Path, config_yaml: str) -> None:
    """A project with two releases (v1.0.0, v1.1.0) and its releasecast config, pushed."""
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# widget\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feat: first version")
    git(work, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    (work / ".github").mkdir()
    (work / ".github" / "releasecast.yml").write_text(config_yaml)
    (work / "widget.py").write_text("def spin():\n    return 42\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feat(core): spin the widget faster (#12)")
    (work / "widget.py").write_text("def spin():\n    return 43\n")
    git(work, "commit", "-q", "-am", "fix: off-by-one in spin (#13)")
    git(work, "tag", "-a", "v1.1.0", "-m", "v1.1.0")
    git(work, "push", "-q", str(bare), "main", "--tags")


def seed_blog(bare: Path, work: Path, branch: str = "gh-pages") -> None:
    """A Jekyll site on the Pages branch."""
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", branch)
    (work / "_config.yml").write_text(
        "title: Acme blog\nurl: https://acme.example\nbaseurl: \"\"\n"
    )
    (work / "index.md").write_text("---\nlayout: default\n---\nHello\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "blog")
    git(work, "push", "-q", str(bare), branch)


def commits_on(bare: Path, branch: str) -> list[str]:
    out = git(bare, "log", "--format=%s", branch)
    return out.splitlines()
