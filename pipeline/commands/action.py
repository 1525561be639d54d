"""``releasecast action``: the GitHub Action's entrypoint (the Docker image runs it).

Reads the runner's contract (``INPUT_*``, ``GITHUB_*``, the event file), decides whether the
event is a release to publish, builds it into the blog and pushes, then writes the step's
outputs and a Markdown report. Errors become one ``::error::`` line and a non-zero exit.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import click
import yaml

from ..config import Config, load_config
from ..errors import InputError, ReleasecastError
from ..progress import Progress
from ..publish import (
    PUBLISH_MODES,
    VIDEO_STORAGES,
    BlogTarget,
    Published,
    PublishMode,
    PublishOptions,
    VideoStorage,
    publish_release,
)
from ..publish.git import GitAuth
from ..publish.github_api import GitHubApi
from ..facts.shallow import ensure_history, facts_tag, settle_counts
from ..publish.releases import facts_for, release_event
from ..publish.youtube import YouTubeStep
from ..runner import (
    Commands,
    Inputs,
    RunnerContext,
    append_summary,
    trust_directory,
    write_outputs,
)
from ..structure import ReleaseFacts

# Release event actions that mean "this release is (now) out, or changed": build its post.
# `edited` rebuilds the same post (idempotent); unpublished/deleted are left to people.
HANDLED_RELEASE_ACTIONS = ("published", "released", "prereleased", "created", "edited")
OUTPUT_NAMES = ("result", "post-path", "post-url", "video-path", "video-url", "image-paths",
                "commit-sha", "pull-request-url", "youtube-url")


@dataclass(frozen=True)
class ActionSettings:
    """The action's inputs, validated."""

    token: str
    site_path: str
    blog_repository: str
    blog_branch: str
    blog_remote_url: str
    publish_mode: PublishMode
    config: str
    dry_run: bool
    include_prereleases: bool
    video_storage: VideoStorage
    tag: str
    youtube: YouTubeStep | None = None  # None: no YouTube secrets given

    @classmethod
    def read(cls, inputs: Inputs, ctx: RunnerContext) -> ActionSettings:
        site_path = inputs.text("site-path", ".")
        if Path(site_path).is_absolute() or ".." in Path(site_path).parts:
            raise InputError(f"input 'site-path': expected a path inside the blog repository, "
                             f"got {site_path!r}")
        blog = inputs.text("blog-repository", ctx.repository)
        if blog.count("/") != 1 or not all(blog.split("/")):
            raise InputError(f"input 'blog-repository': expected OWNER/NAME, got {blog!r}")
        return cls(
            token=inputs.text("github-token"),
            site_path=site_path,
            blog_repository=blog,
            blog_branch=inputs.text("blog-branch"),
            blog_remote_url=inputs.text("blog-remote-url"),
            publish_mode=cast(PublishMode, inputs.choice("publish-mode", PUBLISH_MODES, "push")),
            config=inputs.text("config", ".github/releasecast.yml"),
            dry_run=inputs.flag("dry-run"),
            include_prereleases=inputs.flag("include-prereleases"),
            video_storage=cast(VideoStorage,
                               inputs.choice("video-storage", VIDEO_STORAGES, "repository")),
            tag=inputs.text("tag"),
            youtube=YouTubeStep.from_inputs(inputs),
        )


class Skip(Exception):
    """The event is valid but not one to publish; the message says why (a notice, exit 0)."""


def _release_event(event: dict[str, Any], ctx: RunnerContext, settings: ActionSettings,
                   api: GitHubApi | None) -> dict[str, Any]:
    """The release event to build from: the triggering one, or, for a manual run, one made
    from the API's description of the release named by the `tag` input."""
    if ctx.event_name == "release":
        action = event.get("action")
        if action not in HANDLED_RELEASE_ACTIONS:
            raise Skip(f"release event '{action}' is not one releasecast publishes "
                       f"({', '.join(HANDLED_RELEASE_ACTIONS)})")
        return event
    if ctx.event_name == "workflow_dispatch":
        dispatch_inputs = event.get("inputs") or {}
        tag = str(dispatch_inputs.get("tag") or settings.tag).strip()
        if not tag:
            raise InputError("workflow_dispatch: give the release to regenerate as a `tag` "
                             "workflow input (or the action's `tag` input)")
        if api is None:
            raise InputError("workflow_dispatch: reading the release needs `github-token`")
        return release_event(api.release_by_tag(ctx.repository, tag),
                             api.repository(ctx.repository))
    raise Skip(f"event '{ctx.event_name or 'unknown'}' is not handled: releasecast runs on "
               "`release` and `workflow_dispatch` events")


def _absolute_post_url(site: Path, relative: str) -> str:
    try:
        data = yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return relative
    base = str(data.get("url") or "").rstrip("/") if isinstance(data, dict) else ""
    return base + relative if base else relative


def _summary(published: Published, settings: ActionSettings, ctx: RunnerContext,
             post_url: str) -> str:
    facts = published.build.facts
    blog = f"{ctx.server_url}/{settings.blog_repository}"
    lines = [f"### releasecast: {facts.repository.full_name} {facts.tag}", ""]
    if settings.dry_run:
        lines += ["**Dry run**: built, nothing committed, pushed or uploaded.", ""]
    lines += ["| | |", "|---|---|",
              f"| Post | [`{published.post_path}`]({blog}/blob/{published.branch}/"
              f"{published.post_path}) · [{post_url}]({post_url}) |",
              f"| Images | {len(published.image_paths)} |"]
    reel = published.build.reel
    if published.video_path:
        lines.append(f"| Reel | `{published.video_path}` ({reel.duration:.1f} s) |")
    elif published.video_url:
        lines.append(f"| Reel | [release asset]({published.video_url}) ({reel.duration:.1f} s) |")
    else:
        lines.append("| Reel | none in the post |")
    if published.pull_request_url:
        lines.append(f"| Pull request | {published.pull_request_url} |")
    if settings.youtube is not None and settings.youtube.video is not None:
        lines.append(f"| YouTube | {settings.youtube.url} |")
    if published.commit_sha and published.changed:
        lines.append(f"| Commit | [`{published.commit_sha[:7]}`]({blog}/commit/"
                     f"{published.commit_sha}) on `{published.branch}` |")
    elif not settings.dry_run:
        lines.append(f"| Commit | none: `{published.branch}` already had these files |")
    if published.warnings:
        lines += ["", "**Warnings**", "", *[f"- {w}" for w in published.warnings]]
    total = sum(published.timings.values())
    lines += ["", "<details><summary>Stage timings</summary>", "", "| Stage | Seconds |",
              "|---|---:|",
              *[f"| {name} | {seconds:.2f} |" for name, seconds in published.timings.items()],
              f"| **total** | **{total:.2f}** |", "", "</details>"]
    if ctx.run_url:
        lines += ["", f"[Workflow run]({ctx.run_url})"]
    return "\n".join(lines) + "\n"


def _result(published: Published, settings: ActionSettings) -> str:
    if settings.dry_run:
        return "dry-run"
    if published.pull_request_url:
        return "pull-request"
    return "published" if published.changed else "unchanged"


def run_action(env: Mapping[str, str] | None = None) -> Published | None:
    """The whole step. Returns what was published, or None when the event was skipped."""
    import os

    env = os.environ if env is None else env
    cmd = Commands()
    ctx = RunnerContext.from_env(env)
    inputs = Inputs(env)
    token = inputs.text("github-token")
    if token:
        cmd.mask(token)
        cmd.mask(GitAuth(token).header.split()[-1])
    cmd.mask(inputs.text("youtube-client-secret"))
    cmd.mask(inputs.text("youtube-refresh-token"))
    try:
        return _run(cmd, ctx, inputs)
    except ReleasecastError as exc:
        cmd.error(str(exc), title="releasecast")
        raise
    except Exception as exc:
        # A bug: say so on the run's page too; the traceback follows in the log.
        cmd.error(f"releasecast failed unexpectedly: {type(exc).__name__}: {exc}",
                  title="releasecast")
        raise


def _run(cmd: Commands, ctx: RunnerContext, inputs: Inputs) -> Published | None:
    settings = ActionSettings.read(inputs, ctx)
    event = ctx.load_event()
    trust_directory(ctx.workspace)
    api = GitHubApi(settings.token or None, ctx.api_url) if settings.token else None
    try:
        chosen = _release_event(event, ctx, settings, api)
        release = chosen.get("release") or {}
        if release.get("draft"):
            raise Skip(f"release {release.get('tag_name')} is a draft: nothing is published "
                       "until it is")
        config = load_config(ctx.workspace / settings.config)
        if release.get("prerelease") and not (settings.include_prereleases
                                              or config.include_prereleases):
            raise Skip(f"release {release.get('tag_name')} is a prerelease: set "
                       "`include-prereleases: true` to publish prereleases")
    except Skip as skip:
        cmd.notice(f"releasecast: skipped: {skip}")
        write_outputs(ctx.output_file, {"result": "skipped"})
        append_summary(ctx.summary_file, f"### releasecast\n\nSkipped: {skip}.\n")
        return None
    ensure_history(ctx.workspace, facts_tag(chosen), token=settings.token,  # issue 9
                   server_url=ctx.server_url, warn=cmd.warning)
    facts = facts_for(chosen, ctx.workspace, cmd.warning)
    facts = settle_counts(facts, token=settings.token, api_url=ctx.api_url, warn=cmd.warning)
    return _publish(cmd, ctx, settings, config, facts, api)


def _publish(cmd: Commands, ctx: RunnerContext, settings: ActionSettings, config: Config,
             facts: ReleaseFacts, api: GitHubApi | None) -> Published:
    auth = GitAuth(settings.token, ctx.server_url) if settings.token else None
    remote = settings.blog_remote_url or f"{ctx.server_url}/{settings.blog_repository}.git"
    branch = settings.blog_branch or None
    if branch is None and api is not None and not settings.blog_remote_url:
        branch = api.pages_branch(settings.blog_repository)
    target = BlogTarget(remote_url=remote, branch=branch, site_path=settings.site_path,
                        repository=settings.blog_repository, mode=settings.publish_mode)
    options = PublishOptions(video_storage=settings.video_storage, dry_run=settings.dry_run)
    work = Path(tempfile.mkdtemp(prefix="releasecast-action-"))
    progress = Progress()
    youtube = settings.youtube

    def upload_to_youtube(build: Any, site: Path, warn: Callable[[str], None]) -> None:
        assert youtube is not None
        with progress.stage("youtube", "upload to YouTube"):
            youtube.publish(build, post_url=_absolute_post_url(site, build.output.post_url),
                            warn=warn)

    try:
        with cmd.group(f"releasecast: {facts.repository.full_name} {facts.tag}"):
            published = publish_release(
                facts, config, target, work_dir=work, auth=auth, api=api, options=options,
                progress=progress, warn=cmd.warning,
                after_build=upload_to_youtube if youtube else None,
            )
        post_url = _absolute_post_url(published.build.site, published.post_url)
        write_outputs(ctx.output_file, {
            "result": _result(published, settings),
            "post-path": published.post_path,
            "post-url": post_url,
            "video-path": published.video_path or "",
            "video-url": published.video_url or "",
            "image-paths": "\n".join(published.image_paths),
            "commit-sha": published.commit_sha or "",
            "pull-request-url": published.pull_request_url or "",
            "youtube-url": youtube.url if youtube else "",
        })
        append_summary(ctx.summary_file, _summary(published, settings, ctx, post_url))
        if published.pull_request_url:
            cmd.notice(f"releasecast: pull request {published.pull_request_url}")
        elif published.changed and not settings.dry_run:
            cmd.notice(f"releasecast: published {published.post_path} "
                       f"({(published.commit_sha or '')[:7]})")
        return published
    finally:
        shutil.rmtree(work, ignore_errors=True)


@click.command("action")
def action() -> None:
    """Run as a GitHub Action step (inputs from INPUT_*, context from GITHUB_*)."""
    run_action()
