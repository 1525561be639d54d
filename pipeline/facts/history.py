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
from .kinds import keyword_kind
from .notes import ReleaseNotes

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


class History:
    """The commits between two tags as a graph: the mainline and what each merged PR brought."""

    def __init__(self, commits: list[RawCommit], head: str | None) -> None:
        self.commits = commits
        self.by_sha = {c.sha: c for c in commits}
        chain = []
        sha = head
        while sha in self.by_sha:
            chain.append(self.by_sha[sha])
            sha = self.by_sha[sha].parents[0] if self.by_sha[sha].parents else None
        self.mainline = chain[::-1]  # oldest first
        self._on_mainline = {c.sha for c in chain}
        self._pr_commits: dict[str, list[RawCommit]] = {}

    def pr_commits(self, merge: RawCommit) -> list[RawCommit]:
        """The non-merge commits a mainline merge brought in: reachable from its second parent
        without passing through the mainline (where the branch forked or pulled main in)."""
        if merge.sha not in self._on_mainline or len(merge.parents) < 2:
            return []
        if merge.sha not in self._pr_commits:
            seen: set[str] = set()
            stack = [merge.parents[1]]
            while stack:
                sha = stack.pop()
                if sha in seen or sha in self._on_mainline or sha not in self.by_sha:
                    continue
                seen.add(sha)
                stack.extend(self.by_sha[sha].parents)
            self._pr_commits[merge.sha] = [self.by_sha[sha] for sha in seen
                                           if not self.by_sha[sha].is_merge]
        return self._pr_commits[merge.sha]


class People:
    """Maps commit authors (name, email) to GitHub logins, as far as the evidence goes.

    Evidence, strongest first: a ``users.noreply.github.com`` address; a squash commit whose PR
    the notes credit to a login; the commits of a merged PR the notes credit to a login, when
    they all have one author; an author name that is itself a credited login.
    """

    def __init__(self, history: History, notes: ReleaseNotes) -> None:
        self.history = history
        self.notes = notes
        self._by_email: dict[str, str] = {}
        self._known = {login.lower(): login for login in notes.authors + notes.new_contributors}
        credited = {item.pr: item.author for item in notes.items if item.pr and item.author}
        for commit in history.commits:
            match = _NOREPLY.match(commit.author_email)
            if match:
                self._by_email.setdefault(commit.author_email.lower(), match["login"])
        for commit in history.commits:
            login = next((credited[pr] for pr in pull_requests(commit.subject)
                          if pr in credited), None)
            if login is None:
                continue
            if not commit.is_merge:
                self._by_email.setdefault(commit.author_email.lower(), login)
                continue
            emails = {c.author_email.lower() for c in history.pr_commits(commit)}
            if len(emails) == 1:
                self._by_email.setdefault(emails.pop(), login)

    def login(self, commit: RawCommit) -> str | None:
        found = self._by_email.get(commit.author_email.lower())
        return found or self._known.get(commit.author_name.strip().lower())

    def contributors(self) -> list[Contributor]:
        """People who made the release, bots left out; merge commits count for nobody."""
        notes = self.notes
        counts: Counter[str] = Counter()
        display: dict[str, str] = {}  # case-folded key -> how we show it
        for commit in self.history.commits:
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


def items_from_commits(history: History, people: People, repo_url: str | None
                       ) -> list[ChangeItem]:
    """Change items from the mainline (squash commits, merged PRs, direct commits), oldest
    first, for releases whose body lists nothing. ``repo_url`` is the GitHub repository URL."""
    items = []
    for raw in history.mainline:
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
        if raw.is_merge:
            logins = {people.login(c) for c in history.pr_commits(raw)}
            author = logins.pop() if len(logins) == 1 else None
        else:
            author = people.login(raw)
        url = None
        if repo_url:
            url = f"{repo_url}/pull/{pr}" if pr else f"{repo_url}/commit/{raw.sha}"
        items.append(ChangeItem(text=text, kind=kind, section="Commits", author=author, pr=pr,
                                url=url, scope=header.scope if header else None))
    return items


def _is_release_chore(kind: str, description: str) -> bool:
    return kind == "release" or (kind == "chore" and bool(_RELEASE_CHORE.match(description)))
