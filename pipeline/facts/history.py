"""What the commits between two tags say: typed commits, who wrote them, and change items when
the release body lists none."""

from __future__ import annotations

import re
from collections import Counter

from ..structure import ChangeItem, ChangeKind, Commit, Contributor
from .conventional import (
    has_breaking_footer,
    merged_pr_title,
    parse_header,
    pull_requests,
    strip_pr_suffix,
)
from .git import RawCommit
from .notes import ReleaseNotes, keyword_kind

_RELEASE_CHORE = re.compile(r"^(?:release|bump version|version bump|prepare release)\b", re.I)
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@\s]+)@users\.noreply\.github\.com$", re.I)
# Accounts that are automation, not people to thank. "[bot]" logins are caught by their suffix;
# GitHub's generated notes drop the suffix ("by @dependabot"), hence the plain names here.
_BOTS = frozenset({
    "dependabot", "dependabot-preview", "renovate", "renovate-bot", "github-actions",
    "pre-commit-ci", "greenkeeper", "imgbot", "allcontributors", "mergify", "codecov",
    "snyk-bot", "release-please", "web-flow",
})


def is_bot(login_or_name: str) -> bool:
    lowered = login_or_name.strip().lower()
    return lowered.endswith("[bot]") or lowered in _BOTS


def to_commit(raw: RawCommit) -> Commit:
    """A commit with its conventional type, breaking flag and the PRs its subject names."""
    title = merged_pr_title(raw.subject, raw.body) or strip_pr_suffix(raw.subject)
    header = parse_header(title)
    return Commit(
        sha=raw.sha,
        subject=raw.subject,
        author_name=raw.author_name,
        author_email=raw.author_email,
        date=raw.date,
        type=header.type if header else None,
        breaking=bool(header and header.breaking) or has_breaking_footer(raw.message),
        prs=pull_requests(raw.subject),
    )


class People:
    """Maps commit authors (name, email) to GitHub logins, as far as the evidence goes.

    Evidence, strongest first: a ``users.noreply.github.com`` address; a squash commit whose PR
    the notes credit to a login; the commits of a merged PR the notes credit to a login, when
    they all have one author; an author name that is itself a credited login.
    """

    def __init__(self, commits: list[RawCommit], notes: ReleaseNotes) -> None:
        self._by_email: dict[str, str] = {}
        credited = {item.pr: item.author for item in notes.items if item.pr and item.author}
        known = {login.lower(): login for login in notes.authors + notes.new_contributors}
        self._known = known
        by_sha = {c.sha: c for c in commits}
        for commit in commits:
            match = _NOREPLY.match(commit.author_email)
            if match:
                self._by_email.setdefault(commit.author_email.lower(), match["login"])
        for commit in commits:
            prs = pull_requests(commit.subject)
            login = next((credited[pr] for pr in prs if pr in credited), None)
            if login is None:
                continue
            if not commit.is_merge:
                self._by_email.setdefault(commit.author_email.lower(), login)
                continue
            emails = {by_sha[sha].author_email.lower() for sha in _branch_commits(commit, by_sha)
                      if not by_sha[sha].is_merge}
            if len(emails) == 1:
                self._by_email.setdefault(emails.pop(), login)

    def login(self, commit: RawCommit) -> str | None:
        found = self._by_email.get(commit.author_email.lower())
        return found or self._known.get(commit.author_name.strip().lower())

    def contributors(self, commits: list[RawCommit], notes: ReleaseNotes) -> list[Contributor]:
        """People who made the release, bots left out; merge commits count for nobody."""
        counts: Counter[str] = Counter()
        display: dict[str, str] = {}  # case-folded key -> how we show it
        for commit in commits:
            if commit.is_merge or commit.author_email.lower() == "noreply@github.com":
                continue
            who = self.login(commit) or commit.author_name.strip()
            if not who or is_bot(who) or is_bot(commit.author_name):
                continue
            display.setdefault(who.lower(), who)
            counts[who.lower()] += 1
        for login in notes.authors + notes.new_contributors + notes.thanked:
            if not is_bot(login):
                display.setdefault(login.lower(), login)
        first_time = {login.lower() for login in notes.new_contributors}
        people = [Contributor(login=display[key], first_time=key in first_time,
                              commits=counts[key]) for key in display]
        people.sort(key=lambda c: (-c.commits, c.login.lower()))
        return people


def _branch_commits(merge: RawCommit, by_sha: dict[str, RawCommit]) -> set[str]:
    """Commits a merge brought in: reachable from its second parent, not from its first."""
    mainline = _reachable(merge.parents[0], by_sha)
    return _reachable(merge.parents[1], by_sha) - mainline


def _reachable(start: str, by_sha: dict[str, RawCommit]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        sha = stack.pop()
        if sha in seen or sha not in by_sha:
            continue  # outside the release's range
        seen.add(sha)
        stack.extend(by_sha[sha].parents)
    return seen


def items_from_commits(commits: list[RawCommit], people: People, pull_url: str | None,
                       commit_url: str | None) -> list[ChangeItem]:
    """Change items from the first-parent history (squash commits and merged PRs), oldest
    first, for releases whose body lists nothing. ``pull_url``/``commit_url`` are URL prefixes.
    """
    if not commits:
        return []
    by_sha = {c.sha: c for c in commits}
    mainline = []
    sha: str | None = commits[0].sha  # git log lists the tag's commit first
    while sha in by_sha:
        commit = by_sha[sha]
        mainline.append(commit)
        sha = commit.parents[0] if commit.parents else None
    items = []
    for raw in reversed(mainline):
        title = merged_pr_title(raw.subject, raw.body)
        if raw.is_merge and title is None:
            continue  # "Merge branch 'main' into ...": no change of its own
        commit = to_commit(raw)
        header = parse_header(title or strip_pr_suffix(raw.subject))
        if header and _is_release_chore(header.type, header.description):
            continue  # "chore: release 1.2.0" is the release itself, not a change in it
        text = header.description if header else (title or strip_pr_suffix(raw.subject))
        if commit.breaking:
            kind = ChangeKind.BREAKING
        elif header:
            kind = header.kind
        else:
            kind = keyword_kind(text) or ChangeKind.OTHER
        pr = commit.prs[0] if commit.prs else None
        author = _pr_author(raw, by_sha, people) if raw.is_merge else people.login(raw)
        if pr and pull_url:
            url = f"{pull_url}/{pr}"
        else:
            url = f"{commit_url}/{raw.sha}" if commit_url else None
        items.append(ChangeItem(text=text, kind=kind, section="Commits", author=author, pr=pr,
                                url=url, scope=header.scope if header else None))
    return items


def _is_release_chore(kind: str, description: str) -> bool:
    return kind == "release" or (kind == "chore" and bool(_RELEASE_CHORE.match(description)))


def _pr_author(merge: RawCommit, by_sha: dict[str, RawCommit], people: People) -> str | None:
    logins = {people.login(by_sha[sha]) for sha in _branch_commits(merge, by_sha)
              if not by_sha[sha].is_merge}
    return logins.pop() if len(logins) == 1 else None
