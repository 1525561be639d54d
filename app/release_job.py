"""What a worker does for one release: check out, configure, build and publish like the Action.

1. An installation token for the repository's installation (:mod:`app.github_auth`).
2. A blobless clone of the released repository (full history and tags, file contents fetched on
   demand), checked out at the release's tag, so the previous tag is always reachable.
3. The repository's ``.github/releasecast.yml``: the pipeline's options, plus an ``app:`` section
   saying where the blog is: a :class:`pipeline.plan.PublishRequest`, the same request the
   Action's inputs parse into, planned by the same :func:`pipeline.plan.plan_release`.
4. :func:`pipeline.blog.publish_release` — the Action's own code — builds the post into the
   blog checkout, places the reel, commits and pushes (or opens a pull request). It is
   idempotent: a re-run for the same release commits nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.blog import PublishOptions, YouTubeAccess, publish_release
from pipeline.blog.git import Git, GitAuth, GitIdentity
from pipeline.config import Config, load_config
from pipeline.errors import ConfigError, InputError, PublishError
from pipeline.gitcmd import add_config
from pipeline.github_api import GitHubApi
from pipeline.plan import PublishRequest, Shell, Skip, plan_release
from pipeline.progress import Progress
from pipeline.release_link import notes_event
from pipeline.youtube.config import Transport, YouTubeAuth

from .events import full_name_problem, tag_problem
from .runs import Outcome, RunRequest
from .settings import github_server_url

CONFIG_PATH = Path(".github/releasecast.yml")
APP_IDENTITY = GitIdentity("releasecast[bot]", "releasecast[bot]@users.noreply.github.com")


# The repository's own settings: a file in a repository the App was installed on, so remotes
# are HTTP(S) only, and a release is rebuilt only when it is published (not on every edit).
SHELL = Shell("app", setting=lambda field: f"app.{field}", error=ConfigError,
              source=f"{CONFIG_PATH.as_posix()}: ")


def read_repository_config(checkout: Path) -> tuple[Config, PublishRequest]:
    """The pipeline's :class:`Config` and the App's publishing request from the checked-out
    repository."""
    config = load_config(checkout / CONFIG_PATH, source=CONFIG_PATH.as_posix())
    return config, config.app  # validated with the rest of the file (Config.app)


def youtube_access(request: PublishRequest, auth: YouTubeAuth | None) -> YouTubeAccess | None:
    """The App's YouTube credentials, when the repository asks for an upload."""
    if request.youtube is None:
        return None
    if auth is None:
        raise InputError(f"{CONFIG_PATH} sets app.youtube, but this App has no YouTube "
                         "credentials (YOUTUBE_CREDENTIALS_FILE)")
    return YouTubeAccess(auth, Transport.from_env())


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
    add_config(os.environ, [auth.config])
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
) -> ReleaseJobResult | Skip:
    """Everything after authentication: what was published, or the plan's :class:`Skip`;
    pipeline errors are raised."""
    from pipeline.facts import collect_facts
    from pipeline.facts.shallow import settle_facts

    server = server_of(api_url)
    auth = GitAuth(token, server) if token else None
    with git_credentials(auth):
        with progress.stage("checkout", f"clone {request.repository} at {request.tag}"):
            checkout = clone_release(request, work_dir / "source", auth, server)
        config, publish = read_repository_config(checkout)
        api = GitHubApi(token, api_url) if token else None
        plan = plan_release("release", request.payload, config, publish, SHELL,
                            repository=request.repository, server_url=server, api=api,
                            youtube_credentials=youtube_auth is not None)
        if isinstance(plan, Skip):
            return plan
        with progress.stage("facts", "release facts"):
            # The payload is trusted for facts only, and its release-link line is not notes
            # (the line itself is edited on the body the API holds, in publish_release).
            facts = collect_facts(repo=checkout, event=notes_event(request.payload),
                                  config=config)
            # The installation token counts what a shallow clone cannot and maps PR labels.
            facts = settle_facts(facts, token=token, api_url=api_url,
                                 warn=lambda line: progress.say(f"warning: {line}"),
                                 config=config)
        published = publish_release(
            plan, facts, config, work_dir=work_dir / "publish", auth=auth, api=api,
            youtube=youtube_access(publish, youtube_auth),
            options=PublishOptions(identity=APP_IDENTITY, setting=SHELL.setting,
                                   server_url=server),
            progress=progress,
        )
    outcome = Outcome(
        post_url=published.post_url,
        video_url=published.video_url,  # absolute when the site's url is set, as post_url
        youtube_url=published.youtube.url if published.youtube is not None else None,
    )
    return ReleaseJobResult(outcome, dict(progress.timings), published.commit_sha,
                            published.changed, published.pull_request_url)
