"""``releasecast action``: the GitHub Action's entrypoint (the Docker image runs it).

Reads the runner's contract (``INPUT_*``, ``GITHUB_*``, the event file), decides whether the
event is a release to publish, builds it into the blog and pushes, then writes the step's
outputs and a Markdown report. Errors become one ``::error::`` line and a non-zero exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..blog import Published, PublishOptions, YouTubeAccess, publish_release
from ..blog.git import GitAuth
from ..config import Config, load_config
from ..errors import InputError, ReleasecastError
from ..facts.releases import facts_for, release_event
from ..facts.shallow import ensure_history, facts_tag, settle_facts
from ..github_api import GitHubApi
from ..plan import PublishRequest, Shell, Skip, parse_request, plan_release
from ..progress import Progress
from ..runner import (
    Commands,
    Inputs,
    RunnerContext,
    append_summary,
    trust_directory,
    write_outputs,
)
from ..youtube.config import CredentialNames, Transport, YouTubeAuth, token_uri

OUTPUT_NAMES = ("result", "post-path", "post-url", "video-path", "video-url", "image-paths",
                "commit-sha", "pull-request-url", "youtube-url")
YOUTUBE_SECRETS = CredentialNames("youtube-client-id", "youtube-client-secret",
                                  "youtube-refresh-token")


def _input_name(field: str) -> str:
    """A request field's dotted path -> its input: ``youtube.publish_at`` ->
    ``youtube-publish-at``."""
    return field.replace(".", "-").replace("_", "-")


SHELL = Shell("action", setting=lambda field: f"input '{_input_name(field)}'",
              rebuild_changed=True, local_remotes=True)


@dataclass(frozen=True)
class ActionSettings:
    """The action's inputs, validated: the publishing request and what is the Action's own."""

    token: str
    config: str
    tag: str
    request: PublishRequest
    youtube: YouTubeAuth | None = None  # None: no YouTube secrets given

    @classmethod
    def read(cls, inputs: Inputs, ctx: RunnerContext,
             env: Mapping[str, str] | None = None) -> ActionSettings:
        # Each request field from the input of the same name (see _input_name).
        data: dict[str, Any] = {
            "blog_repository": inputs.text("blog-repository", ctx.repository),
            "blog_branch": inputs.text("blog-branch"),
            "blog_remote_url": inputs.text("blog-remote-url"),
            "site_path": inputs.text("site-path", "."),
            "publish_mode": inputs.text("publish-mode", "push"),
            "video_storage": inputs.text("video-storage", "repository"),
            "dry_run": inputs.flag("dry-run"),
            "include_prereleases": inputs.flag("include-prereleases"),
        }
        auth = _youtube_auth(inputs, env)
        if auth is not None:
            data["youtube"] = {"privacy": inputs.text("youtube-privacy"),
                               "playlist": inputs.text("youtube-playlist"),
                               "publish_at": inputs.text("youtube-publish-at")}
        return cls(token=inputs.text("github-token"),
                   config=inputs.text("config", ".github/releasecast.yml"),
                   tag=inputs.text("tag"), request=parse_request(data, SHELL), youtube=auth)

    # The fields the rest of the Action and its tests read.
    @property
    def dry_run(self) -> bool:
        return self.request.dry_run

    @property
    def blog_repository(self) -> str:
        return self.request.blog_repository or ""

    @property
    def site_path(self) -> str:
        return self.request.site_path

    @property
    def publish_mode(self) -> str:
        return self.request.publish_mode

    @property
    def video_storage(self) -> str:
        return self.request.video_storage


def _youtube_auth(inputs: Inputs, env: Mapping[str, str] | None) -> YouTubeAuth | None:
    """None when no YouTube secret is given (no upload); an error naming the missing inputs
    when only some are."""
    values = (inputs.text("youtube-client-id"), inputs.text("youtube-client-secret"),
              inputs.text("youtube-refresh-token"))
    if not any(values):
        return None
    return YouTubeAuth(*values, token_uri=token_uri(env), names=YOUTUBE_SECRETS)


def _release_event(event: dict[str, Any], ctx: RunnerContext, settings: ActionSettings,
                   api: GitHubApi | None) -> tuple[str, dict[str, Any]]:
    """The event to plan from: the triggering one, or, for a manual run, a release event made
    from the API's description of the release named by the `tag` input."""
    if ctx.event_name != "workflow_dispatch":
        return ctx.event_name, event
    dispatch_inputs = event.get("inputs") or {}
    tag = str(dispatch_inputs.get("tag") or settings.tag).strip()
    if not tag:
        raise InputError("workflow_dispatch: give the release to regenerate as a `tag` "
                         "workflow input (or the action's `tag` input)")
    if api is None:
        raise InputError("workflow_dispatch: reading the release needs `github-token`")
    return "release", release_event(api.release_by_tag(ctx.repository, tag),
                                    api.repository(ctx.repository))


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
    if published.youtube is not None:
        lines.append(f"| YouTube | {published.youtube.url} |")
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
    env = os.environ if env is None else env
    cmd = Commands()
    ctx = RunnerContext.from_env(env)
    inputs = Inputs(env)
    token = inputs.text("github-token")
    if token:
        for secret in GitAuth(token).secrets:
            cmd.mask(secret)
    cmd.mask(inputs.text("youtube-client-secret"))
    cmd.mask(inputs.text("youtube-refresh-token"))
    try:
        return _run(cmd, ctx, inputs, env)
    except ReleasecastError as exc:
        cmd.error(str(exc), title="releasecast")
        raise
    except Exception as exc:
        # A bug: say so on the run's page too; the traceback follows in the log.
        cmd.error(f"releasecast failed unexpectedly: {type(exc).__name__}: {exc}",
                  title="releasecast")
        raise


def _run(cmd: Commands, ctx: RunnerContext, inputs: Inputs,
         env: Mapping[str, str]) -> Published | None:
    settings = ActionSettings.read(inputs, ctx, env)
    event = ctx.load_event()
    trust_directory(ctx.workspace)
    api = GitHubApi(settings.token, ctx.api_url) if settings.token else None
    event_name, chosen = _release_event(event, ctx, settings, api)
    # An event that is skipped anyway does not need a readable config.
    wanted = event_name == "release" and not (chosen.get("release") or {}).get("draft")
    config = load_config(ctx.workspace / settings.config) if wanted else Config()
    planned = plan_release(event_name, chosen, config, settings.request, SHELL,
                           repository=ctx.repository, server_url=ctx.server_url, api=api,
                           youtube_credentials=settings.youtube is not None)
    if isinstance(planned, Skip):
        cmd.notice(f"releasecast: skipped: {planned.reason}")
        write_outputs(ctx.output_file, {"result": "skipped"})
        append_summary(ctx.summary_file, f"### releasecast\n\nSkipped: {planned.reason}.\n")
        return None
    ensure_history(ctx.workspace, facts_tag(planned.event), token=settings.token,  # issue 9
                   server_url=ctx.server_url, warn=cmd.warning)
    facts = facts_for(planned.event, ctx.workspace, cmd.warning)
    facts = settle_facts(facts, token=settings.token, api_url=ctx.api_url,  # issue 9
                         warn=cmd.warning, config=config)
    youtube = (YouTubeAccess(settings.youtube, Transport.from_env(env))
               if settings.youtube is not None else None)
    auth = GitAuth(settings.token, ctx.server_url) if settings.token else None
    work = Path(tempfile.mkdtemp(prefix="releasecast-action-"))
    try:
        with cmd.group(f"releasecast: {facts.repository.full_name} {facts.tag}"):
            published = publish_release(
                planned, facts, config, work_dir=work, auth=auth, api=api, youtube=youtube,
                options=PublishOptions(setting=SHELL.setting), progress=Progress(),
                warn=cmd.warning,
            )
        write_outputs(ctx.output_file, {
            "result": _result(published, settings),
            "post-path": published.post_path,
            "post-url": published.post_url,
            "video-path": published.video_path or "",
            "video-url": published.video_url or "",
            "image-paths": "\n".join(published.image_paths),
            "commit-sha": published.commit_sha or "",
            "pull-request-url": published.pull_request_url or "",
            "youtube-url": published.youtube.url if published.youtube else "",
        })
        append_summary(ctx.summary_file, _summary(published, settings, ctx, published.post_url))
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
