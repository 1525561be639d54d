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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .config import Config, describe_error
from .errors import InputError, ReleasecastError
from .request import (
    OWNER_NAME,
    PublishMode,
    PublishRequest,
    VideoStorage,
    YouTubeRequest,
)
from .youtube.config import YouTubeOptions

__all__ = ["BlogTarget", "Plan", "PublishMode", "PublishRequest", "Shell", "Skip",
           "VideoStorage", "YouTubeRequest", "parse_request", "plan_release", "release_skip"]

if TYPE_CHECKING:
    from .github_api import GitHubApi


# A release that is out: `published` (made public, release or prerelease), `released` (made
# public as a full release, or a prerelease promoted), `prereleased` (a prerelease made public).
PUBLISHED_ACTIONS = ("published", "released", "prereleased")
# A release that changed: its post is rebuilt in place (idempotent: an unchanged release commits
# nothing). Only where a person chose the events (a workflow's `on: release: types:`); the App
# hears every edit of every installed repository's notes, and rebuilding on each would queue a
# render per typo fix. `unpublished`/`deleted` are left to people: a post is never removed.
CHANGED_ACTIONS = ("created", "edited")

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
    require_site: bool = False  # the site path must already be a Jekyll site (or create_site)

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
    create_site: bool = False
    release_link: bool = False
    request_pages_build: bool = False
    pages_workflow: str | None = None
    require_site: bool = False

    @property
    def needs_api(self) -> bool:
        return (self.blog.mode == "pull-request" or self.video_storage == "release-asset"
                or self.release_link or self.request_pages_build or bool(self.pages_workflow))


def release_skip(release: Mapping[str, Any], *, include_prereleases: bool,
                 setting: Callable[[str], str] = str, prerelease: bool = False) -> Skip | None:
    """Whether a release (as the API or an event describes it) is one to write about: never a
    draft; a prerelease only when asked. ``setting`` names include_prereleases for the user."""
    tag = release.get("tag_name")
    if release.get("draft"):
        return Skip(f"release {tag} is a draft: nothing is published until it is")
    if (prerelease or release.get("prerelease")) and not include_prereleases:
        return Skip(f"release {tag} is a prerelease: set {setting('include_prereleases')}"
                    " to true to publish prereleases")
    return None


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
    skip = release_skip(release, include_prereleases=request.include_prereleases
                        or config.include_prereleases, setting=shell.setting,
                        prerelease=action == "prereleased")
    if skip is not None:
        return skip
    if request.youtube is not None and not youtube_credentials:
        raise shell.fail("youtube", "a YouTube upload is asked for, but there are no YouTube "
                                    "credentials (docs/youtube.md)")

    blog = request.blog_repository or repository
    if not OWNER_NAME.fullmatch(blog):
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
                request.youtube.options() if request.youtube is not None else None,
                create_site=request.create_site, release_link=request.release_link,
                request_pages_build=request.request_pages_build,
                pages_workflow=request.pages_workflow, require_site=shell.require_site)
    if plan.needs_api and api is None:
        what = next(name for name, wanted in (
            ("publish_mode", request.publish_mode == "pull-request"),
            ("video_storage", request.video_storage == "release-asset"),
            ("release_link", request.release_link),
            ("request_pages_build", request.request_pages_build),
            ("pages_workflow", True)) if wanted)
        raise shell.fail(what, f"{getattr(request, what)} needs the GitHub API: give a token")
    return plan
