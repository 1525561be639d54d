"""The publishing plan: what to do with one release event, decided once for every shell.

The GitHub Action reads its inputs, the App reads the ``app:`` section of the repository's
``.github/releasecast.yml``; both parse into one :class:`PublishRequest`, and
:func:`plan_release` turns event + config + request into a :class:`Skip` (with the reason) or
a :class:`Plan`: which release actions and prerelease rules apply, the blog target and branch,
where the reel goes and what YouTube does. The shells keep only what is theirs: reading inputs
and writing outputs (the Action), queues and tokens (the App).

Messages name a setting the way the caller's user writes it (``input 'site-path'`` in the
Action, ``app.site_path`` in the App), through the shell's :class:`Shell`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from .config import Config, describe_error
from .errors import InputError, ReleasecastError
from .youtube.config import PRIVACY_STATUSES, YouTubeOptions

if TYPE_CHECKING:
    from .github_api import GitHubApi

PublishMode = Literal["push", "pull-request"]
VideoStorage = Literal["repository", "release-asset", "none"]

# A release that is out: `published` (made public, release or prerelease), `released` (made
# public as a full release, or a prerelease promoted), `prereleased` (a prerelease made public).
PUBLISHED_ACTIONS = ("published", "released", "prereleased")
# A release that changed: its post is rebuilt in place (idempotent: an unchanged release commits
# nothing). Only where a person chose the events (a workflow's `on: release: types:`); the App
# hears every edit of every installed repository's notes, and rebuilding on each would queue a
# render per typo fix. `unpublished`/`deleted` are left to people: a post is never removed.
CHANGED_ACTIONS = ("created", "edited")

_OWNER_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class YouTubeRequest(BaseModel):
    """Upload the reel to YouTube: how it is shown. The credentials are the shell's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    privacy: str = "private"
    playlist: str | None = None  # a playlist id, or its URL (...playlist?list=PL...)
    publish_at: datetime | None = None  # schedule: private until then, then public

    @field_validator("privacy", mode="before")
    @classmethod
    def _privacy(cls, value: Any) -> Any:
        text = str(value or "").strip().lower() or "private"
        if text not in PRIVACY_STATUSES:
            raise ValueError(f"expected one of {', '.join(PRIVACY_STATUSES)}, got {value!r}")
        return text

    @field_validator("playlist", mode="before")
    @classmethod
    def _playlist(cls, value: Any) -> Any:
        text = str(value or "").strip()
        if text.startswith(("http://", "https://")):
            text = parse_qs(urlsplit(text).query).get("list", [""])[0]
            if not text:
                raise ValueError("the URL has no list=... parameter")
        return text or None

    @field_validator("publish_at", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        if value is None or isinstance(value, datetime):
            when = value
        elif not str(value).strip():
            return None
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError(f"expected an ISO 8601 time such as 2025-06-01T09:00:00Z, "
                                 f"got {value!r}") from None
        if when is None:
            return None
        if when.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2025-06-01T09:00:00Z")
        if when <= datetime.now(UTC):
            raise ValueError(f"{when.isoformat()} is in the past; give a future time or "
                             "leave it empty")
        return when

    def options(self) -> YouTubeOptions:
        return YouTubeOptions(privacy=self.privacy, publish_at=self.publish_at,
                              playlist_id=self.playlist)


class PublishRequest(BaseModel):
    """"Publish this release": the Action's inputs and the App's ``app:`` section, alike."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blog_repository: str | None = None  # OWNER/NAME; default: the released repository
    blog_branch: str | None = None  # default: the Pages branch, else the remote's default
    blog_remote_url: str | None = None  # default: <server>/<blog_repository>.git
    site_path: str = "."  # the Jekyll site inside the blog repository
    publish_mode: PublishMode = "push"
    video_storage: VideoStorage = "repository"
    include_prereleases: bool = False  # or the config's top-level include_prereleases
    dry_run: bool = False  # build, but commit, push and upload nothing
    youtube: YouTubeRequest | None = None  # absent: no upload

    @field_validator("blog_repository", "blog_branch", "blog_remote_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("blog_repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not _OWNER_NAME.fullmatch(value):
            raise ValueError(f"expected OWNER/NAME, got {value!r}")
        return value

    @field_validator("blog_remote_url")
    @classmethod
    def _remote(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A local path or file:// remote is for a workflow author's own machine and tests;
        # where the request comes from a repository (the App), only HTTP(S) remotes are taken.
        local_ok = bool((info.context or {}).get("local_remotes"))
        if value is not None and not local_ok and urlsplit(value).scheme not in ("https",
                                                                                 "http"):
            raise ValueError(f"expected an https:// Git URL, got {value!r}")
        return value

    @field_validator("site_path", mode="before")
    @classmethod
    def _inside(cls, value: Any) -> Any:
        text = str(value or "").strip() or "."
        path = PurePosixPath(text)
        if path.is_absolute() or ".." in path.parts or "\\" in text:
            raise ValueError(f"expected a path inside the blog repository, got {text!r}")
        return text


@dataclass(frozen=True)
class Shell:
    """What differs between the Action and the App, and nothing else.

    ``setting`` turns a request field's dotted path (``youtube.privacy``) into the name the
    caller's user knows; ``error`` is the error type its messages become.
    """

    name: str
    setting: Callable[[str], str]
    error: type[ReleasecastError] = InputError
    source: str = ""  # prefix of every message, e.g. ".github/releasecast.yml: "
    rebuild_changed: bool = False  # handle CHANGED_ACTIONS too
    local_remotes: bool = False

    @property
    def actions(self) -> tuple[str, ...]:
        return PUBLISHED_ACTIONS + (CHANGED_ACTIONS if self.rebuild_changed else ())

    def fail(self, field: str, message: str) -> ReleasecastError:
        return self.error(f"{self.source}{self.setting(field)}: {message}")


def parse_request(data: Mapping[str, Any], shell: Shell) -> PublishRequest:
    """Validate ``data``; every problem in one line, each named in the shell's terms."""
    try:
        return PublishRequest.model_validate(dict(data),
                                             context={"local_remotes": shell.local_remotes})
    except ValidationError as exc:
        problems = [describe_error({**error, "loc": (shell.setting(".".join(
            str(part) for part in error["loc"])),)}) for error in exc.errors()]
        raise shell.error(shell.source + "; ".join(problems)) from None


@dataclass(frozen=True)
class BlogTarget:
    """Where the post goes: a Git remote, a branch and the Jekyll site inside it."""

    remote_url: str
    branch: str | None = None  # None: the remote's default branch
    site_path: str = "."
    repository: str | None = None  # OWNER/NAME of the blog, for pull requests
    mode: PublishMode = "push"


@dataclass(frozen=True)
class Skip:
    """Not a release to publish; ``reason`` says why (shown, never an error)."""

    reason: str


@dataclass(frozen=True)
class Plan:
    """What publishing this release does."""

    event: dict[str, Any]  # the release event payload the facts are read from
    tag: str
    blog: BlogTarget
    video_storage: VideoStorage
    dry_run: bool
    youtube: YouTubeOptions | None  # None: no upload

    @property
    def needs_api(self) -> bool:
        return self.blog.mode == "pull-request" or self.video_storage == "release-asset"


def plan_release(
    event_name: str,
    event: Mapping[str, Any],
    config: Config,
    request: PublishRequest,
    shell: Shell,
    *,
    repository: str,
    server_url: str,
    api: GitHubApi | None = None,
    youtube_credentials: bool = False,
) -> Skip | Plan:
    """Decide what to do with a release event (``event_name`` as GitHub names it).

    ``repository`` is the released repository (OWNER/NAME), ``server_url`` its GitHub server;
    ``api`` (when there is a token) asks which branch GitHub Pages builds from;
    ``youtube_credentials``: whether the shell holds YouTube credentials.
    """
    if event_name != "release":
        return Skip(f"event '{event_name or 'unknown'}' is not handled: releasecast runs on "
                    "`release` events")
    action = event.get("action")
    if action not in shell.actions:
        return Skip(f"release event '{action}' is not one releasecast publishes "
                    f"({', '.join(shell.actions)})")
    release = event.get("release") or {}
    tag = str(release.get("tag_name") or "")
    if not tag:
        raise InputError("the release event has no release.tag_name")
    if release.get("draft"):
        return Skip(f"release {tag} is a draft: nothing is published until it is")
    prerelease = bool(release.get("prerelease")) or action == "prereleased"
    if prerelease and not (request.include_prereleases or config.include_prereleases):
        return Skip(f"release {tag} is a prerelease: set {shell.setting('include_prereleases')}"
                    " to true to publish prereleases")
    if request.youtube is not None and not youtube_credentials:
        raise shell.fail("youtube", "a YouTube upload is asked for, but there are no YouTube "
                                    "credentials (docs/youtube.md)")

    blog = request.blog_repository or repository
    if not _OWNER_NAME.fullmatch(blog):
        raise shell.fail("blog_repository", f"expected OWNER/NAME, got {blog!r}")
    branch = request.blog_branch
    if branch is None and api is not None and request.blog_remote_url is None:
        branch = api.pages_branch(blog)
    target = BlogTarget(
        remote_url=request.blog_remote_url or f"{server_url.rstrip('/')}/{blog}.git",
        branch=branch, site_path=request.site_path, repository=blog,
        mode=request.publish_mode,
    )
    plan = Plan(dict(event), tag, target, request.video_storage, request.dry_run,
                request.youtube.options() if request.youtube is not None else None)
    if plan.needs_api and api is None:
        what = ("publish_mode" if request.publish_mode == "pull-request" else "video_storage")
        raise shell.fail(what, f"{getattr(request, what)} needs the GitHub API: give a token")
    return plan
