"""Publishing a release to a blog: clone it, render everything, place the reels (committed,
release assets, YouTube), write the post once, then commit and push (or open a pull request).
The Action, the App worker and the tests call :func:`publish_release` with a
:class:`~pipeline.plan.Plan`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..build import BuildResult, Rendered, render_release, write_release
from ..config import Config
from ..errors import InputError
from ..github_api import GitHubApi
from ..plan import BlogTarget, Plan
from ..progress import Progress, quiet
from ..retry import RetryPolicy
from ..site import VideoPlacement, check_site, post_url, posts_for, read_settings
from ..site.post import post_filename
from ..structure import ReleaseFacts
from ..youtube import YouTubeVideo
from ..youtube.config import Transport, YouTubeAuth
from .git import ACTIONS_BOT, PUSH_RETRY, BlogCheckout, GitAuth, GitIdentity, remote_default_branch
from .videos import MAX_COMMITTED_VIDEO_BYTES, place_reels

__all__ = ["BlogTarget", "PublishOptions", "Published", "YouTubeAccess", "publish_release"]


@dataclass(frozen=True)
class PublishOptions:
    """How, rather than what: the shell's identity and limits."""

    max_video_bytes: int = MAX_COMMITTED_VIDEO_BYTES
    push_retry: RetryPolicy = PUSH_RETRY
    identity: GitIdentity = ACTIONS_BOT
    setting: Callable[[str], str] = str  # a request field -> its name in the caller's terms


@dataclass(frozen=True)
class YouTubeAccess:
    """The shell's YouTube credentials and how to reach the API."""

    auth: YouTubeAuth
    transport: Transport = field(default_factory=Transport)


@dataclass
class Published:
    """What was produced and where it landed. Paths are relative to the blog repository."""

    build: BuildResult
    branch: str
    post_path: str
    post_url: str  # absolute when the site's _config.yml has a `url`
    image_paths: list[str]
    video_path: str | None  # the reel, when committed to the repository
    video_url: str | None  # what the post links to (site URL or release asset URL)
    commit_sha: str | None  # the commit holding the post (None on a dry run)
    changed: bool  # False: the blog already had exactly these files
    pull_request_url: str | None = None
    youtube: YouTubeVideo | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _repo_path(site_path: str, relative: Path | str) -> str:
    return (Path(site_path) / relative).as_posix().removeprefix("./")


def publish_release(
    plan: Plan,
    facts: ReleaseFacts,
    config: Config,
    *,
    work_dir: Path,
    auth: GitAuth | None = None,
    api: GitHubApi | None = None,
    youtube: YouTubeAccess | None = None,
    options: PublishOptions | None = None,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> Published:
    """Carry out ``plan`` for ``facts``. A re-run for the same release changes nothing and
    commits nothing; the YouTube upload (not on a dry run) happens before the post is
    written, so the committed post already records the video."""
    options = options or PublishOptions()
    progress = progress or quiet()
    warnings: list[str] = []
    target = plan.blog

    def note(message: str) -> None:
        warnings.append(message)
        (warn or progress.say)(message)

    if plan.needs_api and api is None:
        raise InputError(f"{target.mode} / video storage {plan.video_storage} needs the "
                         "GitHub API: give a token")
    if plan.youtube is not None and youtube is None and not plan.dry_run:
        raise InputError("a YouTube upload is planned, but no YouTube credentials were given")

    started = time.perf_counter()
    with progress.stage("clone", "clone the blog"):
        branch = target.branch or remote_default_branch(target.remote_url, auth=auth) or "main"
        checkout = BlogCheckout.clone(target.remote_url, branch, work_dir / "blog", auth=auth,
                                      identity=options.identity, retry=options.push_retry)
    if target.mode == "pull-request" and not checkout.exists_on_remote:
        raise InputError(f"pull-request mode: the branch '{branch}' does not exist in "
                         f"{target.repository}; a pull request needs a branch to merge into")
    site = checkout.path / target.site_path
    check_site(site)
    rendered = render_release(facts, config, work_dir=work_dir / "build", progress=progress)
    with progress.stage("videos", "reel storage"):
        elsewhere = place_reels(rendered, plan.video_storage, api=api, dry_run=plan.dry_run,
                                note=note, max_bytes=options.max_video_bytes,
                                storage_setting=options.setting("video_storage"))
    video = None
    if plan.youtube is not None and youtube is not None and not plan.dry_run:
        with progress.stage("youtube", "upload to YouTube"):
            video = _to_youtube(rendered, config, site, plan, youtube, note)
    build = write_release(rendered, config, site, progress=progress, placement=VideoPlacement(
        elsewhere, video.record if video is not None else None))
    output = build.output
    main_url = (elsewhere.get(rendered.story.language) if rendered.story.language in elsewhere
                else (f"{read_settings(site).baseurl}/{output.video.as_posix()}"
                      if output.video else None))

    published = Published(
        build=build, branch=branch,
        post_path=_repo_path(target.site_path, output.post),
        post_url=read_settings(site).absolute(output.post_url),
        image_paths=[_repo_path(target.site_path, p) for p in output.images],
        video_path=_repo_path(target.site_path, output.video) if output.video else None,
        video_url=main_url, commit_sha=None, changed=False, youtube=video, warnings=warnings,
    )
    if plan.dry_run:
        published.changed = True
        published.timings = {**build.timings, "publish": time.perf_counter() - started}
        return published

    with progress.stage("publish", f"{target.mode} to {branch}"):
        _commit_and_send(checkout, build, target, published, api, note)
    published.timings = dict(progress.timings)
    return published


def _to_youtube(rendered: Rendered, config: Config, site: Path, plan: Plan,
                access: YouTubeAccess, note: Callable[[str], None]) -> YouTubeVideo:
    """Upload the reel (or find the one an earlier run made) before the post is written."""
    from ..youtube import ReelUpload, publish_to_youtube

    reel = rendered.reel
    if reel is None:
        raise InputError("YouTube: this build made no reel (reel.enabled is false)")
    assert plan.youtube is not None
    captions = {lang: path for lang, track in rendered.reels.items()
                if (path := track.captions_vtt or track.captions_srt) is not None}
    posts = site / config.output.posts_dir
    earlier = [posts / post_filename(rendered.facts, rendered.slug),
               *posts_for(posts, rendered.slug)]
    settings = read_settings(site)
    upload = ReelUpload(
        video=reel.video, post=next((p for p in earlier if p.is_file()), None),
        facts=rendered.facts, story=rendered.story, duration=reel.duration, width=reel.width,
        height=reel.height, captions=captions, thumbnail=rendered.artwork.cover,
        post_url=settings.absolute(post_url(rendered.facts, rendered.slug, settings)),
    )
    return publish_to_youtube(upload, access.auth, plan.youtube, transport=access.transport,
                              warn=note)


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
