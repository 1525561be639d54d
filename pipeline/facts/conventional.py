"""Conventional Commits (``feat(cli)!: ...``) and pull-request references in commit subjects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..structure import ChangeKind

# type(scope)!: description. The type is one word; the scope anything but parentheses.
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z-]{0,19})(?:\((?P<scope>[^()\n]*)\))?(?P<bang>!)?:[ \t]+"
    r"(?P<description>\S.*)$",
    re.DOTALL,
)
# A footer token per the spec: "BREAKING CHANGE: ..." or "BREAKING-CHANGE: ..." at a line start.
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:", re.MULTILINE)

_MERGE_PR = re.compile(r"^Merge pull request #(?P<pr>\d+) from (?P<head>\S+)")
_SQUASH_PRS = re.compile(r"\(#(\d+)\)")
_TRAILING_PRS = re.compile(r"(?:\s*\(#\d+\))+\s*$")

FEATURE_TYPES = frozenset({"feat", "feature"})
FIX_TYPES = frozenset({"fix", "bugfix", "hotfix"})
_KINDS_OF_TYPES = {"security": ChangeKind.SECURITY, "sec": ChangeKind.SECURITY,
                   "perf": ChangeKind.PERFORMANCE, "docs": ChangeKind.DOCS,
                   "doc": ChangeKind.DOCS, "deprecate": ChangeKind.DEPRECATION,
                   "deprecation": ChangeKind.DEPRECATION, "remove": ChangeKind.REMOVAL}
# Types people put in front of release-note entries. For commit subjects any word counts, but a
# bullet such as "Note: ..." must not be mistaken for a typed entry.
KNOWN_TYPES = FEATURE_TYPES | FIX_TYPES | frozenset(_KINDS_OF_TYPES) | frozenset({
    "perf", "refactor", "docs", "doc", "style", "test", "tests", "build", "ci", "chore",
    "revert", "deps", "dep", "release", "i18n", "ux", "ui",
})


@dataclass(frozen=True)
class Header:
    type: str  # lower case
    scope: str | None
    breaking: bool
    description: str

    @property
    def kind(self) -> ChangeKind:
        if self.breaking:
            return ChangeKind.BREAKING
        if self.type in FEATURE_TYPES:
            return ChangeKind.FEATURE
        if self.type in FIX_TYPES:
            return ChangeKind.FIX
        return _KINDS_OF_TYPES.get(self.type, ChangeKind.OTHER)


def parse_header(text: str, *, known_types_only: bool = False) -> Header | None:
    """The conventional-commit header of a subject or note entry, or None."""
    match = _HEADER.match(text.strip())
    if not match:
        return None
    kind = match["type"].lower()
    if known_types_only and kind not in KNOWN_TYPES:
        return None
    scope = (match["scope"] or "").strip() or None
    return Header(type=kind, scope=scope, breaking=bool(match["bang"]),
                  description=match["description"].strip())


def has_breaking_footer(message: str) -> bool:
    return bool(_BREAKING_FOOTER.search(message))


# GitLab's merge commits: "See merge request group/project!12" in the body.
_MERGE_REQUEST = re.compile(r"^See merge request (?:[\w.-]+/)*[\w.-]*!(?P<number>\d+)\s*$",
                            re.MULTILINE)
# "Closes #12", "Fixes: #12", "Resolves owner/repo#12" as a trailer line of the body.
_CLOSES = re.compile(r"^(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+"
                     r"(?:[\w.-]+/[\w.-]+)?#(?P<number>\d+)\s*$", re.IGNORECASE | re.MULTILINE)
_MERGE_BRANCH = re.compile(r"^Merge (?:branch|remote-tracking branch|tag|commit) ")


def pull_requests(subject: str, body: str = "") -> list[int]:
    """PR numbers a commit names: GitHub merge commits ("Merge pull request #N from ..."),
    squash-merge suffixes ("Title (#N)"), GitLab's "See merge request !N"; with none of
    those, "Closes #N" trailers."""
    merge = _MERGE_PR.match(subject)
    if merge:
        return [int(merge["pr"])]
    tail = _TRAILING_PRS.search(subject)
    if tail:
        return [int(n) for n in _SQUASH_PRS.findall(tail.group())]
    if body:
        found = [int(m["number"]) for m in _MERGE_REQUEST.finditer(body)]
        return found or [int(m["number"]) for m in _CLOSES.finditer(body)]
    return []


def is_branch_merge(subject: str) -> bool:
    """"Merge branch 'main' into ...": brings no change of its own."""
    return bool(_MERGE_BRANCH.match(subject))


def strip_pr_suffix(subject: str) -> str:
    """``fix: x (#12)`` -> ``fix: x``."""
    return _TRAILING_PRS.sub("", subject).rstrip()


def merged_pr_title(subject: str, body: str) -> str | None:
    """The PR title GitHub puts on the first body line of a merge commit, if this is one."""
    if not _MERGE_PR.match(subject):
        return None
    first = body.strip().split("\n", 1)[0].strip()
    return first or None
