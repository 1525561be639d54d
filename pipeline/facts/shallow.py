"""Shallow and tag-less checkouts: ``actions/checkout`` fetches one commit and no tags unless
told ``fetch-depth: 0``, and git alone would then count "1 commits, 6 files" for a release of
2 commits and 2 files.

:func:`ensure_history` fetches what the count needs (the history and the tags) from the
checkout's own ``origin`` with the runner's credentials; :func:`settle_facts` then asks
GitHub's compare API when that was impossible, and otherwise leaves the numbers out with a
warning. A release is counted right or not counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import Config
from ..errors import ReleasecastError
from ..structure import ReleaseFacts
from .categories import apply_categories
from .git import GitRepo
from .github import GitHubFacts, enrich
from .versions import DatedTag, previous_tag, tag_version

Warn = Callable[[str], None]


def _needs_history(git: GitRepo, tag: str) -> bool:
    """Shallow, or no other tag of the release's family (the previous one is missing)."""
    if git.is_shallow():
        return True
    wanted = tag_version(tag)
    others = [t.name for t in git.tags() if t.name != tag]
    if wanted is None:
        return not others
    family = wanted.prefix.lower()
    return not any((v := tag_version(name)) and v.prefix.lower() == family for name in others)


def _same_server(remote: str, server_url: str) -> bool:
    """The token goes to the runner's GitHub only, never to a host a remote URL names."""
    ours = urlsplit(server_url)
    theirs = urlsplit(remote)
    return (theirs.scheme, theirs.hostname, theirs.port) == (ours.scheme, ours.hostname,
                                                              ours.port)


_FETCH = ["fetch", "--quiet", "--force", "--no-recurse-submodules"]


def _deepen(git: GitRepo, tag: str, config: list[tuple[str, str]]) -> bool:
    """Fetch the tags (one commit each), then the history of ``tag`` down to the previous
    release and no further (``--shallow-exclude``, then one more level so the boundary sits
    on the previous release's side); the whole history when that is not enough (a first
    release, a server without ``deepen-not``)."""
    git.fetch([*_FETCH, "--depth=1", "origin", "+refs/tags/*:refs/tags/*"], config)
    tags = {t.name: t for t in git.tags()}
    previous = previous_tag(tag, [DatedTag(t.name, t.date) for t in tags.values()])
    if tag in tags and previous is not None:
        ref = f"+refs/tags/{tag}:refs/tags/{tag}"
        try:
            git.fetch([*_FETCH, f"--shallow-exclude=refs/tags/{previous}", "origin", ref],
                      config)
            git.fetch([*_FETCH, "--deepen=1", "origin", ref], config)
            if git.range_complete(tags[tag].commit, tags[previous].commit):
                return True
        except ReleasecastError:
            pass
    git.fetch([*_FETCH, "--tags", "--unshallow", "origin"], config)
    return True


def ensure_history(checkout: Path, tag: str, *, token: str | None = None,
                   server_url: str = "https://github.com", warn: Warn | None = None) -> bool:
    """Make ``checkout`` hold the history and tags the release's numbers need; True when it
    does. Fetches from ``origin``: with the credentials the checkout has, plus ``token`` for
    ``server_url`` when origin is there. A full clone without the previous tag may simply be
    the first release: failing to fetch tags for it is not worth a warning; a shallow clone
    that stays shallow is (its numbers will be left out)."""
    if not (checkout / ".git").exists():
        return False  # no checkout: the post is written from the release notes alone
    try:
        git = GitRepo(checkout)
        shallow = git.is_shallow()
        if not _needs_history(git, tag):
            return True
        remote = git.origin_url()
        if remote is None:
            if shallow:
                raise ReleasecastError("the checkout has no origin remote to fetch from")
            return True
        config: list[tuple[str, str]] = []
        if token and _same_server(remote, server_url):
            from ..blog.git import GitAuth

            config.append(GitAuth(token, server_url.rstrip("/")).config)
        if shallow:
            return _deepen(git, tag, config)
        with contextlib.suppress(ReleasecastError):  # a full clone: perhaps a first release
            git.fetch([*_FETCH, "--tags", "origin"], config)
        return True
    except ReleasecastError as exc:
        if warn:
            warn(f"could not fetch the history for {tag} ({exc}); "
                 "check out with `fetch-depth: 0` to count commits, files and lines")
        return False


def facts_tag(event: dict[str, Any]) -> str:
    """The release's tag in a (checked) release event."""
    return str((event.get("release") or {}).get("tag_name") or "")


def settle_facts(facts: ReleaseFacts, *, token: str | None, api_url: str, warn: Warn,
                 config: Config | None = None) -> ReleaseFacts:
    """What the Action does once the facts are collected: count through GitHub's compare API
    the numbers git could not count (when a token allows and ``github.api`` is on), apply
    the user's ``categories:`` (and the labels the API gave), and pass on the facts stage's
    warnings (numbers left out) to ``warn``."""
    config = config or Config()
    if not facts.counted and token and config.github.api and "/" in facts.repository.full_name:
        try:
            github = GitHubFacts(facts.repository.full_name, token, api_url)
        except ImportError:  # PyGithub is the `github` extra (the Action's image has it)
            warn("counting through GitHub's API needs PyGithub: pip install 'releasecast[github]'")
        else:
            facts = enrich(facts, github, warn, bots=config.notes.thank_bots)
    facts.items = apply_categories(facts.items, config.categories, config.notes.exclude,
                                   dict(config.github.labels))
    for message in facts.warnings:
        warn(message)
    return facts
