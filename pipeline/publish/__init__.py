"""Publishing a release: build it into a checkout of the blog, then commit and push (or open a
pull request). The GitHub Action, the backfill command and the App worker all call
:func:`publish_release`.

Videos are kept out of Git when they must be: GitHub warns at 50 MiB and refuses files over
100 MiB, so a reel at or over ``max_video_bytes`` is never committed. With
``video_storage="release-asset"`` every reel goes to the release's assets and the post links
there; with ``"none"`` the post has no video and the reel stays in the work directory (for an
upload elsewhere).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..config import Config
from ..errors import InputError
from ..progress import Progress, quiet
from ..structure import ReleaseFacts
from .git import ACTIONS_BOT, Backoff, BlogCheckout, GitAuth, GitIdentity, remote_default_branch
from .github_api import GitHubApi

if TYPE_CHECKING:
    from ..build import BuildResult

VideoStorage = Literal["repository", "release-asset", "none"]
PublishMode = Literal["push", "pull-request"]
VIDEO_STORAGES: tuple[str, ...] = ("repository", "release-asset", "none")
PUBLISH_MODES: tuple[str, ...] = ("push", "pull-request")
MAX_COMMITTED_VIDEO_BYTES = 50 * 1024 * 1024
VIDEO_BLOCK = re.compile(r"(<!-- releasecast:video -->\n?)(.*?)(<!-- /releasecast:video -->)",
                         re.S)


@dataclass(frozen=True)
class BlogTarget:
    """Where the post goes: a Git remote, a branch and the Jekyll site inside it."""

    remote_url: str
    branch: str | None = None  # None: the remote's default branch
    site_path: str = "."
    repository: str | None = None  # OWNER/NAME of the blog, for pull requests
    mode: PublishMode = "push"


@dataclass(frozen=True)
class PublishOptions:
    video_storage: VideoStorage = "repository"
    dry_run: bool = False
    max_video_bytes: int = MAX_COMMITTED_VIDEO_BYTES
    backoff: Backoff = field(default_factory=Backoff)
    identity: GitIdentity = ACTIONS_BOT


@dataclass
class Published:
    """What was produced and where it landed. Paths are relative to the blog repository."""

    build: BuildResult
    branch: str
    post_path: str
    post_url: str
    image_paths: list[str]
    video_path: str | None  # the reel, when committed to the repository
    video_url: str | None  # what the post links to (site URL or release asset URL)
    commit_sha: str | None  # the commit holding the post (None on a dry run)
    changed: bool  # False: the blog already had exactly these files
    pull_request_url: str | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _site_url(site: Path, relative: Path) -> str:
    from ..site import read_settings

    return f"{read_settings(site).baseurl}/{relative.as_posix()}"


def _rewrite_video_block(post: Path, edit: Callable[[str], str]) -> None:
    text = post.read_text(encoding="utf-8")
    match = VIDEO_BLOCK.search(text)
    if match is None:
        return  # a user template without the markers: nothing we may safely change
    block = edit(match.group(2))
    post.write_text(text[: match.start(2)] + block + text[match.end(2):], encoding="utf-8")


def _place_videos(build: BuildResult, site: Path, options: PublishOptions, api: GitHubApi | None,
                  warn: Callable[[str], None]) -> tuple[str | None, str | None]:
    """Apply the storage policy to every reel in the site. Returns (video path kept in the
    repository, URL the post links to)."""
    output = build.output
    videos = [p for p in output.assets if p.suffix == ".mp4"]
    if not videos:
        return None, None
    main = output.video
    post = site / output.post
    main_url = _site_url(site, main) if main else None
    facts: ReleaseFacts = build.facts
    moved: dict[str, str] = {}  # site URL -> new URL
    for rel in videos:
        path = site / rel
        size = path.stat().st_size
        to_asset = options.video_storage == "release-asset"
        if options.video_storage == "repository" and size >= options.max_video_bytes:
            warn(f"{rel.name} is {size / 2**20:.1f} MiB, too large to commit "
                 f"(limit {options.max_video_bytes / 2**20:.1f} MiB)"
                 + ("; uploading it as a release asset instead" if api else
                    "; it is left out of the post (set video-storage: release-asset)"))
            to_asset = api is not None
        elif options.video_storage == "repository":
            continue
        url = None
        if to_asset and options.dry_run:
            warn(f"dry run: {rel.name} would be uploaded to release {facts.tag}")
            continue
        if to_asset:
            assert api is not None
            name = f"{build.slug}-{rel.name}"
            url = api.upload_release_asset(facts.repository.full_name, facts.tag, path, name,
                                           label=f"releasecast reel ({rel.stem})")
        moved[_site_url(site, rel)] = url or ""
        path.unlink()
    if not moved:
        return (main.as_posix() if main else None), main_url

    def relink(block: str) -> str:
        if main_url in moved and not moved[main_url]:
            return ""  # the reel is nowhere the reader can get it: no player, no dead link
        for old, new in moved.items():
            if new:
                block = block.replace(old, new)
        return block

    _rewrite_video_block(post, relink)
    if main_url in moved:
        return None, moved[main_url] or None
    return (main.as_posix() if main else None), main_url


def _repo_path(site_path: str, relative: Path | str) -> str:
    return (Path(site_path) / relative).as_posix().removeprefix("./")


def publish_release(
    facts: ReleaseFacts,
    config: Config,
    target: BlogTarget,
    *,
    work_dir: Path,
    auth: GitAuth | None = None,
    api: GitHubApi | None = None,
    options: PublishOptions | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    build_options: dict[str, Any] | None = None,
    after_build: Callable[[BuildResult, Path, Callable[[str], None]], None] | None = None,
) -> Published:
    """Clone the blog, build the release into it, apply the video policy, commit and push (or
    open a pull request). A re-run for the same release changes nothing and commits nothing.

    ``after_build(build, site, warn)`` runs before the commit (not on a dry run), so what it
    changes in the site is committed too: the YouTube upload records its video in the post."""
    from ..build import build_release

    options = options or PublishOptions()
    progress = progress or quiet()
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        (warn or progress.say)(message)

    if options.video_storage not in VIDEO_STORAGES:
        raise InputError(f"video storage: expected one of {', '.join(VIDEO_STORAGES)}, "
                         f"got {options.video_storage!r}")
    if target.mode not in PUBLISH_MODES:
        raise InputError(f"publish mode: expected push or pull-request, got {target.mode!r}")
    needs_api = target.mode == "pull-request" or options.video_storage == "release-asset"
    if needs_api and api is None:
        raise InputError(f"{target.mode} / video storage {options.video_storage} needs the "
                         "GitHub API: give a token")
    if target.mode == "pull-request" and not target.repository:
        raise InputError("pull-request mode needs the blog repository as OWNER/NAME")

    started = time.perf_counter()
    with progress.stage("clone", "clone the blog"):
        branch = target.branch or remote_default_branch(target.remote_url, auth=auth) or "main"
        checkout = BlogCheckout.clone(target.remote_url, branch, work_dir / "blog", auth=auth,
                                      identity=options.identity, backoff=options.backoff)
    if target.mode == "pull-request" and not checkout.exists_on_remote:
        raise InputError(f"pull-request mode: the branch '{branch}' does not exist in "
                         f"{target.repository}; a pull request needs a branch to merge into")
    site = checkout.path / target.site_path
    build = build_release(facts, config, site, work_dir=work_dir / "build", progress=progress,
                          **(build_options or {}))
    output = build.output
    with progress.stage("videos", "reel storage"):
        video_path, video_url = _place_videos(build, site, options, api, note)
    if after_build is not None and not options.dry_run:
        after_build(build, site, note)

    published = Published(
        build=build, branch=branch,
        post_path=_repo_path(target.site_path, output.post),
        post_url=output.post_url,
        image_paths=[_repo_path(target.site_path, p) for p in output.images],
        video_path=_repo_path(target.site_path, video_path) if video_path else None,
        video_url=video_url, commit_sha=None, changed=False, warnings=warnings,
    )
    if options.dry_run:
        published.changed = True
        published.timings = {**build.timings, "publish": time.perf_counter() - started}
        return published

    with progress.stage("publish", f"{target.mode} to {branch}"):
        _commit_and_send(checkout, build, target, published, api, note)
    published.timings = dict(progress.timings)
    return published


def _commit_and_send(checkout: BlogCheckout, build: BuildResult, target: BlogTarget,
                     published: Published, api: GitHubApi | None,
                     note: Callable[[str], None]) -> None:
    facts: ReleaseFacts = build.facts
    output = build.output
    assets_dirs = {_repo_path(target.site_path, p.parent) for p in output.assets}
    posts_dir = _repo_path(target.site_path, output.post.parent)
    was_there = bool(checkout.git.run("ls-files", "--", published.post_path).stdout.strip())
    verb = "Update" if was_there else "Add"
    message = (f"{verb} release post for {facts.repository.full_name} {facts.tag}\n\n"
               f"Generated by releasecast from {facts.url or facts.tag}.")
    sha = checkout.commit([posts_dir, *sorted(assets_dirs)], message)
    published.changed = sha is not None
    if target.mode == "push":
        if sha is None:
            published.commit_sha = checkout.git.head() if checkout.exists_on_remote else None
            return
        published.commit_sha = checkout.push(on_retry=note)
        return
    if sha is None:
        note(f"{target.repository} {checkout.branch} already has this post: no pull request")
        published.commit_sha = checkout.git.head()
        return
    head = f"releasecast/{build.slug}"
    checkout.push_branch(head)
    assert api is not None and target.repository
    pull = api.open_pull_request(
        target.repository, head=head, base=checkout.branch,
        title=f"{verb} release post: {facts.repository.full_name} {facts.tag}",
        body=(f"The release post for [{facts.tag}]({facts.url}), generated by releasecast.\n\n"
              f"- Post: `{published.post_path}`\n"
              f"- Images: {len(published.image_paths)}\n"
              f"- Reel: {published.video_url or 'none'}\n"),
    )
    published.commit_sha = checkout.git.head()
    published.pull_request_url = pull.url
