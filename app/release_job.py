"""What a worker does for one release: check out, configure, build and publish like the Action.

1. An installation token for the repository's installation (:mod:`app.github_auth`).
2. A blobless clone of the released repository (full history and tags, file contents fetched on
   demand), checked out at the release's tag, so the previous tag is always reachable.
3. The repository's ``.github/releasecast.yml``: the pipeline's options, plus an ``app:`` section
   saying where the blog is (the Action takes the same choices as inputs).
4. :func:`pipeline.publish.publish_release` — the Action's own code — builds the post into the
   blog checkout, places the reel, commits and pushes (or opens a pull request). It is
   idempotent: a re-run for the same release commits nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipeline.build import BuildResult
from pipeline.config import Config, describe_error, load_config
from pipeline.errors import ConfigError, InputError, PublishError
from pipeline.progress import Progress
from pipeline.publish import BlogTarget, PublishOptions, publish_release
from pipeline.publish.git import Git, GitAuth, GitIdentity
from pipeline.publish.github_api import GitHubApi
from pipeline.publish.youtube import (
    ENDPOINT_ENV,
    Transport,
    YouTubeAuth,
    YouTubeStep,
    options_from_inputs,
)

from .events import full_name_problem, tag_problem
from .runs import Outcome, RunRequest
from .settings import github_server_url

CONFIG_PATH = Path(".github/releasecast.yml")
APP_IDENTITY = GitIdentity("releasecast[bot]", "releasecast[bot]@users.noreply.github.com")


class SkipRelease(Exception):
    """The repository's configuration says not to publish this release (the reason)."""


class AppYouTube(BaseModel):
    """``app.youtube``: upload the reel to the App's YouTube channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    privacy: Literal["private", "unlisted", "public"] = "private"
    playlist: str | None = None  # a playlist id, or its URL


class AppTarget(BaseModel):
    """The ``app:`` section of ``.github/releasecast.yml``: where the App publishes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blog_repository: str | None = None  # OWNER/NAME; default: the released repository
    blog_branch: str | None = None  # default: the Pages branch, else the default branch
    blog_remote_url: str | None = None  # default: <server>/<blog_repository>.git
    site_path: str = "."
    publish_mode: Literal["push", "pull-request"] = "push"
    video_storage: Literal["repository", "release-asset", "none"] = "repository"
    youtube: AppYouTube | None = None  # absent: no upload

    @field_validator("blog_repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
            raise ValueError(f"expected OWNER/NAME, got {value!r}")
        return value

    @field_validator("blog_remote_url")
    @classmethod
    def _http_remote(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("https", "http"):
            raise ValueError(f"expected an https:// Git URL, got {value!r}")
        return value

    @field_validator("site_path")
    @classmethod
    def _inside(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError(f"expected a path inside the blog repository, got {value!r}")
        return value


def read_repository_config(checkout: Path) -> tuple[Config, AppTarget]:
    """The pipeline's :class:`Config` and the App's target from the checked-out repository."""
    source = CONFIG_PATH.as_posix()
    config = load_config(checkout / CONFIG_PATH, source=source)
    try:
        target = AppTarget.model_validate(config.app)
    except ValidationError as exc:
        problems = "; ".join(describe_error(error, "app.") for error in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None
    return config, target


def server_of(api_url: str) -> str:
    """The configured GitHub server (from ``GITHUB_API_URL``): the only host that is given
    the token. URLs in the payload never decide where credentials go."""
    return github_server_url(api_url)


@contextmanager
def git_credentials(auth: GitAuth | None) -> Iterator[None]:
    """Give every git this job starts (ours, the facts reader's, lazy blob fetches of the
    partial clone) the token, as environment configuration scoped to the GitHub server, and
    allow HTTP(S) transports only.

    The worker runs each job in its own forked process, so this does not leak across jobs.
    """
    saved = {k: v for k, v in os.environ.items() if k.startswith(("GIT_CONFIG_", "GIT_ALLOW"))}
    # Repository configs name remotes: only HTTP(S) transports, never file://, ext:: or ssh.
    os.environ["GIT_ALLOW_PROTOCOL"] = "https:http"
    # A redirect must not take the job (and, with an older curl, its token) to another host.
    os.environ["GIT_CONFIG_PARAMETERS"] = "'http.followRedirects'='false'"
    if auth is None:
        try:
            yield
        finally:
            os.environ.pop("GIT_ALLOW_PROTOCOL", None)
            os.environ.update(saved)
        return
    count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    os.environ[f"GIT_CONFIG_KEY_{count}"] = f"http.{auth.server_url.rstrip('/')}/.extraheader"
    os.environ[f"GIT_CONFIG_VALUE_{count}"] = auth.header
    os.environ["GIT_CONFIG_COUNT"] = str(count + 1)
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith(("GIT_CONFIG_", "GIT_ALLOW"))]:
            del os.environ[key]
        os.environ.update(saved)


def clone_release(request: RunRequest, dest: Path, auth: GitAuth | None, server: str) -> Path:
    """History and tags without file contents, then the tree at the release's tag.

    The URL is built from the configured server and the validated ``owner/name``; a tag the
    repository does not have is a final error (retrying cannot make it appear)."""
    problem = full_name_problem(request.repository) or tag_problem(request.tag)
    if problem is not None:
        raise InputError(f"{request.repository[:120]}: {problem}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    git = Git(dest.parent, auth=auth)
    git.run("clone", "-q", "--filter=blob:none", "--no-checkout", "--",
            f"{server}/{request.repository}.git", str(dest))
    checkout = Git(dest, auth=auth)
    try:
        checkout.run("rev-parse", "-q", "--verify", f"refs/tags/{request.tag}^{{commit}}")
    except PublishError:
        raise InputError(f"{request.repository}: tag {request.tag!r} not found in the "
                         "repository") from None
    checkout.run("checkout", "-q", "--detach", f"refs/tags/{request.tag}")
    return dest


def _absolute(site_url: str, relative: str | None) -> str | None:
    if not relative:
        return None
    if re.match(r"^https?://", relative):
        return relative
    return site_url + relative if site_url else relative


def _site_url(site: Path) -> str:
    try:
        data = yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return ""
    return str(data.get("url") or "").rstrip("/") if isinstance(data, dict) else ""


def youtube_step(target: AppTarget, auth: YouTubeAuth | None) -> YouTubeStep | None:
    """The upload step when the repository asks for one; its settings come from the App."""
    if target.youtube is None:
        return None
    if auth is None:
        raise InputError(f"{CONFIG_PATH} sets app.youtube, but this App has no YouTube "
                         "credentials (YOUTUBE_CREDENTIALS_FILE)")
    options = options_from_inputs(privacy=target.youtube.privacy,
                                  playlist=target.youtube.playlist or "")
    return YouTubeStep(auth, options, Transport(
        api_endpoint=os.environ.get(ENDPOINT_ENV) or None,
        ca_certs=os.environ.get("HTTPLIB2_CA_CERTS") or None,
    ))


@dataclass
class ReleaseJobResult:
    outcome: Outcome
    timings: dict[str, float]
    commit_sha: str | None
    changed: bool
    pull_request_url: str | None = None


def build_and_publish(
    request: RunRequest,
    *,
    work_dir: Path,
    token: str | None,
    api_url: str,
    progress: Progress,
    youtube_auth: YouTubeAuth | None = None,
) -> ReleaseJobResult:
    """Everything after authentication; raises :class:`SkipRelease` or pipeline errors."""
    from pipeline.facts import collect_facts

    server = server_of(api_url)
    auth = GitAuth(token, server) if token else None
    with git_credentials(auth):
        with progress.stage("checkout", f"clone {request.repository} at {request.tag}"):
            checkout = clone_release(request, work_dir / "source", auth, server)
        config, target = read_repository_config(checkout)
        release = request.payload.get("release") or {}
        if release.get("prerelease") and not config.include_prereleases:
            raise SkipRelease(
                f"{request.tag} is a prerelease and {CONFIG_PATH} does not set "
                "include_prereleases: true"
            )
        with progress.stage("facts", "release facts"):
            facts = collect_facts(repo=checkout, event=request.payload)
        api = GitHubApi(token, api_url) if token else None
        blog = target.blog_repository or request.repository
        remote = target.blog_remote_url or f"{server}/{blog}.git"
        branch = target.blog_branch
        if branch is None and api is not None and not target.blog_remote_url:
            branch = api.pages_branch(blog)
        youtube = youtube_step(target, youtube_auth)

        def upload_to_youtube(build: BuildResult, site: Path, warn: Callable[[str], None]
                              ) -> None:
            assert youtube is not None
            with progress.stage("youtube", "upload to YouTube"):
                youtube.publish(build, post_url=_absolute(_site_url(site), build.output.post_url),
                                warn=warn)

        published = publish_release(
            facts,
            config,
            BlogTarget(remote_url=remote, branch=branch, site_path=target.site_path,
                       repository=blog, mode=target.publish_mode),
            work_dir=work_dir / "publish",
            auth=auth,
            api=api,
            options=PublishOptions(video_storage=target.video_storage, identity=APP_IDENTITY),
            progress=progress,
            after_build=upload_to_youtube if youtube is not None else None,
        )
    site_url = _site_url(published.build.site)
    outcome = Outcome(
        post_url=_absolute(site_url, published.post_url),
        video_url=_absolute(site_url, published.video_url),
        youtube_url=(youtube.url or None) if youtube is not None else None,
    )
    return ReleaseJobResult(outcome, dict(progress.timings), published.commit_sha,
                            published.changed, published.pull_request_url)
