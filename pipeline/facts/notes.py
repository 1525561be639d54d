"""Release notes (the release body) as classified change items.

The body is parsed as CommonMark with markdown-it-py: headings give each bullet its section,
list items give the entries (nested bullets included), whatever the bullet character, line
endings or HTML around them. Only the text of one entry is then read with small patterns, to
split off what tools append to it: GitHub's ``by @user in URL``, release-drafter's
``@user (#12)``, release-please's and semantic-release's ``([#12](url)) ([abc1234](url))``.

An entry's kind comes from, in order: the heading it sits under ("Bug Fixes", "### Added",
"## 🚀 Features"), its conventional-commit prefix (``feat(cli)!:``), then words in it
("BREAKING", a leading "Fix"/"Add"). Nested entries with no kind of their own take their
parent's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..structure import ChangeItem, ChangeKind
from .conventional import Header, parse_header

LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?"

# "... by @user in https://github.com/o/r/pull/12" (GitHub's generated notes), also "in #12".
_GITHUB_TAIL = re.compile(
    rf"\s+by\s+@(?P<author>{LOGIN})"
    r"(?:\s+in\s+(?:(?P<url>https?://\S+?)|\[#(?P<pr_link>\d+)\]\((?P<link>[^)\s]+)\)|"
    r"#(?P<pr>\d+)))?\s*$"
)
# release-drafter's default "$TITLE @$AUTHOR (#$NUMBER)", and the other order.
_DRAFTER_TAIL = re.compile(
    rf"\s+(?:@(?P<author>{LOGIN})\s+\(#(?P<pr>\d+)\)|\(#(?P<pr2>\d+)\)\s+@(?P<author2>{LOGIN}))"
    r"\s*$"
)
# release-please / semantic-release: "([#12](url)) ([abc1234](url))", ", closes [#45](url)".
_LINK_REFS_TAIL = re.compile(
    r"(?:\s*\(\[(?:#\d+|[0-9a-f]{7,40})\]\([^)\s]+\)\))+"
    r"(?:,?\s+closes\s+(?:\[#\d+\]\([^)\s]+\)[,\s]*)+)?\s*$"
)
_LINK_REF = re.compile(r"\(\[(?P<label>#\d+|[0-9a-f]{7,40})\]\((?P<url>[^)\s]+)\)\)")
_TAIL_WINDOW = 1200
_PLAIN_PR_TAIL = re.compile(r"\s*\(#(?P<pr>\d+)\)\s*$")
_PR_IN_URL = re.compile(r"/(?:pull|issues|merge_requests)/(?P<number>\d+)")
# "**BREAKING:** ...", "BREAKING CHANGE: ...", "**Breaking change**: ..." at an entry's start.
_BREAKING_MARKER = re.compile(
    r"^(?:\*\*|__)?(?:BREAKING(?:[ -]CHANGES?)?|[Bb]reaking(?: [Cc]hanges?)?)(?:\*\*|__)?"
    r"\s*:\s*(?:\*\*|__)?\s*"
)
# release-please's scope prefix: "**cli:** add --dry-run"
_BOLD_SCOPE = re.compile(r"^\*\*(?P<scope>[^*\n]{1,40}?):\*\*\s+")
_NEW_CONTRIBUTOR = re.compile(rf"@(?P<login>{LOGIN}) made (?:their|his|her) first contribution")
_MENTION = re.compile(rf"(?<![\w/@])@(?P<login>{LOGIN})")
_FULL_CHANGELOG = re.compile(r"Full Changelog\W{0,6}?(?P<url>https?://[^\s)<>\]]+)", re.I)
_COMPARE = re.compile(r"/compare/(?P<base>[^/?#]+?)\.\.\.(?P<head>[^/?#]+)$")
_WORDS = re.compile(r"[^\W\d_]+")

_BREAKING_WORD = re.compile(r"\bBREAKING\b|(?i:\bbreaking changes?\b)")
_FIX_VERBS = frozenset({"fix", "fixes", "fixed", "fixing", "resolve", "resolves", "resolved",
                        "correct", "corrects", "corrected", "patch", "patched", "repair"})
_FEATURE_VERBS = frozenset({"add", "adds", "added", "adding", "introduce", "introduces",
                            "introduced", "support", "supports", "implement", "implements",
                            "implemented", "new", "allow", "allows", "enable", "enables"})

# Section headings, by the words in them (emoji looked at when no word decides).
_CONTRIBUTOR_WORDS = frozenset({"contributor", "contributors", "thanks", "acknowledgements",
                                "acknowledgments"})
_FIRST_TIME_WORDS = frozenset({"new", "first"})
_SECTION_WORDS = {
    ChangeKind.BREAKING: frozenset({"breaking"}),
    ChangeKind.FIX: frozenset({"fix", "fixes", "fixed", "bug", "bugs", "bugfix", "bugfixes",
                               "hotfix", "hotfixes", "security", "patches"}),
    ChangeKind.FEATURE: frozenset({"feature", "features", "feat", "added", "new", "enhancement",
                                   "enhancements"}),
    ChangeKind.OTHER: frozenset({"documentation", "docs", "chore", "chores", "maintenance",
                                 "dependencies", "dependency", "deps", "internal", "refactor",
                                 "refactoring", "tests", "testing", "ci", "build", "performance",
                                 "perf", "reverts", "style", "tooling", "infrastructure"}),
}
_SECTION_EMOJI = {
    ChangeKind.BREAKING: "💥⚠🚨",
    ChangeKind.FIX: "🐛🩹🔒🚑🐞",
    ChangeKind.FEATURE: "🚀✨🎉🆕🌟",
    ChangeKind.OTHER: "📝📚🧰🔧⬆📦🏗♻⚡🧪👷🔨",
}


@dataclass
class ReleaseNotes:
    """What a release body says, beyond its prose."""

    items: list[ChangeItem] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)  # logins credited on items, in order
    new_contributors: list[str] = field(default_factory=list)  # "## New Contributors"
    thanked: list[str] = field(default_factory=list)  # other "Contributors"/"Thanks" sections
    full_changelog_url: str | None = None

    @property
    def compared_tags(self) -> tuple[str, str] | None:
        """(base, head) of a ``.../compare/v1.1.0...v1.2.0`` Full Changelog link."""
        if not self.full_changelog_url:
            return None
        match = _COMPARE.search(self.full_changelog_url)
        return (match["base"], match["head"]) if match else None


@dataclass
class _Section:
    level: int
    title: str
    kind: ChangeKind | None  # None: the heading does not decide ("What's Changed", "Changed")
    role: str = "changes"  # or "new_contributors", "contributors"


@dataclass
class _Entry:
    """One list item while the token stream is walked."""

    level: int  # markdown-it nesting level of the list_item_open token
    section: _Section | None
    sections: tuple[_Section, ...]
    parent: _Entry | None
    paragraphs: list[str] = field(default_factory=list)
    children: int = 0
    item: ChangeItem | None = None  # filled once classified

    @property
    def text(self) -> str:
        return " ".join(" ".join(p.split()) for p in self.paragraphs).strip()


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def parse_notes(body: str) -> ReleaseNotes:
    """Items, credited authors, first-time contributors and the Full Changelog link of a body."""
    notes = ReleaseNotes()
    if not body or not body.strip():
        return notes
    entries = _walk(_markdown().parse(body), notes)
    for entry in entries:
        _consume(entry, notes)
    seen: set[str] = set()
    for item in notes.items:
        if item.author and item.author.lower() not in seen:
            seen.add(item.author.lower())
            notes.authors.append(item.author)
    return notes


def _walk(tokens: list[Token], notes: ReleaseNotes) -> list[_Entry]:
    """List entries in document order, each with its heading and its own paragraphs."""
    sections: list[_Section] = []
    open_entries: list[_Entry] = []
    entries: list[_Entry] = []
    pending_heading: int | None = None
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            pending_heading = int(token.tag[1])
        elif kind == "inline" and pending_heading is not None:
            while sections and sections[-1].level >= pending_heading:
                sections.pop()
            sections.append(_section(pending_heading, token.content))
            pending_heading = None
        elif kind == "list_item_open":
            parent = open_entries[-1] if open_entries else None
            if parent:
                parent.children += 1
            entry = _Entry(level=token.level, section=sections[-1] if sections else None,
                           sections=tuple(sections), parent=parent)
            open_entries.append(entry)
            entries.append(entry)
        elif kind == "list_item_close":
            open_entries.pop()
        elif kind == "inline":
            if _take_full_changelog(token.content, notes):
                continue
            # A paragraph of the innermost open item (not of a nested list, not a heading).
            # markdown-it levels: list_item L, paragraph L+1, inline L+2.
            if open_entries and tokens[index - 1].type == "paragraph_open" \
                    and token.level == open_entries[-1].level + 2:
                open_entries[-1].paragraphs.append(token.content)
            elif not open_entries and sections and sections[-1].role != "changes":
                _credit(token.content, sections[-1].role, notes)  # "Thanks to @a and @b!"
    return entries


def _take_full_changelog(content: str, notes: ReleaseNotes) -> bool:
    match = _FULL_CHANGELOG.search(content)
    if not match:
        return False
    if notes.full_changelog_url is None:
        notes.full_changelog_url = match["url"].rstrip(".,;")
    return True


def _section(level: int, title: str) -> _Section:
    title = " ".join(title.split())
    lowered = title.lower()
    words = set(_WORDS.findall(lowered))
    if words & _CONTRIBUTOR_WORDS:
        role = "new_contributors" if words & _FIRST_TIME_WORDS else "contributors"
        return _Section(level, title, None, role)
    matched = [kind for kind, names in _SECTION_WORDS.items() if words & names]
    if ChangeKind.BREAKING in matched:
        return _Section(level, title, ChangeKind.BREAKING)
    if len(matched) == 1:
        return _Section(level, title, matched[0])
    if not matched:
        for kind, emoji in _SECTION_EMOJI.items():
            if any(char in emoji for char in title):
                return _Section(level, title, kind)
    return _Section(level, title, None)  # none, or both "Features & Fixes": each item decides


def _consume(entry: _Entry, notes: ReleaseNotes) -> None:
    text = entry.text
    role = entry.section.role if entry.section else "changes"
    if role != "changes":
        _credit(text, role, notes)
        return
    if not text:
        return
    if entry.children and _is_label(text):
        return  # "- **Parser:**" over nested bullets: a grouping, its children are the items
    entry.item = _item(text, entry)
    notes.items.append(entry.item)


def _credit(text: str, role: str, notes: ReleaseNotes) -> None:
    """People named in a "New Contributors" or "Contributors"/"Thanks" section."""
    if role == "new_contributors":
        first = _NEW_CONTRIBUTOR.findall(text)
        found, into = (first or [m["login"] for m in _MENTION.finditer(text)],
                       notes.new_contributors)
    else:
        found, into = [m["login"] for m in _MENTION.finditer(text)], notes.thanked
    for login in found:
        if login not in into:
            into.append(login)


def _is_label(text: str) -> bool:
    return text.endswith(":") or bool(re.fullmatch(r"(\*\*|__)[^*_]+(\*\*|__):?", text))


def _label_of(entry: _Entry) -> str | None:
    parent = entry.parent
    if parent is None or parent.item is not None or not _is_label(parent.text):
        return None
    return parent.text.strip("*_: ") or None


def _item(text: str, entry: _Entry) -> ChangeItem:
    text, author, pr, url = _split_tail(text)
    marker = _BREAKING_MARKER.match(text)
    if marker:
        text = text[marker.end():]
    scope = None
    bold_scope = _BOLD_SCOPE.match(text)
    if bold_scope:
        scope = bold_scope["scope"].strip()
        text = text[bold_scope.end():]
    header = parse_header(text, known_types_only=True)
    if header:
        scope = header.scope or scope
        text = header.description
    return ChangeItem(
        text=text,
        kind=_kind(entry, text, header, explicitly_breaking=bool(marker)),
        section=entry.section.title if entry.section else "",
        author=author,
        pr=pr,
        url=url,
        scope=scope or _label_of(entry),
    )


def _kind(entry: _Entry, text: str, header: Header | None, *,
          explicitly_breaking: bool) -> ChangeKind:
    # An entry that itself says it breaks things ("feat!:", "**BREAKING:**") is breaking under
    # any heading: a breaking change filed under "Features" must not be told as a feature.
    if explicitly_breaking or (header and header.breaking):
        return ChangeKind.BREAKING
    kind = _section_kind(entry)
    if kind is None and header is not None:
        kind = header.kind
    if kind is None:
        kind = keyword_kind(text)
    if kind is None and entry.parent and entry.parent.item:
        kind = entry.parent.item.kind
    return kind or ChangeKind.OTHER


def _section_kind(entry: _Entry) -> ChangeKind | None:
    """The kind the nearest deciding heading gives ("### cli" under "## Bug Fixes" -> FIX)."""
    for section in reversed(entry.sections):
        if section.kind is not None:
            return section.kind
    return None


def _split_tail(text: str) -> tuple[str, str | None, int | None, str | None]:
    """The entry's own words, and the author, PR number and PR URL tools append to it.

    A sentence's final period may follow the tail ("... symlink (#231).") and is kept.
    """
    found = _tail(text)
    if found is None and text[-1:] in (".", ";"):
        found = _tail(text[:-1].rstrip())
        if found:
            found = (found[0] + text[-1], *found[1:])
    return found or (text, None, None, None)


def _tail(text: str) -> tuple[str, str | None, int | None, str | None] | None:
    # Tails are short; looking only at the end keeps a hostile 100 kB bullet linear.
    if len(text) > _TAIL_WINDOW:
        found = _tail(text[-_TAIL_WINDOW:])
        return (text[:-_TAIL_WINDOW] + found[0], *found[1:]) if found else None
    github = _GITHUB_TAIL.search(text)
    if github:
        url = (github["url"] or github["link"] or "").rstrip(".,;") or None
        number = github["pr"] or github["pr_link"]
        pr = int(number) if number else _pr_from_url(url)
        return text[:github.start()].rstrip(), github["author"], pr, url
    drafter = _DRAFTER_TAIL.search(text)
    if drafter:
        author = drafter["author"] or drafter["author2"]
        return text[:drafter.start()].rstrip(), author, int(drafter["pr"] or drafter["pr2"]), None
    refs = _LINK_REFS_TAIL.search(text)
    if refs:
        # The first "#N" reference is the PR (release-please links PRs as .../issues/N);
        # "closes #N" names issues and hexadecimal labels are commits.
        first = next((r for r in _LINK_REF.finditer(refs.group()) if r["label"][0] == "#"), None)
        pr, url = (int(first["label"][1:]), first["url"]) if first else (None, None)
        return text[:refs.start()].rstrip(), None, pr, url
    plain = _PLAIN_PR_TAIL.search(text)
    if plain:
        return text[:plain.start()].rstrip(), None, int(plain["pr"]), None
    return None


def _pr_from_url(url: str | None) -> int | None:
    if not url:
        return None
    match = _PR_IN_URL.search(url)
    return int(match["number"]) if match else None


def keyword_kind(text: str) -> ChangeKind | None:
    if _BREAKING_WORD.search(text):
        return ChangeKind.BREAKING
    words = _WORDS.findall(text.lower())
    first = words[0] if words else ""
    if first in _FIX_VERBS:
        return ChangeKind.FIX
    if first in _FEATURE_VERBS:
        return ChangeKind.FEATURE
    return None
