"""``releasecast action``: the GitHub Action's entrypoint (the Docker image runs it).

Reads the runner's contract (``INPUT_*``, ``GITHUB_*``, the event file), decides whether the
event is a release to publish, builds it into the blog and pushes, then writes the step's
outputs and a Markdown report. Errors become one ``::error::`` line and a non-zero exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..blog import Published, PublishOptions, YouTubeAccess, publish_release
from ..blog.git import GitAuth
from ..config import Config, load_config
from ..errors import ConfigError, InputError, PublishError, ReleasecastError, ToolError
from ..facts.releases import facts_for, release_event
from ..facts.shallow import ensure_history, facts_tag, settle_facts
from ..github_api import GitHubApi
from ..plan import PublishRequest, Shell, Skip, parse_request, plan_release
from ..progress import Progress
from ..release_link import notes_event
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
                "commit-sha", "pull-request-url", "youtube-url", "output-dir")
# Inside a Docker action the runner mounts RUNNER_TEMP/_github_home here, so files written
# there outlive the container and later steps find them under RUNNER_TEMP.
CONTAINER_HOME = Path("/github/home")
YOUTUBE_SECRETS = CredentialNames("youtube-client-id", "youtube-client-secret",
                                  "youtube-refresh-token")


def _input_name(field: str) -> str:
    """A request field's dotted path -> its input: ``youtube.publish_at`` ->
    ``youtube-publish-at``."""
    return field.replace(".", "-").replace("_", "-")


SHELL = Shell("action", setting=lambda field: f"input '{_input_name(field)}'",
              rebuild_changed=True, local_remotes=True, require_site=True)


@dataclass(frozen=True)
class ActionSettings:
    """The action's inputs, validated: the publishing request and what is the Action's own."""

    token: str
    config: str
    tag: str
    request: PublishRequest
    youtube: YouTubeAuth | None = None  # None: no YouTube secrets given
    output_dir: str = ""  # empty: under RUNNER_TEMP

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
            "create_site": inputs.flag("create-site"),
            "release_link": inputs.flag("release-link"),
            "request_pages_build": inputs.flag("request-pages-build"),
            "pages_workflow": inputs.text("pages-workflow"),
        }
        auth = _youtube_auth(inputs, env)
        if auth is not None:
            data["youtube"] = {"privacy": inputs.text("youtube-privacy"),
                               "playlist": inputs.text("youtube-playlist"),
                               "publish_at": inputs.text("youtube-publish-at")}
        return cls(token=inputs.text("github-token"),
                   config=inputs.text("config", ".github/releasecast.yml"),
                   tag=inputs.text("tag"), request=parse_request(data, SHELL), youtube=auth,
                   output_dir=inputs.text("output-dir"))

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


@dataclass(frozen=True)
class OutputDir:
    """Where the post and its files are copied for later steps: ``path`` here, ``shown`` as
    later steps of the job see it (the host's path, when this runs in the container)."""

    path: Path
    shown: str

    @classmethod
    def choose(cls, setting: str, ctx: RunnerContext, env: Mapping[str, str],
               container_home: Path = CONTAINER_HOME) -> OutputDir:
        if setting:
            path = Path(setting)
            if not path.is_absolute():
                return cls(ctx.workspace / path, setting)  # later steps run in the workspace
            return cls(path, setting)
        runner_temp = env.get("RUNNER_TEMP", "")
        if runner_temp and Path(runner_temp).is_dir():
            return cls(Path(runner_temp) / "releasecast", f"{runner_temp}/releasecast")
        if runner_temp and container_home.is_dir():
            return cls(container_home / "releasecast",
                       f"{runner_temp.rstrip('/')}/_github_home/releasecast")
        made = tempfile.mkdtemp(prefix="releasecast-output-")  # not on a runner
        return cls(Path(made), made)

    def keep(self, published: Published, blog_root: Path) -> dict[str, str]:
        """Copy the post, images, reels and captions (the blog's layout, from its root) and
        return the path outputs pointing at the copies."""
        if self.path.exists():
            shutil.rmtree(self.path)  # one release per step: no files of an earlier run
        names = [published.post_path, *published.image_paths]
        assets = {Path(p).parent for p in published.image_paths}
        for folder in assets:
            names += [str(f.relative_to(blog_root)) for f in sorted((blog_root / folder).iterdir())
                      if f.is_file()]
        for name in dict.fromkeys(names):
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(blog_root / name, target)
        base = self.shown

        def shown(name: str | None) -> str:
            return f"{base}/{name}" if name else ""

        return {"output-dir": base, "post-path": shown(published.post_path),
                "video-path": shown(published.video_path),
                "image-paths": "\n".join(shown(p) for p in published.image_paths)}


def _blog_root(site: Path, site_path: str) -> Path:
    """The blog checkout's root, from its site folder and ``site-path``."""
    depth = len(Path(site_path).parts)
    return site.parents[depth - 1] if depth else site


def _summary(published: Published, settings: ActionSettings, ctx: RunnerContext,
             warnings: list[str], kept: dict[str, str]) -> str:
    facts = published.facts
    blog = f"{ctx.server_url}/{settings.blog_repository}"
    post_url = published.post_url
    absolute = post_url.startswith(("https://", "http://"))
    lines = [f"### releasecast: {facts.repository.full_name} {facts.tag}", ""]
    if settings.dry_run:
        lines += ["**Dry run**: built, nothing committed, pushed or uploaded. The files are in "
                  f"`{kept['output-dir']}` (upload them with `actions/upload-artifact`).", ""]
    elif published.build is None:
        lines += ["**Unchanged**: the blog already has this post, made from the same release, "
                  "configuration, templates and releasecast version; nothing was rendered.", ""]
    where = published.commit_branch or published.branch
    file_link = f"{blog}/blob/{published.commit_sha or where}/{published.post_path}"
    post = f"[{post_url}]({post_url})" if absolute else (
        f"`{post_url}` (set `url` in the site's `_config.yml` for an absolute link)")
    lines += ["| | |", "|---|---|",
              f"| Post | {post} · [`{published.post_path}`]({file_link}) |",
              f"| Images | {len(published.image_paths)} |"]
    seconds = f" ({published.reel_seconds:.1f} s)" if published.reel_seconds else ""
    if published.video_path:
        lines.append(f"| Reel | `{published.video_path}`{seconds} |")
    elif published.video_url:
        lines.append(f"| Reel | [release asset]({published.video_url}){seconds} |")
    else:
        lines.append("| Reel | none in the post |")
    if published.pull_request_url:
        lines.append(f"| Pull request | {published.pull_request_url} |")
    if published.youtube is not None:
        lines.append(f"| YouTube | {published.youtube.url} |")
    if published.release_link:
        lines.append("| Release | its notes now link the post |")
    if published.commit_sha and (published.changed or published.pull_request_url):
        lines.append(f"| Commit | [`{published.commit_sha[:7]}`]({blog}/commit/"
                     f"{published.commit_sha}) on `{where}` |")
    elif not settings.dry_run:
        lines.append(f"| Commit | none: `{where}` already had these files |")
    lines.append(f"| Files | `{kept['output-dir']}` |")
    social = next((p for p in published.image_paths if p.endswith("/social-card.png")), None)
    if social and published.commit_sha and not settings.dry_run:
        lines += ["", f"![social card]({blog}/raw/{published.commit_sha}/{social})"]
    if warnings:
        lines += ["", "**Warnings**", "", *[f"- {w}" for w in warnings]]
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


def _what_to_do(exc: BaseException) -> str:
    """The next step for a failed run, by the kind of failure."""
    if isinstance(exc, ConfigError):
        return "fix the configuration file named above and re-run the job"
    if isinstance(exc, InputError):
        return "fix the input or setting named above and re-run the job"
    if isinstance(exc, PublishError):
        return ("check the token's permissions (`contents: write`; `pull-requests: write` for "
                "pull-request mode) and the blog repository and branch, then re-run the job")
    if isinstance(exc, ToolError):
        return "a program the pipeline runs failed: the log above has its last lines"
    if isinstance(exc, ReleasecastError):
        return "the message says what went wrong; re-run the job once it is fixed"
    return ("this is a bug in releasecast: please report it with the log of this step "
            "(the traceback is below)")


def _failed(ctx: RunnerContext, exc: BaseException, warnings: list[str]) -> None:
    """Every failure still tells the workflow (``result=failed``) and the run's page."""
    message = str(exc) if isinstance(exc, ReleasecastError) else (
        f"releasecast failed unexpectedly: {type(exc).__name__}: {exc}")
    write_outputs(ctx.output_file, {"result": "failed"})
    lines = ["### releasecast: failed", "", f"**What failed**: {message}", "",
             f"**What to do**: {_what_to_do(exc)}. Nothing was committed or pushed by this "
             "step unless the log above says so."]
    if warnings:
        lines += ["", "**Warnings**", "", *[f"- {w}" for w in warnings]]
    if ctx.run_url:
        lines += ["", f"[Workflow run]({ctx.run_url})"]
    append_summary(ctx.summary_file, "\n".join(lines) + "\n")


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
    warnings: list[str] = []

    def warn(message: str) -> None:
        if message not in warnings:  # a stage's note and its log line are the same warning
            warnings.append(message)
            cmd.warning(message)

    try:
        return _run(cmd, ctx, inputs, env, warn, warnings)
    except ReleasecastError as exc:
        cmd.error(str(exc), title="releasecast")
        _failed(ctx, exc, warnings)
        raise
    except Exception as exc:
        # A bug: say so on the run's page too; the traceback follows in the log.
        cmd.error(f"releasecast failed unexpectedly: {type(exc).__name__}: {exc}",
                  title="releasecast")
        _failed(ctx, exc, warnings)
        raise


def _run(cmd: Commands, ctx: RunnerContext, inputs: Inputs, env: Mapping[str, str],
         warn: Callable[[str], None], warnings: list[str]) -> Published | None:
    settings = ActionSettings.read(inputs, ctx, env)
    event = ctx.load_event()
    trust_directory(ctx.workspace)
    api = GitHubApi(settings.token, ctx.api_url) if settings.token else None
    event_name, chosen = _release_event(event, ctx, settings, api)
    # An event that is skipped anyway does not need a readable config.
    wanted = event_name == "release" and not (chosen.get("release") or {}).get("draft")
    config = (load_config(ctx.workspace / settings.config, root=ctx.workspace) if wanted
              else Config())
    planned = plan_release(event_name, chosen, config, settings.request, SHELL,
                           repository=ctx.repository, server_url=ctx.server_url, api=api,
                           youtube_credentials=settings.youtube is not None)
    if isinstance(planned, Skip):
        cmd.notice(f"releasecast: skipped: {planned.reason}")
        write_outputs(ctx.output_file, {"result": "skipped"})
        append_summary(ctx.summary_file, f"### releasecast\n\nSkipped: {planned.reason}.\n")
        return None
    # The release's own link line (release-link) is not part of its notes.
    notes = notes_event(planned.event)
    ensure_history(ctx.workspace, facts_tag(notes), token=settings.token,  # issue 9
                   server_url=ctx.server_url, warn=warn)
    facts = facts_for(notes, ctx.workspace, warn, config)
    facts = settle_facts(facts, token=settings.token, api_url=ctx.api_url,  # issue 9
                         warn=warn, config=config)
    youtube = (YouTubeAccess(settings.youtube, Transport.from_env(env))
               if settings.youtube is not None else None)
    auth = GitAuth(settings.token, ctx.server_url) if settings.token else None
    output = OutputDir.choose(settings.output_dir, ctx, env)
    work = Path(tempfile.mkdtemp(prefix="releasecast-action-"))
    try:
        with cmd.group(f"releasecast: {facts.repository.full_name} {facts.tag}"):
            published = publish_release(
                planned, facts, config, work_dir=work, auth=auth, api=api, youtube=youtube,
                options=PublishOptions(setting=SHELL.setting, server_url=ctx.server_url),
                progress=Progress(), warn=warn,
            )
        kept = output.keep(published, _blog_root(published.site, planned.blog.site_path))
        write_outputs(ctx.output_file, {
            "result": _result(published, settings),
            "post-url": published.post_url,
            "video-url": published.video_url or "",
            "commit-sha": published.commit_sha or "",
            "pull-request-url": published.pull_request_url or "",
            "youtube-url": published.youtube.url if published.youtube else "",
            **kept,
        })
        append_summary(ctx.summary_file, _summary(published, settings, ctx, warnings, kept))
        if published.pull_request_url:
            cmd.notice(f"releasecast: pull request {published.pull_request_url}")
        elif published.changed and not settings.dry_run:
            cmd.notice(f"releasecast: published {published.post_path} "
                       f"({(published.commit_sha or '')[:7]})")
        elif not settings.dry_run:
            cmd.notice(f"releasecast: unchanged: {published.post_path} is already published")
        return published
    finally:
        shutil.rmtree(work, ignore_errors=True)


@click.command("action")
def action() -> None:
    """Run as a GitHub Action step (inputs from INPUT_*, context from GITHUB_*)."""
    run_action()
