"""Rendering the Jekyll post: front matter jekyll-seo-tag understands, release text kept literal.

The post is rendered with ``render_with_liquid: false``, so Liquid in release notes is inert;
what is left is HTML and Kramdown syntax, neutralized here by the ``md`` and ``text`` filters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from ..config import Config
from ..structure import ChangeItem, ChangeKind, Contributor, ReleaseFacts, Story
from ..templating import environment

MAX_LISTED = 100  # items per section in the post; the rest are linked to the release notes

_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;", "$": "&#36;"}
_PROSE_SPECIALS = re.compile(r"[&<>{}$]")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]()#+\-!|:\"'.=])")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=|:*]|\d+[.)])")
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


def _entities(text: str) -> str:
    return _PROSE_SPECIALS.sub(lambda m: _ENTITIES[m.group()], text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def md_inline(text: str) -> str:
    """Inline Markdown as the author wrote it, with HTML, Kramdown and block syntax made inert.

    Code spans are kept verbatim (Kramdown shows their content literally); outside them,
    ``< > & { } $`` become entities so no tag, Kramdown attribute list or math block forms.
    """
    text = _one_line(text)
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_entities(text[pos : match.start()]))
        out.append(match.group())
        pos = match.end()
    out.append(_entities(text[pos:]))
    result = "".join(out)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), result, count=1)


def literal_text(text: str) -> str:
    """Text shown exactly as written: no Markdown, no HTML."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", _one_line(text))
    return _entities(escaped)


def url(value: str) -> str:
    """A link target that cannot end the Markdown link early."""
    return quote(str(value), safe=":/?#[]@!$&'*+,;=%~.-_")


def person(contributor: Contributor) -> str:
    login = contributor.login
    if _GITHUB_LOGIN.match(login):
        return f"[@{login}](https://github.com/{login.removesuffix('[bot]')})"
    return literal_text(login)


def credit(item: ChangeItem, repo_url: str = "") -> str:
    """`` (#12, #9 by @user)`` with links, from what the notes said: the PR links to its URL,
    the other numbers it cites to the repository (GitHub sends /pull/N of an issue on)."""
    refs = list(dict.fromkeys([*([item.pr] if item.pr is not None else []), *item.refs]))
    links = []
    for number in refs:
        if number == item.pr and item.url:
            links.append(f"[#{number}]({url(item.url)})")
        elif repo_url:
            links.append(f"[#{number}]({url(f'{repo_url}/pull/{number}')})")
        else:
            links.append(f"#{number}")
    parts = [", ".join(links)] if links else []
    if not refs and item.url:
        parts.append(f"[link]({url(item.url)})")
    if item.author:
        parts.append("by " + person(Contributor(item.author)))
    return f" ({' '.join(parts)})" if parts else ""


# The post's change sections, in this order: (kind, heading, intro).
_SECTIONS: tuple[tuple[ChangeKind, str, str], ...] = (
    (ChangeKind.BREAKING, "Breaking changes", "Read these before you upgrade:"),
    (ChangeKind.SECURITY, "Security", ""),
    (ChangeKind.REMOVAL, "Removed", ""),
    (ChangeKind.DEPRECATION, "Deprecations", ""),
    (ChangeKind.FEATURE, "New features", ""),
    (ChangeKind.FIX, "Fixes", ""),
    (ChangeKind.PERFORMANCE, "Performance", ""),
    (ChangeKind.DOCS, "Documentation", ""),
    (ChangeKind.OTHER, "Other changes", ""),
)


def change_sections(facts: ReleaseFacts, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    """The non-empty sections of the post, each with its items grouped by component (in the
    order each group first appears) and how many were left out. Breaking changes are never
    cut: a reader must see every one."""
    sections = []
    for kind, heading, intro in _SECTIONS:
        items = facts.of_kind(kind)
        if not items:
            continue
        shown = items if kind == ChangeKind.BREAKING else items[:limit]
        groups: dict[str | None, list[ChangeItem]] = {}
        for item in shown:
            groups.setdefault(item.group, []).append(item)
        sections.append({"kind": kind.value, "heading": heading, "intro": intro,
                         "groups": list(groups.items()), "more": len(items) - len(shown)})
    return sections


def glyph(item: ChangeItem) -> str:
    """The entry's emoji, with a space, where it agrees with the section it is listed in (a
    🐛 on an internal change filed under "Other" would say the wrong thing)."""
    from ..facts.kinds import emoji_kind

    if not item.emoji or emoji_kind(item.emoji) not in (item.kind, None):
        return ""
    return item.emoji + " "


def plural_word(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word alone, agreeing with ``count`` ("1 commit", "2 commits")."""
    return singular if count == 1 else (plural_form or singular + "s")


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=1_000_000, default_flow_style=False
    ).rstrip("\n")


def post_date(facts: ReleaseFacts) -> datetime:
    date = facts.date
    return date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)


def post_filename(facts: ReleaseFacts, slug: str) -> str:
    return f"{post_date(facts):%Y-%m-%d}-{slug}.md"


def front_matter(
    facts: ReleaseFacts, story: Story, config: Config, *, image: str | None, video: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "layout": config.output.layout,
        "title": _one_line(story.title),
        "date": post_date(facts).strftime("%Y-%m-%d %H:%M:%S %z"),
        "description": _one_line(story.summary),
        "tags": story.tags,
    }
    if image:
        data["image"] = image
    data["render_with_liquid"] = False
    data["releasecast"] = {
        "repository": facts.repository.full_name,
        "tag": facts.tag,
        "previous_tag": facts.previous_tag,
        "release_url": facts.url,
        "prerelease": facts.prerelease,
        "writer": story.writer,
    }
    if video:
        data["video"] = video
    if extra:
        data.update(extra)
    return data


def render_post(
    facts: ReleaseFacts,
    story: Story,
    config: Config,
    *,
    images: dict[str, Any],
    video: dict[str, Any] | None,
    extra_front_matter: dict[str, Any] | None = None,
    youtube: dict[str, Any] | None = None,
) -> str:
    """The post's full text. ``images``/``video`` hold site URLs (see :mod:`pipeline.site`);
    ``youtube`` (id, url, embed_url) the reel's YouTube video when it has one."""
    # The post speaks the story's language: its fixed phrases come from the same catalogues.
    env = environment(config.templates, language=story.language, autoescape=False)
    repo_url = facts.repository.html_url
    env.filters.update(
        md=md_inline, text=literal_text, url=url, person=person, yaml=to_yaml,
        credit=lambda item: credit(item, repo_url), plural_word=plural_word, glyph=glyph,
    )
    matter = front_matter(
        facts, story, config, image=images.get("social_card"),
        video=video["url"] if video else None, extra=extra_front_matter,
    )
    text = env.get_template("post.md.j2").render(
        facts=facts, story=story, config=config, front_matter=matter, images=images,
        video=video, youtube=youtube, max_listed=MAX_LISTED,
        change_sections=change_sections(facts),
    )
    return re.sub(r"\n{3,}", "\n\n", text)


def read_front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of an existing post ({} when absent or unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
