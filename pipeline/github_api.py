"""The GitHub REST calls releasecast makes, through PyGithub.

One small surface (releases, release assets, pull requests) so the Action, the backfill command
and the App worker share it, and so tests can point it at a local server with ``api_url``.
Errors become :class:`PublishError` lines that say what was attempted and what GitHub answered.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError, PublishError
from .retry import RetryPolicy

T = TypeVar("T")
GITHUB_RETRY = RetryPolicy(attempts=4, initial_wait=1.0, max_wait=20.0)


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str  # html_url
    created: bool  # False: one was already open for this branch


class GitHubApi:
    """A token (or none, for public reads) and an API root such as ``https://api.github.com``
    or a GitHub Enterprise Server's ``https://HOST/api/v3``."""

    def __init__(self, token: str | None, api_url: str = "https://api.github.com", *,
                 timeout: int = 60, seconds_between_writes: float | None = 1.0,
                 retry: RetryPolicy = GITHUB_RETRY) -> None:
        try:
            from github import Auth, Github, GithubRetry
        except ImportError:  # pragma: no cover - the `github` extra is part of every install path
            raise PublishError(
                "the GitHub API client is not installed: pip install 'releasecast[github]'"
            ) from None
        self.api_url = api_url.rstrip("/")
        self._gh = Github(
            auth=Auth.Token(token) if token else None,
            base_url=self.api_url,
            timeout=timeout,
            # urllib3's retries (through PyGithub's GithubRetry, which also waits out rate
            # limits) under the project's policy; urllib3 never repeats a POST by itself.
            retry=GithubRetry(total=retry.attempts - 1, backoff_factor=retry.initial_wait / 2,
                              backoff_max=retry.max_wait),
            seconds_between_writes=seconds_between_writes,
        )

    def _call(self, what: str, fn: Callable[[], T], *, not_found: str | None = None) -> T:
        """Run one PyGithub call; ``not_found``: the InputError message for a 404."""
        from github import BadCredentialsException, GithubException, UnknownObjectException

        try:
            return fn()
        except UnknownObjectException:
            if not_found is None:
                raise PublishError(f"{what}: not found (404), or the token cannot see it") from None
            raise InputError(not_found) from None
        except BadCredentialsException:
            raise PublishError(f"{what}: GitHub rejected the token (401 Bad credentials)") from None
        except GithubException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            detail = f": {data['message']}" if data.get("message") else ""
            problems = [e.get("message") or f"{e.get('field', '?')} {e.get('code', '?')}"
                        for e in data.get("errors", []) if isinstance(e, dict)]
            if problems:
                detail += f" ({'; '.join(problems)})"
            hint = ""
            if exc.status == 403:
                hint = " (the token lacks a permission, e.g. `contents: write`)"
            raise PublishError(f"{what}: GitHub answered {exc.status}{detail}{hint}") from None
        except OSError as exc:
            raise PublishError(f"{what}: cannot reach {self.api_url}: {exc}") from None

    def _repo(self, full_name: str) -> Any:
        if full_name.count("/") != 1 or not all(full_name.split("/")):
            raise InputError(f"expected a repository as OWNER/NAME, got {full_name!r}")
        return self._call(f"repository {full_name}", lambda: self._gh.get_repo(full_name),
                          not_found=f"repository {full_name} not found, or the token cannot "
                                    "read it")

    def repository(self, full_name: str) -> dict[str, Any]:
        """The repository as the REST API describes it (``default_branch``, ``html_url``...)."""
        return dict(self._repo(full_name).raw_data)

    def release_by_tag(self, full_name: str, tag: str) -> dict[str, Any]:
        repo = self._repo(full_name)
        release = self._call(f"release {tag} of {full_name}", lambda: repo.get_release(tag),
                             not_found=f"{full_name} has no published release for tag {tag!r}")
        return dict(release.raw_data)

    def releases(self, full_name: str) -> Iterator[dict[str, Any]]:
        """Every release, newest first, following the API's pagination."""
        repo = self._repo(full_name)
        pages = self._call(f"releases of {full_name}", lambda: iter(repo.get_releases()))
        while True:
            release = self._call(f"releases of {full_name}", lambda: next(pages, None))
            if release is None:
                return
            # The list already holds each release in full; `raw_data` would fetch every one
            # of them again (PyGithub treats list items as incomplete).
            yield dict(release._rawData)

    def _pages(self, full_name: str) -> dict[str, Any]:
        """The repository's GitHub Pages site as the API describes it; empty when there is
        none, or no permission to ask."""
        from github import GithubException

        try:
            repo = self._repo(full_name)
            _, data = repo._requester.requestJsonAndCheck("GET", f"{repo.url}/pages")
        except (GithubException, PublishError):
            return {}
        return data if isinstance(data, dict) else {}

    def pages_branch(self, full_name: str) -> str | None:
        """The branch GitHub Pages builds from (legacy Pages builds), or None."""
        source = self._pages(full_name).get("source")
        return source.get("branch") if isinstance(source, dict) else None

    def pages_url(self, full_name: str) -> str | None:
        """Where GitHub Pages serves the repository's site (its ``html_url``: a custom domain
        or ``https://OWNER.github.io/NAME/``), or None."""
        url = self._pages(full_name).get("html_url")
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None

    def edit_release_body(self, full_name: str, release_id: int,
                          edit: Callable[[str], str]) -> bool:
        """Rewrite a release's body with ``edit`` (given the body as it is now, not as the
        event saw it); returns whether it changed (an unchanged body is not written)."""
        repo = self._repo(full_name)
        what = f"release {release_id} of {full_name}"
        url = f"{repo.url}/releases/{release_id}"
        _, data = self._call(what, lambda: repo._requester.requestJsonAndCheck("GET", url))
        body = str((data or {}).get("body") or "")
        new = edit(body)
        if new == body:
            return False
        self._call(f"editing the body of {what}", lambda: repo._requester.requestJsonAndCheck(
            "PATCH", url, input={"body": new}))
        return True

    def request_pages_build(self, full_name: str) -> None:
        """Ask GitHub Pages to build the site from its branch now (branch-built Pages)."""
        repo = self._repo(full_name)
        self._call(f"requesting a Pages build of {full_name}",
                   lambda: repo._requester.requestJsonAndCheck("POST", f"{repo.url}/pages/builds"))

    def dispatch_workflow(self, full_name: str, workflow: str, ref: str) -> None:
        """Start ``workflow`` (a file name such as ``pages.yml``, or an id) on ``ref`` with a
        ``workflow_dispatch`` event: the one event a workflow's own token may start runs
        with."""
        repo = self._repo(full_name)
        self._call(f"starting workflow {workflow} of {full_name} on {ref}",
                   lambda: repo._requester.requestJsonAndCheck(
                       "POST", f"{repo.url}/actions/workflows/{workflow}/dispatches",
                       input={"ref": ref}))

    def upload_release_asset(self, full_name: str, tag: str, path: Path, name: str,
                             label: str = "") -> str:
        """Attach ``path`` to the release as ``name``, replacing an asset of that name (a
        re-run); returns the asset's ``browser_download_url``."""
        repo = self._repo(full_name)
        what = f"uploading {name} to release {tag} of {full_name}"
        release = self._call(what, lambda: repo.get_release(tag))
        for asset in self._call(what, lambda: list(release.get_assets())):
            if asset.name == name:
                self._call(what, asset.delete_asset)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        uploaded = self._call(what, lambda: release.upload_asset(
            str(path), label=label, content_type=content_type, name=name))
        return str(uploaded.browser_download_url)

    def open_pull_request(self, full_name: str, *, head: str, base: str, title: str,
                          body: str) -> PullRequest:
        """Open a pull request from ``head`` into ``base``, or return the one already open."""
        repo = self._repo(full_name)
        what = f"pull request {head} -> {base} in {full_name}"
        owner = full_name.split("/")[0]
        existing = self._call(what, lambda: list(
            repo.get_pulls(state="open", head=f"{owner}:{head}", base=base)))
        if existing:
            return PullRequest(existing[0].number, existing[0].html_url, created=False)
        pull = self._call(what, lambda: repo.create_pull(base=base, head=head, title=title,
                                                           body=body))
        return PullRequest(pull.number, pull.html_url, created=True)
