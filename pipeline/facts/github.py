"""GitHub's API as a source of facts, when a token is there (the Action's ``github-token``,
the App's installation token; never offline): the compare API for the commits of the range
(it works in a shallow checkout), the pull requests those commits belong to (titles, numbers,
labels, authors' logins) and first-time contributors by GitHub's meaning (their first merged
pull request in the repository is in this release).

Calls go through PyGithub with its own retries off, one request at a time under the
project's retry policy (:mod:`pipeline.retry`): 429, 5xx and a 403 with
``X-RateLimit-Remaining: 0`` are retried after ``Retry-After`` (or until
``X-RateLimit-Reset``); other failures end the API part with a warning, and the facts from
git stand. Answers are cached for the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from ..retry import RemoteServiceError, RetryPolicy, call_remote
from ..structure import ChangeItem, Contributor, DiffStat, ReleaseFacts
from .git import RawCommit
from .history import History, People, to_commit
from .notes import ReleaseNotes
from .versions import DatedTag, previous_tag

T = TypeVar("T")
MAX_FILES = 300  # the compare API lists at most this many files: beyond it, lines are unknown
MAX_PR_LOOKUPS = 250  # commits whose pull requests are asked for, per release


class GitHubHTTPError(Exception):
    """One failed API request, in the shape :func:`pipeline.retry.classify` reads."""

    def __init__(self, status: int, headers: dict[str, str], message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status_code = status
        self.response = SimpleNamespace(headers=headers)


def _as_http_error(exc: Exception) -> Exception:
    """PyGithub's exception as one the retry policy understands; a primary rate limit (403 or
    429 with no requests left) waits until the limit resets."""
    from github import GithubException

    if not isinstance(exc, GithubException):
        return exc
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    status = exc.status
    if status in (403, 429) and (headers.get("x-ratelimit-remaining") == "0"
                                 or "retry-after" in headers):
        if "retry-after" not in headers and headers.get("x-ratelimit-reset", "").isdigit():
            wait = int(headers["x-ratelimit-reset"]) - int(time.time())
            headers["retry-after"] = str(max(0, wait))
        status = 429
    message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
    return GitHubHTTPError(status, headers, str(message)[:200])


@dataclass
class PullFacts:
    number: int
    title: str
    labels: list[str]
    author: str | None
    merged: bool


@dataclass
class Comparison:
    commits: list[RawCommit]
    logins: dict[str, str]  # sha -> the author's login, as GitHub matched it
    avatars: dict[str, str] = field(default_factory=dict)  # login -> avatar URL
    total_commits: int = 0
    diffstat: DiffStat | None = None  # None: more files than the API lists

    @property
    def complete(self) -> bool:
        return len(self.commits) == self.total_commits


class GitHubFacts:
    """The facts stage's reads from GitHub's REST API for one repository."""

    def __init__(self, full_name: str, token: str, api_url: str = "https://api.github.com", *,
                 policy: RetryPolicy | None = None, per_page: int = 100) -> None:
        from github import Auth, Github

        self.full_name = full_name
        self.policy = policy or RetryPolicy.from_env()
        # PyGithub's own retries and pacing are off: call_remote decides, one request each.
        self.per_page = per_page
        self._github = Github(auth=Auth.Token(token), base_url=api_url, per_page=per_page,
                              retry=None, timeout=int(self.policy.timeout),
                              seconds_between_requests=None, seconds_between_writes=None)
        self._repo: Any = None
        self._cache: dict[tuple[str, ...], Any] = {}

    def __repr__(self) -> str:  # never the token
        return f"GitHubFacts({self.full_name!r})"

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return fn()
            except Exception as exc:
                converted = _as_http_error(exc)
                if converted is exc:
                    raise
                raise converted from None

        return call_remote(attempt, what=f"GitHub API ({what})", key_env="GITHUB_TOKEN",
                           policy=self.policy)

    def _cached(self, key: tuple[str, ...], what: str, fn: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = self._call(what, fn)
        return self._cache[key]

    def repo(self) -> Any:
        if self._repo is None:
            self._repo = self._call("repository", lambda: self._github.get_repo(self.full_name))
        return self._repo

    def tags(self) -> list[str]:
        return self._cached(("tags",), "tags", lambda: [t.name for t in self.repo().get_tags()])

    def compare(self, base: str, head: str) -> Comparison:
        def fetch() -> Comparison:
            comparison = self.repo().compare(base, head,
                                             comparison_commits_per_page=self.per_page)
            commits, logins, avatars = [], {}, {}
            for item in comparison.commits:  # paginated: every page is fetched
                raw = item.raw_data
                info = raw.get("commit") or {}
                who = info.get("author") or {}
                commits.append(RawCommit(
                    sha=raw["sha"], parents=tuple(p["sha"] for p in raw.get("parents") or []),
                    author_name=who.get("name") or "", author_email=who.get("email") or "",
                    date=datetime.fromisoformat(who.get("date") or "1970-01-01T00:00:00+00:00"),
                    message=(info.get("message") or "").strip()))
                user = raw.get("author") or {}
                if user.get("login"):
                    logins[raw["sha"]] = user["login"]
                    if user.get("avatar_url"):
                        avatars[user["login"]] = user["avatar_url"]
            files = comparison.raw_data.get("files") or []
            diffstat = None
            if len(files) < MAX_FILES:
                diffstat = DiffStat(files=len(files),
                                    insertions=sum(f.get("additions", 0) for f in files),
                                    deletions=sum(f.get("deletions", 0) for f in files))
            return Comparison(commits, logins, avatars, comparison.total_commits, diffstat)

        return self._cached(("compare", base, head), f"compare {base}...{head}", fetch)

    def pulls_of(self, sha: str) -> list[PullFacts]:
        def fetch() -> list[PullFacts]:
            commit = self.repo().get_commit(sha)
            return [_pull(p.raw_data) for p in commit.get_pulls()]

        return self._cached(("pulls", sha), f"pull requests of {sha[:7]}", fetch)

    def pull(self, number: int) -> PullFacts | None:
        from github import UnknownObjectException

        def fetch() -> PullFacts | None:
            try:
                return _pull(self.repo().get_pull(number).raw_data)
            except UnknownObjectException:
                return None  # an issue number, or a deleted pull request

        return self._cached(("pull", str(number)), f"pull request #{number}", fetch)

    def first_merged_pr(self, login: str) -> int | None:
        """The number of ``login``'s first merged pull request in this repository."""
        def fetch() -> int | None:
            found = self._github.search_issues(
                f"repo:{self.full_name} is:pr is:merged author:{login}",
                sort="created", order="asc")
            for issue in found:
                return int(issue.number)
            return None

        return self._cached(("first", login.lower()), f"first pull request of {login}", fetch)


def _pull(raw: dict[str, Any]) -> PullFacts:
    return PullFacts(
        number=int(raw["number"]), title=str(raw.get("title") or ""),
        labels=[str(label.get("name")) for label in raw.get("labels") or []],
        author=(raw.get("user") or {}).get("login"),
        merged=bool(raw.get("merged_at") or raw.get("merged")),
    )


def enrich(facts: ReleaseFacts, github: GitHubFacts, warn: Callable[[str], None], *,
           bots: bool = False) -> ReleaseFacts:
    """``facts`` with what GitHub knows added: the range counted through the compare API
    when git could not count it, PR labels and authors on the items, commit authors' logins,
    first-time contributors. Any failure leaves the facts from git, with a warning."""
    try:
        return _enrich(facts, github, bots)
    except RemoteServiceError as exc:
        warn(f"{exc}; the facts come from git and the release notes alone")
        return facts


def _enrich(facts: ReleaseFacts, github: GitHubFacts, bots: bool) -> ReleaseFacts:
    previous = facts.previous_tag
    if previous is None:
        names = github.tags()
        if facts.tag in names:
            previous = previous_tag(facts.tag, [DatedTag(n, facts.date) for n in names])
    comparison = github.compare(previous, facts.tag) if previous else None
    counted = facts.counted
    commits, diffstat, history = facts.commits, facts.diffstat, facts.history
    warnings = list(facts.warnings)
    if comparison is not None and comparison.complete and not counted \
            and comparison.diffstat is not None:
        commits = [to_commit(c) for c in comparison.commits]
        diffstat, counted, history = comparison.diffstat, True, "github"
        warnings = [w for w in warnings if "not counted" not in w]
    raw = comparison.commits if comparison else []
    pulls = _pulls(github, raw, facts.items)
    items = [_with_pull(item, pulls) for item in facts.items]
    release_prs = {p.number for p in pulls.values() if p.merged} | set(
        n for c in commits for n in c.prs)
    contributors = _contributors(facts.contributors, raw, comparison, items, bots) \
        if comparison else list(facts.contributors)
    contributors = [_first_time(c, github, release_prs) for c in contributors]
    return replace(facts, previous_tag=previous, commits=commits, diffstat=diffstat,
                   counted=counted, history=history, warnings=warnings, items=items,
                   contributors=contributors)


def _pulls(github: GitHubFacts, raw: list[RawCommit], items: list[ChangeItem]
           ) -> dict[int, PullFacts]:
    found: dict[int, PullFacts] = {}
    for commit in raw[-MAX_PR_LOOKUPS:]:
        for pull in github.pulls_of(commit.sha):
            found.setdefault(pull.number, pull)
    for number in dict.fromkeys(n for i in items for n in ([i.pr] if i.pr else [])):
        if number not in found and (asked := github.pull(number)) is not None:
            found[number] = asked
    return found


def _with_pull(item: ChangeItem, pulls: dict[int, PullFacts]) -> ChangeItem:
    pull = pulls.get(item.pr) if item.pr else None
    if pull is None:
        return item
    return replace(item, labels=list(dict.fromkeys([*item.labels, *pull.labels])),
                   author=item.author or pull.author)


def _contributors(known: list[Contributor], raw: list[RawCommit],
                  comparison: Comparison | None, items: list[ChangeItem],
                  bots: bool) -> list[Contributor]:
    """People from the API's commits (logins as GitHub matched them), joined with those the
    notes named."""
    notes = ReleaseNotes(authors=list(dict.fromkeys(i.author for i in items if i.author)))
    people = People(History(raw, raw[-1].sha if raw else None), notes, bots=bots,
                    logins=comparison.logins if comparison else None,
                    avatars=comparison.avatars if comparison else None).contributors()
    by_login = {c.login.lower(): c for c in people}
    for person in known:
        if person.login.lower() not in by_login:
            people.append(person)
        elif person.first_time:
            by_login[person.login.lower()].first_time = True
    people.sort(key=lambda c: (-c.commits, c.login.lower()))
    return people


def _first_time(person: Contributor, github: GitHubFacts, release_prs: Iterable[int]
                ) -> Contributor:
    if person.first_time or " " in person.login or person.bot:
        return person
    first = github.first_merged_pr(person.login)
    return replace(person, first_time=first is not None and first in set(release_prs))


def source_for(facts: ReleaseFacts, token: str | None, api_url: str,
               enabled: bool = True) -> GitHubFacts | None:
    """A client when there is a token and the repository is on this GitHub, else None."""
    if not token or not enabled or "/" not in facts.repository.full_name:
        return None
    return GitHubFacts(facts.repository.full_name, token, api_url)
