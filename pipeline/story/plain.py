"""Turning release-note Markdown into plain words for slides and speech."""

from __future__ import annotations

import re
from collections.abc import Mapping

from markdown_it import MarkdownIt

from .spoken import sentence, spoken_text

_md = MarkdownIt("commonmark")
_VERSION = re.compile(r"(?<![\w.])v(?=\d+\.\d+)")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """The visible text of inline Markdown: no emphasis marks, links reduced to their text."""
    tokens = _md.parseInline(markdown)
    parts: list[str] = []
    for block in tokens:
        for token in block.children or []:
            if token.type in ("text", "code_inline", "html_inline"):
                parts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif token.type == "image":
                parts.append(token.content)
    return _SPACES.sub(" ", "".join(parts)).strip()


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def speakable(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Words a speech engine reads naturally, as one sentence: no URLs, references, handles,
    emoji or markup, versions as people say them (see :mod:`pipeline.story.spoken`)."""
    return sentence(spoken_text(text, lexicon=lexicon))
