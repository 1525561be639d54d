"""What the commits between two tags say: typed commits, who wrote them, and change items when
the release body lists none."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..structure import ChangeItem, ChangeKind, Commit, Contributor
from .conventional import (
    has_breaking_footer,
    is_branch_merge,
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
    title = pr_title(raw) or strip_pr_suffix(raw.subject)
    header = parse_header(title)
    return Commit(
        sha=raw.sha,
        subject=raw.subject,
        author_name=raw.author_name,
        author_email=raw.author_email,
        date=raw.date,
        type=header.type if header else None,
        breaking=bool(header and header.breaking) or has_breaking_footer(raw.message),
        prs=pull_requests(raw.subject, raw.body),
        co_authors=[f"{name} <{email}>" for name, email in co_authors(raw.message)],
    )


def pr_title(raw: RawCommit) -> str | None:
    """The title of the pull request a mainline merge commit brought in: GitHub's "Merge pull
    request #N" puts it on the first body line, GitLab's "Merge branch ... See merge request
    !N" too; a merge commit with any other subject (a custom merge message) is titled by it."""
    title = merged_pr_title(raw.subject, raw.body)
    if title or not raw.is_merge:
        return title
    if is_branch_merge(raw.subject):
        if "See merge request" in raw.body:
            first = raw.body.strip().split("\n", 1)[0].strip()
            return first if not first.startswith("See merge request") else None
        return None
    return strip_pr_suffix(raw.subject)


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


_CO_AUTHOR = re.compile(r"^Co-authored-by:\s*(?P<name>[^<\n]*?)\s*<(?P<email>[^>\n]+)>\s*$",
                        re.IGNORECASE | re.MULTILINE)


def co_authors(message: str) -> list[tuple[str, str]]:
    """(name, email) of each ``Co-authored-by:`` trailer."""
    return [(m["name"].strip(), m["email"].strip()) for m in _CO_AUTHOR.finditer(message)]


@dataclass
class _Person:
    shas: set[str] = field(default_factory=set)
    names: Counter[str] = field(default_factory=Counter)
    logins: list[str] = field(default_factory=list)


class _Union:
    """Union-find over identity keys ("e:ada@x.org", "n:ada lovelace", "l:ada")."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, *keys: str) -> None:
        roots = [self.find(k) for k in keys]
        for root in roots[1:]:
            self.parent[root] = roots[0]


def _name_key(name: str) -> str | None:
    folded = " ".join(name.casefold().split())
    # Names too generic to say two commits are one person's.
    return None if len(folded) < 3 or folded in ("root", "your name", "unknown") else folded


class People:
    """Maps commit authors (name, email) to people, and people to GitHub logins, as far as the
    evidence goes. git's ``%aN``/``%aE`` already apply the checkout's ``.mailmap``.

    One person is every (name, email) linked by a shared e-mail address, a shared name
    (case and spacing aside) or a shared login. Login evidence, strongest first: a
    ``users.noreply.github.com`` address (``12345+login@...``); a squash commit whose PR the
    notes credit to a login; the commits of a merged PR the notes credit to a login, when they
    all have one author; an author name that is itself a credited login; logins GitHub's API
    gave for commits (``logins``: sha -> login). ``Co-authored-by:`` trailers credit their
    people too. Bots are kept out unless ``bots`` is true.
    """

    def __init__(self, history: History, notes: ReleaseNotes, *, bots: bool = False,
                 logins: dict[str, str] | None = None,
                 avatars: dict[str, str] | None = None) -> None:
        self.history = history
        self.notes = notes
        self.bots = bots
        self.avatars = {k.lower(): v for k, v in (avatars or {}).items()}
        self._by_email: dict[str, str] = {}
        self._known = {login.lower(): login for login in notes.authors + notes.new_contributors}
        credited = {item.pr: item.author for item in notes.items if item.pr and item.author}
        for commit in history.commits:
            for _, email in [(commit.author_name, commit.author_email),
                             *co_authors(commit.message)]:
                match = _NOREPLY.match(email)
                if match:
                    self._by_email.setdefault(email.lower(), match["login"])
        for sha, api_login in (logins or {}).items():
            if (matched := history.by_sha.get(sha)) is not None:
                self._by_email.setdefault(matched.author_email.lower(), api_login)
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
        return self._login_of(commit.author_name, commit.author_email)

    def _login_of(self, name: str, email: str) -> str | None:
        found = self._by_email.get(email.lower())
        return found or self._known.get(name.strip().lower())

    def contributors(self) -> list[Contributor]:
        """People who made the release; merge commits count for nobody."""
        union = _Union()
        records: list[tuple[str, str, str, str | None]] = []  # (sha, name, email, login)
        for commit in self.history.commits:
            if commit.is_merge or commit.author_email.lower() == "noreply@github.com":
                continue
            for name, email in [(commit.author_name, commit.author_email),
                                *co_authors(commit.message)]:
                login = self._login_of(name, email)
                keys = [f"e:{email.lower()}"]
                if (name_key := _name_key(name)) is not None:
                    keys.append(f"n:{name_key}")
                if login:
                    keys.append(f"l:{login.lower()}")
                union.join(*keys)
                records.append((commit.sha, name.strip(), email, login))
        for login in self.notes.authors + self.notes.new_contributors + self.notes.thanked:
            union.find(f"l:{login.lower()}")
        groups: dict[str, _Person] = {}
        for sha, name, email, found in records:
            person = groups.setdefault(union.find(f"e:{email.lower()}"), _Person())
            person.shas.add(sha)
            person.names[name] += 1
            if found and found not in person.logins:
                person.logins.append(found)
        for credited in self.notes.authors + self.notes.new_contributors + self.notes.thanked:
            person = groups.setdefault(union.find(f"l:{credited.lower()}"), _Person())
            if credited.lower() not in (known.lower() for known in person.logins):
                person.logins.append(credited)
        first_time = {login.lower() for login in self.notes.new_contributors}
        people = []
        for person in groups.values():
            named: str | None = person.names.most_common(1)[0][0] if person.names else None
            login = person.logins[0] if person.logins else None
            shown = login or named or ""
            if not shown:
                continue
            bot = any(is_bot(n) for n in [shown, *person.names])
            if bot and not self.bots:
                continue
            people.append(Contributor(
                login=shown,
                first_time=any(known.lower() in first_time for known in person.logins),
                commits=len(person.shas),
                name=named if login and named and named.lower() != login.lower() else None,
                avatar_url=self.avatars.get(login.lower()) if login else None,
                bot=bot,
            ))
        people.sort(key=lambda c: (-c.commits, c.login.lower()))
        return people


def items_from_commits(history: History, people: People, repo_url: str | None
                       ) -> list[ChangeItem]:
    """Change items from the mainline (squash commits, merged PRs, direct commits), oldest
    first, for releases whose body lists nothing. ``repo_url`` is the GitHub repository URL."""
    items = []
    for raw in history.mainline:
        title = pr_title(raw)
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
