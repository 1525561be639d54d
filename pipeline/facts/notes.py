"""Release notes (the release body) as classified change items.

The body is parsed as CommonMark with markdown-it-py: headings give each bullet its section,
list items give the entries (nested bullets included), whatever the bullet character, line
endings or HTML around them. Paragraphs that only say ``BUG FIXES:`` or ``**Features**``
act as headings (Terraform and HashiCorp-style changelogs write them so). Only the text of one
entry is then read with small patterns: markup that is not Markdown (Sphinx/MyST and reST
roles, ``gh-12``; :mod:`.markup`), then what tools append to it: GitHub's
``by @user in URL``, release-drafter's ``@user (#12)``, release-please's and
semantic-release's ``([#12](url)) ([abc1234](url))``, FastAPI's ``PR [#12](url) by
[@user](url).``, reference-style ``([#12])`` links, trailing ``(#12, #13)``.

An entry's kind comes from the first of these signals that decides (:mod:`.kinds`):

1. the entry saying itself that it breaks things (``feat!:``, ``**BREAKING:**``, 💥);
2. the nearest heading that names a kind ("Bug Fixes", "### Added", "## 🚀 Features",
   "NEW FEATURES:", "Upgrade notes", "新功能", "バグ修正");
3. a conventional-commit prefix (``fix(cli):``, ``perf:``, ``docs:``);
4. a gitmoji or emoji at its start (🐛 ✨ 🔒 ⚡ 📝 🗑 🔥 …, also ``:bug:``);
5. words ("Fix …", "Add …", "Deprecate …", "… no longer …", "regression", CVE ids);
6. the parent entry's kind; else "other".

A bullet that only names a component ("- Form", "- **Parser:**") over nested bullets is not an
entry: it becomes its children's ``group``, as does a heading that names no kind ("### IO uring
(unstable)", "### cli").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..structure import ChangeItem, ChangeKind
from .conventional import Header, parse_header
from .kinds import (
    component_heading,
    emoji_kind,
    keyword_kind,
    leading_emoji,
    section_kind,
    section_role,
)
from .markup import clean_markup, resolve_reference_links

__all__ = ["LOGIN", "ReleaseNotes", "keyword_kind", "parse_notes"]

LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?"
_BY = rf"by\s+(?:@(?P<author>{LOGIN})|\[@(?P<author_link>{LOGIN})\]\([^)\s]*\))"

# "... by @user in https://github.com/o/r/pull/12" (GitHub's generated notes), also "in #12".
_GITHUB_TAIL = re.compile(
    rf"\s+{_BY}"
    r"(?:\s+in\s+(?:(?P<url>https?://\S+?)|\[#(?P<pr_link>\d+)\]\((?P<link>[^)\s]+)\)|"
    r"#(?P<pr>\d+)))?\s*$"
)
# FastAPI's "Text. PR [#12](url) by [@user](url)."
_PR_BY_TAIL = re.compile(
    rf"\s+PR\s+\[#(?P<pr>\d+)\]\((?P<url>[^)\s]+)\)(?:\s+{_BY})?\s*\.?\s*$"
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
# Ant Design's "Text。[#12](url) [#13](url) [@user](url)": bare links at the end.
_BARE_LINKS_TAIL = re.compile(
    rf"(?:\s*,?\s*\[#\d+\]\([^)\s]+\))+(?:\s*,?\s*\[@{LOGIN}\]\([^)\s]*\))*\s*$"
)
_BARE_LINK = re.compile(rf"\[(?:#(?P<pr>\d+)|@(?P<login>{LOGIN}))\]\((?P<url>[^)\s]*)\)")
_LINK_REF = re.compile(r"\(\[(?P<label>#\d+|[0-9a-f]{7,40})\]\((?P<url>[^)\s]+)\)\)")
_TAIL_WINDOW = 1200
# "(#12)", "(#12, #13)", "#12" at the end (also what roles and gh-12 became).
_PLAIN_REFS_TAIL = re.compile(r"\s*(?:\((?:#\d+(?:\s*(?:,|and)\s*)?)+\)|(?<=[.\s])#\d+)\s*$")
_NUMBER_REF = re.compile(r"#(\d+)")
_PR_IN_URL = re.compile(r"/(?:pull|issues|merge_requests)/(?P<number>\d+)")
# "**BREAKING:** ...", "BREAKING CHANGE: ...", "**Breaking change**: ..." at an entry's start.
_BREAKING_MARKER = re.compile(
    r"^(?:\*\*|__)?(?:BREAKING(?:[ -]CHANGES?)?|[Bb]reaking(?: [Cc]hanges?)?)(?:\*\*|__)?"
    r"\s*:\s*(?:\*\*|__)?\s*"
)
# release-please's scope prefix: "**cli:** add --dry-run"
_BOLD_SCOPE = re.compile(r"^\*\*(?P<scope>[^*\n]{1,40}?):\*\*\s+")
# A plain component prefix: "net: add ...", "backend/s3: Support ...", "time (alt timer): ...",
# "`state show`: The ...". Short, no sentence inside it.
_PLAIN_SCOPE = re.compile(
    r"^(?P<scope>`[^`\n]{1,30}`|[A-Za-z][\w./+-]*(?: [\w./+-]+){0,2}(?: \([^()\n]{1,30}\))?)"
    r":\s+(?=\S)"
)
_NEW_CONTRIBUTOR = re.compile(rf"@(?P<login>{LOGIN}) made (?:their|his|her) first contribution")
_MENTION = re.compile(rf"(?<![\w/@])@(?P<login>{LOGIN})")
_FULL_CHANGELOG = re.compile(r"Full Changelog\W{0,6}?(?P<url>https?://[^\s)<>\]]+)", re.I)
_COMPARE = re.compile(r"/compare/(?P<base>[^/?#]+?)\.\.\.(?P<head>[^/?#]+)$")
# "BUG FIXES:", "NEW FEATURES:", "**Features**", "**Bug fixes:**" as a paragraph of its own.
_PSEUDO_HEADING = re.compile(
    r"^(?:(?P<caps>[A-Z][A-Z0-9 &/'()-]{1,50}):?|(?:\*\*|__)(?P<bold>[^*_\n]{1,50}?):?"
    r"(?:\*\*|__):?)$"
)
_VERSION_HEADING = re.compile(r"\d+\.\d+|\d{4}-\d{2}-\d{2}|^\[?unreleased\]?$", re.I)
_LABEL = re.compile(r"(\*\*|__)[^*_]+(\*\*|__):?")


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
    level: int  # 1-6 for headings; 7 for a paragraph acting as one
    title: str
    kind: ChangeKind | None  # None: the heading does not decide ("What's Changed", "Changes")
    role: str = "changes"  # or "new_contributors", "contributors"
    group: str | None = None  # a heading naming a component rather than a kind
    prose_items: int = 0  # items made from prose under a breaking heading


@dataclass
class _Entry:
    """One list item (or one paragraph of breaking-change prose) while the tokens are walked."""

    level: int  # markdown-it nesting level of the list_item_open token
    section: _Section | None
    sections: tuple[_Section, ...]
    parent: _Entry | None
    paragraphs: list[str] = field(default_factory=list)
    children: int = 0
    item: ChangeItem | None = None  # filled once classified
    group: str | None = None  # set on a parent that only names a component

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
    env: dict[str, Any] = {}
    tokens = _markdown().parse(body, env)
    references = env.get("references") or {}
    entries = _walk(tokens, notes)
    seen_items: set[tuple[str, int | None]] = set()
    for entry in entries:
        _consume(entry, notes, references, seen_items)
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
            _push(sections, _section(pending_heading, token.content))
            pending_heading = None
            prose = _breaking_prose(sections)
            if prose is not None and sections[-1].kind is None:
                # "### BREAKING CHANGES" / "#### Vapor event delegation is now opt-in": the
                # sub-heading names the change; the paragraphs under it explain it.
                entries.append(_Entry(level=-1, section=prose, sections=tuple(sections),
                                      parent=None, paragraphs=[token.content]))
                sections[-1].prose_items += 1
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
            in_paragraph = tokens[index - 1].type == "paragraph_open"
            if open_entries and in_paragraph and token.level == open_entries[-1].level + 2:
                open_entries[-1].paragraphs.append(token.content)
            elif not open_entries and in_paragraph:
                _paragraph(token.content, sections, entries, notes)
    return entries


def _push(sections: list[_Section], section: _Section) -> None:
    while sections and sections[-1].level >= section.level:
        sections.pop()
    sections.append(section)


def _paragraph(content: str, sections: list[_Section], entries: list[_Entry],
               notes: ReleaseNotes) -> None:
    """A top-level paragraph: a pseudo-heading, thanks, or breaking-change prose."""
    text = " ".join(content.split())
    pseudo = _PSEUDO_HEADING.match(text)
    if pseudo:
        title = (pseudo["caps"] or pseudo["bold"] or "").strip()
        candidate = _section(7, title)
        if candidate.kind is not None or candidate.role != "changes":
            _push(sections, candidate)
            return
    if sections and sections[-1].role != "changes":
        _credit(content, sections[-1].role, notes)  # "Thanks to @a and @b!"
        return
    prose = _breaking_prose(sections)
    if prose is not None and sections[-1] is prose and not prose.prose_items and text:
        # Prose straight under "BREAKING CHANGES" (no sub-heading, no list): one change per
        # paragraph.
        entries.append(_Entry(level=-1, section=prose, sections=tuple(sections), parent=None,
                              paragraphs=[content]))


def _breaking_prose(sections: list[_Section]) -> _Section | None:
    """The breaking heading the current position is under, if any."""
    return next((s for s in reversed(sections) if s.kind == ChangeKind.BREAKING), None)


def _take_full_changelog(content: str, notes: ReleaseNotes) -> bool:
    match = _FULL_CHANGELOG.search(content)
    if not match:
        return False
    if notes.full_changelog_url is None:
        notes.full_changelog_url = match["url"].rstrip(".,;")
    return True


def _section(level: int, title: str) -> _Section:
    title = " ".join(title.split())
    role = section_role(title)
    if role != "changes":
        return _Section(level, title, None, role)
    kind = section_kind(title)
    group = component_heading(title) if kind is None else None
    if group and _VERSION_HEADING.search(group):
        group = None  # "## 1.2.0 (2024-05-01)" is the release, not a part of it
    return _Section(level, title, kind, group=group)


def _consume(entry: _Entry, notes: ReleaseNotes, references: dict[str, Any],
             seen: set[tuple[str, int | None]]) -> None:
    text = entry.text
    role = entry.section.role if entry.section else "changes"
    if role != "changes":
        _credit(text, role, notes)
        return
    if not text:
        return
    if entry.children and _is_group(text):
        entry.group = text.strip("*_: ") or None
        return  # "- Form" over nested bullets: a grouping, its children are the items
    item = _item(resolve_reference_links(text, references), entry)
    entry.item = item
    key = (item.text, item.pr)
    if key in seen:
        return  # the same change listed under two headings counts once
    seen.add(key)
    notes.items.append(item)


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


def _is_group(text: str) -> bool:
    """A parent bullet that only names a component: "Parser:", "**Parser**", "Form"."""
    if text.endswith(":") or _LABEL.fullmatch(text):
        return True
    words = text.split()
    return (len(words) <= 4 and len(text) <= 40 and text[-1:] not in ".!?)"
            and "#" not in text and "](" not in text and keyword_kind(text) is None
            and parse_header(text, known_types_only=True) is None)


def _group_of(entry: _Entry) -> str | None:
    parent = entry.parent
    while parent is not None:
        if parent.group:
            return parent.group
        parent = parent.parent
    for section in reversed(entry.sections):
        if section.group:
            return section.group
        if section.kind is not None:
            break  # a component heading above the kind heading is not this entry's group
    return None


def _item(text: str, entry: _Entry) -> ChangeItem:
    cleaned = clean_markup(text)
    text, author, pr, url, tail_refs = _split_tail(cleaned.text)
    emoji, text = leading_emoji(text)
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
    elif scope is None and (plain := _PLAIN_SCOPE.match(text)) and entry.level >= 0:
        scope = plain["scope"].strip("`")
        text = text[plain.end():]
    refs = list(dict.fromkeys([*tail_refs, *cleaned.refs]))
    if pr is None and refs:
        pr = refs[0]
    if author is None and cleaned.users and len(cleaned.users) == 1:
        author = cleaned.users[0]
    explicit = bool(marker) or emoji_kind(emoji) == ChangeKind.BREAKING
    section = entry.section
    return ChangeItem(
        text=text,
        kind=_kind(entry, text, header, emoji, explicitly_breaking=explicit),
        section=section.title if section else "",
        author=author,
        pr=pr,
        url=url,
        scope=scope,
        group=_group_of(entry) if entry.level >= 0 else None,
        emoji=emoji,
        refs=refs,
    )


def _kind(entry: _Entry, text: str, header: Header | None, emoji: str | None, *,
          explicitly_breaking: bool) -> ChangeKind:
    # An entry that itself says it breaks things ("feat!:", "**BREAKING:**", 💥) is breaking
    # under any heading: a breaking change filed under "Features" must not be told as one.
    if explicitly_breaking or (header and header.breaking):
        return ChangeKind.BREAKING
    kind = _section_kind(entry)
    if kind is None and header is not None:
        kind = header.kind
    if kind is None:
        kind = emoji_kind(emoji)
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


_Tail = tuple[str, str | None, int | None, str | None, list[int]]


def _split_tail(text: str) -> _Tail:
    """The entry's own words, and the author, PR number, PR URL and references tools append.

    A sentence's final period may follow the tail ("... symlink (#231).") and is kept.
    """
    found = _tail(text)
    if found is None and text[-1:] in (".", ";"):
        found = _tail(text[:-1].rstrip())
        if found:
            found = (found[0] + text[-1], *found[1:])
    return found or (text, None, None, None, [])


def _tail(text: str) -> _Tail | None:
    # Tails are short; looking only at the end keeps a hostile 100 kB bullet linear.
    if len(text) > _TAIL_WINDOW:
        found = _tail(text[-_TAIL_WINDOW:])
        return (text[:-_TAIL_WINDOW] + found[0], *found[1:]) if found else None
    for pattern in (_GITHUB_TAIL, _PR_BY_TAIL):
        github = pattern.search(text)
        if github:
            groups = github.groupdict()
            url = (groups.get("url") or groups.get("link") or "").rstrip(".,;") or None
            number = groups.get("pr") or groups.get("pr_link")
            pr = int(number) if number else _pr_from_url(url)
            author = groups.get("author") or groups.get("author_link")
            head = text[:github.start()].rstrip()
            cited = _PLAIN_REFS_TAIL.search(head)  # "Fix x (#12) by @a": the PR is named
            numbers = [int(n) for n in _NUMBER_REF.findall(cited.group())] if cited else []
            if cited:
                head = head[:cited.start()].rstrip()
            pr = pr if pr is not None else (numbers[0] if numbers else None)
            return head, author, pr, url, list(dict.fromkeys(
                n for n in [pr, *numbers] if n is not None))
    drafter = _DRAFTER_TAIL.search(text)
    if drafter:
        author = drafter["author"] or drafter["author2"]
        pr = int(drafter["pr"] or drafter["pr2"])
        return text[:drafter.start()].rstrip(), author, pr, None, [pr]
    refs = _LINK_REFS_TAIL.search(text)
    if refs:
        # The first "#N" reference is the PR (release-please links PRs as .../issues/N);
        # "closes #N" names issues and hexadecimal labels are commits.
        numbered = [r for r in _LINK_REF.finditer(refs.group()) if r["label"][0] == "#"]
        first = numbered[0] if numbered else None
        pr, url = (int(first["label"][1:]), first["url"]) if first else (None, None)
        return (text[:refs.start()].rstrip(), None, pr, url,
                [int(r["label"][1:]) for r in numbered])
    bare = _BARE_LINKS_TAIL.search(text)
    if bare:
        links = list(_BARE_LINK.finditer(bare.group()))
        numbers = [int(m["pr"]) for m in links if m["pr"]]
        logins = [m["login"] for m in links if m["login"]]
        url = next(m["url"] for m in links if m["pr"])
        return (text[:bare.start()].rstrip(), logins[0] if len(logins) == 1 else None,
                numbers[0], url, numbers)
    plain = _PLAIN_REFS_TAIL.search(text)
    if plain:
        numbers = [int(n) for n in _NUMBER_REF.findall(plain.group())]
        return text[:plain.start()].rstrip(), None, numbers[0], None, numbers
    return None


def _pr_from_url(url: str | None) -> int | None:
    if not url:
        return None
    match = _PR_IN_URL.search(url)
    return int(match["number"]) if match else None
