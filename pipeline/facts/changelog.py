"""Release notes from a changelog file in the checkout, for releases whose GitHub body is empty
or only points at ``CHANGELOG.md``.

The section for a tag is the one under the first heading that names its version, in any of the
forms people write: ``## 1.2.0``, ``## [1.2.0] - 2024-05-01``, ``## Version 1.2.0``,
``# 1.53.0 (2026-03-01)``, ``## v2.14.0b1 (date)``, ``## <small>[8.2.2](url)</small>``;
a monorepo tag (``tokio-1.53.0``) is looked up by its version. The section ends at the next
heading of the same or a higher level.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from ..errors import InputError

CANDIDATES = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md", "RELEASES.md",
              "docs/CHANGELOG.md", "docs/changelog.md", "CHANGELOG", "CHANGES.rst")
_TAG_VERSION = re.compile(r"(?:^|[-_/@])[vV]?(?P<version>\d+(?:\.\d+)+(?:[-.+]?[0-9A-Za-z.]+)?)$")
_HTML_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_POINTER = re.compile(r"changelog|changes\.(?:md|rst)|history\.md|news\.md|release notes", re.I)
_MAX_BYTES = 5_000_000


def versions_of(tag: str) -> list[str]:
    """The strings a changelog heading may use for ``tag``: the tag, then its version."""
    names = [tag]
    match = _TAG_VERSION.search(tag)
    if match:
        names.append(match["version"])
    return list(dict.fromkeys(names))


def find_changelog(root: Path, configured: str | None = None) -> Path | None:
    if configured:
        path = (root / configured)
        if not path.is_file():
            raise InputError(f"notes.file: {configured} does not exist in the checkout")
        return path
    return next((root / name for name in CANDIDATES if (root / name).is_file()), None)


def changelog_section(text: str, tag: str) -> str | None:
    """The Markdown under the heading for ``tag``, or None when no heading names it."""
    tokens = MarkdownIt("commonmark").parse(text)
    lines = text.splitlines(keepends=True)
    patterns = [re.compile(rf"(?<![\w.-]){'[vV]?' if name[0].isdigit() else ''}"
                           rf"{re.escape(name)}(?![\w+-]|\.\d)") for name in versions_of(tag)]
    start: tuple[int, int] | None = None  # (level, first line after the heading)
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None:
            continue
        level = int(token.tag[1])
        if start is not None:
            if level <= start[0]:
                return "".join(lines[start[1]:token.map[0]]).strip() or None
            continue
        title = _LINK.sub(r"\1", _HTML_TAG.sub("", tokens[index + 1].content))
        if any(p.search(title) for p in patterns):
            start = (level, token.map[1])
    if start is None:
        return None
    return "".join(lines[start[1]:]).strip() or None


def points_elsewhere(body: str, has_items: bool) -> bool:
    """An empty body, or a short one that only sends readers to a changelog."""
    stripped = body.strip()
    return not stripped or (not has_items and len(stripped) < 500
                            and bool(_POINTER.search(stripped)))


def read_changelog(root: Path, tag: str, configured: str | None = None) -> tuple[str, Path] | None:
    """(section, file) for ``tag`` from the checkout's changelog, or None."""
    path = find_changelog(root, configured)
    if path is None:
        return None
    try:
        raw = path.read_bytes()[:_MAX_BYTES]
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    section = changelog_section(raw.decode("utf-8", "replace"), tag)
    return (section, path) if section else None
