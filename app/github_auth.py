"""Authenticating as the GitHub App: JWT from the private key, then an installation token.

Installation tokens live one hour. Workers fork a fresh process per job, so an in-memory cache
would be thrown away after every job; tokens are cached in Redis instead, shared by all workers,
until shortly before they expire. They are stored encrypted (AES-GCM, key derived from the App's
private key), so a Redis dump or ``MONITOR`` does not reveal a usable token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from gidgethub import GitHubException
from gidgethub import apps as gh_apps
from gidgethub.httpx import GitHubAPI
from redis.exceptions import RedisError

from pipeline.errors import InputError, PublishError

from .events import full_name_problem
from .metrics import WorkerMetrics
from .settings import Secret

log = logging.getLogger("releasecast.app.github")
_REFRESH_MARGIN = timedelta(minutes=5)  # never hand out a token about to expire mid-job
_USER_AGENT = "releasecast-app"


def _client(client: httpx.AsyncClient) -> Any:
    # gidgethub's annotations name its httpx2 fork; at run time it drives any httpx client.
    return client


@dataclass(frozen=True)
class InstallationToken:
    token: Secret
    expires_at: datetime

    def fresh(self, now: datetime | None = None) -> bool:
        return self.expires_at - (now or datetime.now(UTC)) > _REFRESH_MARGIN


class TokenCache:
    """Installation tokens in Redis, encrypted; entries expire with the tokens."""

    def __init__(self, connection: redis.Redis, private_key: Secret | None = None) -> None:
        self.connection = connection
        self._aead = None
        if private_key is not None:
            key = hashlib.sha256(b"releasecast token cache\0" + private_key.reveal().encode())
            self._aead = AESGCM(key.digest())

    @staticmethod
    def key(installation_id: int) -> str:
        return f"releasecast:installation-token:{installation_id}"

    def get(self, installation_id: int) -> InstallationToken | None:
        if self._aead is None:
            return None
        try:
            raw = self.connection.get(self.key(installation_id))
        except RedisError:
            return None
        if raw is None:
            return None
        try:
            blob = base64.b64decode(raw)
            plain = self._aead.decrypt(blob[:12], blob[12:], str(installation_id).encode())
            data = json.loads(plain)
            expires = datetime.fromisoformat(data["expires_at"])
            return InstallationToken(Secret(data["token"]), expires)
        except (InvalidTag, ValueError, KeyError):
            return None  # written with another key (rotated): fetch a new token

    def put(self, installation_id: int, token: InstallationToken) -> None:
        if self._aead is None:
            return
        ttl = int((token.expires_at - datetime.now(UTC) - _REFRESH_MARGIN).total_seconds())
        if ttl <= 0:
            return
        nonce = os.urandom(12)
        plain = json.dumps(
            {"token": token.token.reveal(), "expires_at": token.expires_at.isoformat()}
        ).encode()
        blob = nonce + self._aead.encrypt(nonce, plain, str(installation_id).encode())
        try:
            self.connection.set(self.key(installation_id), base64.b64encode(blob), ex=ttl)
        except RedisError as exc:
            log.warning("could not cache the installation token: %s", type(exc).__name__)

    def forget(self, installation_id: int) -> None:
        self.connection.delete(self.key(installation_id))


class GitHubApp:
    """The App's identity: ``app_id`` + private key → JWT → installation tokens."""

    def __init__(
        self,
        app_id: str,
        private_key: Secret,
        *,
        api_url: str = "https://api.github.com",
        cache: TokenCache,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.app_id = app_id
        self.private_key = private_key
        self.api_url = api_url.rstrip("/")
        self.cache = cache
        self.metrics = metrics

    def jwt(self) -> str:
        return gh_apps.get_jwt(app_id=self.app_id, private_key=self.private_key.reveal())

    def verify_installation(self, full_name: str, installation_id: int) -> None:
        """Refuse (for good) an installation id that is not the App's installation on
        ``full_name`` as GitHub itself reports it (``GET /repos/{owner}/{repo}/installation``
        with the App's JWT): a delivery cannot obtain another installation's token."""
        problem = full_name_problem(full_name)
        if problem is not None:
            raise InputError(f"repository: {problem}")
        found = asyncio.run(self._repository_installation(full_name))
        if found != installation_id:
            raise InputError(f"installation {installation_id} is not this App's installation "
                             f"on {full_name}; the delivery is refused")

    async def _repository_installation(self, full_name: str) -> int:
        async with httpx.AsyncClient(timeout=30) as client:
            gh = GitHubAPI(_client(client), _USER_AGENT, base_url=self.api_url)
            try:
                if self.metrics is not None:
                    self.metrics.github_api_calls()
                data = await gh.getitem(f"/repos/{full_name}/installation", jwt=self.jwt())
            except GitHubException as exc:
                status = getattr(exc, "status_code", None)
                if status == 404:
                    raise InputError(f"this App is not installed on {full_name}") from None
                raise PublishError(
                    f"GitHub App authentication failed looking up the installation on "
                    f"{full_name}{f' (HTTP {int(status)})' if status else ''}: check "
                    "GITHUB_APP_ID and the private key") from None
            except httpx.HTTPError as exc:
                raise PublishError(
                    f"cannot reach the GitHub API at {self.api_url}: {type(exc).__name__}"
                ) from None
        installation = data.get("id") if isinstance(data, dict) else None
        if not isinstance(installation, int):
            raise PublishError(f"GitHub described the installation on {full_name} without an id")
        return installation

    def installation_token(self, installation_id: int) -> InstallationToken:
        cached = self.cache.get(installation_id)
        if cached is not None and cached.fresh():
            return cached
        token = asyncio.run(self._request_token(installation_id))
        self.cache.put(installation_id, token)
        return token

    async def _request_token(self, installation_id: int) -> InstallationToken:
        async with httpx.AsyncClient(timeout=30) as client:
            gh = GitHubAPI(_client(client), _USER_AGENT, base_url=self.api_url)
            try:
                if self.metrics is not None:
                    self.metrics.github_api_calls()
                data = await gh_apps.get_installation_access_token(
                    gh,
                    installation_id=str(installation_id),
                    app_id=self.app_id,
                    private_key=self.private_key.reveal(),
                )
            except GitHubException as exc:
                status = getattr(exc, "status_code", None)
                raise PublishError(
                    f"GitHub App authentication failed for installation {installation_id}"
                    f"{f' (HTTP {int(status)})' if status else ''}: check GITHUB_APP_ID and the "
                    "private key, and that the App is still installed"
                ) from None
            except httpx.HTTPError as exc:
                raise PublishError(
                    f"cannot reach the GitHub API at {self.api_url}: {type(exc).__name__}"
                ) from None
        try:
            expires = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
            return InstallationToken(Secret(data["token"]), expires)
        except (KeyError, TypeError, ValueError):
            raise PublishError("GitHub answered the installation token request without a token"
                               ) from None
