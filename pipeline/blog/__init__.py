"""Publishing a release to a blog: clone it, render everything, place the reels (committed,
release assets, YouTube), write the post once, then commit and push (or open a pull request).
The Action, the App worker and the tests call :func:`publish_release` with a
:class:`~pipeline.plan.Plan`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..build import BuildResult, Rendered, render_release, write_release
from ..config import Config
from ..errors import InputError
from ..fingerprint import FRONT_MATTER_KEY, inputs_fingerprint
from ..github_api import GitHubApi
from ..plan import BlogTarget, Plan
from ..progress import Progress, quiet
from ..release_link import with_links
from ..retry import RetryPolicy
from ..site import VideoPlacement, check_site, post_url, posts_for, read_settings
from ..site.post import post_filename, read_front_matter
from ..site.scaffold import create_site, is_placeholder, pages_address
from ..site.slug import release_slug
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
    # The GitHub server the blog repository is on: on github.com a new site's Pages address
    # is known without asking (create_site).
    server_url: str | None = None


@dataclass(frozen=True)
class YouTubeAccess:
    """The shell's YouTube credentials and how to reach the API."""

    auth: YouTubeAuth
    transport: Transport = field(default_factory=Transport)


@dataclass
class Published:
    """What was produced and where it landed. Paths are relative to the blog repository."""

    build: BuildResult | None  # None: the blog already had this post, nothing was rendered
    facts: ReleaseFacts
    site: Path  # the Jekyll site in the blog checkout (inside the caller's work_dir)
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
    reel_seconds: float | None = None  # the reel's length, when this run rendered one
    commit_branch: str | None = None  # where commit_sha is, when not `branch` (a PR's head)
    created_site: bool = False  # a blank Jekyll site was started (create_site)
    release_link: bool = False  # the release body's link line was added or updated


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
    with progress.stage("check", "check the blog"):
        created_site = _require_site(site, plan, config, options, api, note)
        fingerprint = inputs_fingerprint(facts, config, _placement(plan, site))
        unchanged = _unchanged(site, config, facts, plan, fingerprint)
    if unchanged is not None:
        published = _as_published(unchanged, site, checkout, target, facts, config, warnings)
        if not plan.dry_run:
            _after_publish(plan, published, api, note)
        published.timings = dict(progress.timings)
        return published
    rendered = render_release(facts, config, work_dir=work_dir / "build", progress=progress,
                              site=site)
    with progress.stage("videos", "reel storage"):
        elsewhere = place_reels(rendered, plan.video_storage, api=api, dry_run=plan.dry_run,
                                note=note, max_bytes=options.max_video_bytes,
                                storage_setting=options.setting("video_storage"))
    video = None
    if plan.youtube is not None and youtube is not None and not plan.dry_run:
        with progress.stage("youtube", "upload to YouTube"):
            video = _to_youtube(rendered, config, site, plan, youtube, note)
    build = write_release(rendered, config, site, progress=progress, placement=VideoPlacement(
        elsewhere, video.record if video is not None else None),
        front_matter={FRONT_MATTER_KEY: fingerprint})
    output = build.output
    settings = read_settings(site)
    main_url = (elsewhere.get(rendered.story.language) if rendered.story.language in elsewhere
                else (settings.absolute(f"{settings.baseurl}/{output.video.as_posix()}")
                      if output.video else None))

    published = Published(
        build=build, facts=facts, site=site, branch=branch,
        post_path=_repo_path(target.site_path, output.post),
        post_url=settings.absolute(output.post_url),
        image_paths=[_repo_path(target.site_path, p) for p in output.images],
        video_path=_repo_path(target.site_path, output.video) if output.video else None,
        video_url=main_url, commit_sha=None, changed=False, youtube=video, warnings=warnings,
        reel_seconds=rendered.reel.duration if rendered.reel is not None else None,
        created_site=created_site,
    )
    if plan.dry_run:
        published.changed = True
        published.timings = {**build.timings, "publish": time.perf_counter() - started}
        return published

    with progress.stage("publish", f"{target.mode} to {branch}"):
        _commit_and_send(checkout, build, target, published, api, note)
    _after_publish(plan, published, api, note)
    published.timings = dict(progress.timings)
    return published


def _require_site(site: Path, plan: Plan, config: Config, options: PublishOptions,
                  api: GitHubApi | None, note: Callable[[str], None]) -> bool:
    """A post only goes into a Jekyll site: a mistyped site path must not commit a stray
    folder to the blog's branch. Returns whether a blank site was started."""
    setting = options.setting
    check_site(site)
    created = False
    if not (site / "_config.yml").is_file() and (plan.require_site or plan.create_site):
        if not plan.create_site:
            where = plan.blog.site_path
            raise InputError(
                f"{setting('site_path')}: '{where}' in {plan.blog.repository or 'the blog'} is "
                f"not a Jekyll site (no {_repo_path(where, '_config.yml')}): fix the path, commit "
                f"a site there first (`jekyll new --blank {where}`), or set "
                f"{setting('create_site')} to true to start a blank one")
        _start_site(site, plan, options, api, note)
        created = True
    layout = config.output.layout
    if not layout or not (site / "_config.yml").is_file() or \
            (site / "_layouts" / f"{layout}.html").is_file():
        return created
    settings = (site / "_config.yml").read_text(encoding="utf-8", errors="replace")
    if re.search(r"^\s*(remote_)?theme\s*:\s*\S", settings, re.M):
        return created  # a theme brings its layouts
    note(f"the site has no `{layout}` layout (_layouts/{layout}.html) and no theme: posts "
         f"render as bare text; add `theme: minima` to _config.yml or a _layouts/{layout}.html "
         "(or set output.layout in .github/releasecast.yml)")
    return created


def _start_site(site: Path, plan: Plan, options: PublishOptions, api: GitHubApi | None,
                note: Callable[[str], None]) -> None:
    """A blank site that knows where it will be served, so the post, its closing card and
    the release's link point at the real pages."""
    repository = plan.blog.repository
    address = pages_address(
        repository, pages_url=api.pages_url(repository) if api is not None else None,
        server_url=options.server_url) if repository else None
    create_site(site, address=address)
    started = (f"started a blank Jekyll site in '{plan.blog.site_path}' "
               f"({options.setting('create_site')})")
    if address is not None:
        note(f"{started}, served at {address} ({address.source}); if it is served elsewhere, "
             "change `url` and `baseurl` in its _config.yml")
    else:
        note(f"{started} with a placeholder `url`: GitHub did not say where "
             f"{repository or 'the blog'} is served; set `url` and `baseurl` in its "
             "_config.yml so the post, its closing card and the release can link to it")


def _placement(plan: Plan, site: Path) -> dict[str, object]:
    """What the caller decided that changes the post, for the fingerprint. YouTube's options
    only shape the one upload, whose video the post keeps (see :func:`_unchanged`)."""
    settings = read_settings(site)
    return {"video_storage": plan.video_storage,
            "site": [settings.url, settings.baseurl, settings.permalink]}


def _unchanged(site: Path, config: Config, facts: ReleaseFacts, plan: Plan,
               fingerprint: str) -> Path | None:
    """The published post, when it was made from exactly these inputs (and has the YouTube
    video this run would upload)."""
    posts = site / config.output.posts_dir
    slug = release_slug(facts)
    for post in [posts / post_filename(facts, slug), *posts_for(posts, slug)]:
        matter = read_front_matter(post)
        if matter.get(FRONT_MATTER_KEY) != fingerprint:
            continue
        if plan.youtube is not None and not matter.get("youtube_id"):
            continue
        if (site / config.output.assets_dir / slug).is_dir():
            return post
    return None


def _as_published(post: Path, site: Path, checkout: BlogCheckout, target: BlogTarget,
                  facts: ReleaseFacts, config: Config, warnings: list[str]) -> Published:
    """What an unchanged re-run reports: the post and files already on the branch."""
    assets = site / config.output.assets_dir / release_slug(facts)
    files = sorted(p for p in assets.iterdir() if p.is_file())
    video = next((p for p in files if p.name == "reel.mp4"), None)
    matter = read_front_matter(post)
    settings = read_settings(site)
    slug = release_slug(facts)
    return Published(
        build=None, facts=facts, site=site, branch=checkout.branch,
        post_path=_repo_path(target.site_path, post.relative_to(site)),
        post_url=settings.absolute(post_url(facts, slug, settings)),
        image_paths=[_repo_path(target.site_path, p.relative_to(site)) for p in files
                     if p.suffix == ".png"],
        video_path=_repo_path(target.site_path, video.relative_to(site)) if video else None,
        video_url=settings.absolute(str(matter["video"])) if matter.get("video") else None,
        commit_sha=checkout.git.head() if checkout.exists_on_remote else None,
        changed=False, warnings=warnings,
        youtube=(YouTubeVideo(str(matter["youtube_id"]), str(matter.get("youtube_url") or ""),
                              created=False) if matter.get("youtube_id") else None),
    )


def _after_publish(plan: Plan, published: Published, api: GitHubApi | None,
                   note: Callable[[str], None]) -> None:
    """The release's link back to its post, and the site's rebuild, once the post is out."""
    if api is None or plan.blog.repository is None:
        return
    release = plan.event.get("release") or {}
    repository = (plan.event.get("repository") or {}).get("full_name")
    settings = read_settings(published.site) if plan.release_link else None
    if plan.release_link and plan.blog.mode == "pull-request":
        note("release link: not added in pull-request mode (the post is not live until the "
             "pull request is merged)")
    elif settings is not None and (is_placeholder(settings.url) or
                                   not published.post_url.startswith(("https://", "http://"))):
        note("release link: the site's _config.yml sets no `url` (or a placeholder), so the "
             "post has no address to link from the release; set `url: https://...` there")
    elif settings is not None and repository and release.get("id"):
        video = published.video_url  # absolute, as post_url is: the site's url is set
        published.release_link = api.edit_release_body(
            repository, int(release["id"]), lambda now: with_links(now, published.post_url, video))
    if not published.changed:
        return
    if plan.request_pages_build:
        api.request_pages_build(plan.blog.repository)
    if plan.pages_workflow:
        api.dispatch_workflow(plan.blog.repository, plan.pages_workflow, published.branch)


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
    started = [_repo_path(target.site_path, ".")] if published.created_site else []
    sha = checkout.commit([*started, posts_dir, *sorted(assets_dirs)], message)
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
    published.commit_branch = head
    if not checkout.push_branch(head):
        # The pull request's branch already holds these files: its tip is the commit.
        published.changed = False
        tip = checkout.git.run("ls-remote", "origin", f"refs/heads/{head}").stdout.split()
        published.commit_sha = tip[0] if tip else None
    assert api is not None and target.repository
    pull = api.open_pull_request(
        target.repository, head=head, base=checkout.branch,
        title=f"{verb} release post: {facts.repository.full_name} {facts.tag}",
        body=(f"The release post for [{facts.tag}]({facts.url}), generated by releasecast.\n\n"
              f"- Post: `{published.post_path}`\n"
              f"- Images: {len(published.image_paths)}\n"
              f"- Reel: {published.video_url or 'none'}\n"),
    )
    if published.changed:
        published.commit_sha = checkout.git.head()
    published.pull_request_url = pull.url
