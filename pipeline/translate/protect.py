"""Keeping code, identifiers, names, versions, URLs, mentions and references out of a
translator's reach.

Each protected span is replaced by a placeholder token (``ZPH0Z``) that translators leave
alone (Apertium passes unknown words through, language models are told to keep them); after
translation the original spans are put back. A translation that lost or duplicated a
placeholder is not trusted: :meth:`Masked.segments` lets the caller translate only the text
between the spans instead, so a protected span can never be altered or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PROTECTED = [
    r"`[^`\n]+`",  # code span
    r"https?://[^\s<>()\[\]{}\"'`]+[^\s<>()\[\]{}\"'`.,;:!?…]",  # URL, minus trailing punctuation
    r"(?<![\w.])[vV]?\d+(?:\.\d+)+(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?(?!\w)",  # version
    r"(?<![\w.@/])@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\b",  # @mention
    r"(?<!\w)#\d+\b",  # issue or PR reference
    r"(?<![\w-])--?[A-Za-z][\w-]*",  # command-line option
    # Identifiers, even once the script has dropped their backticks: snake_case and
    # SCREAMING_SNAKE ("NO_COLOR" came back as "NINGÚN_COLOR"), camelCase, and PascalCase with
    # an inner capital ("OwnedFd", "GitHub"). Case matters for these, whatever the rest does.
    r"(?<!\w)(?:_+[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)*_*|[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*)"
    r"(?!\w)",
    r"(?-i:(?<![\w.])[a-z]+[0-9]*(?:[A-Z][a-z0-9]*)+(?!\w))",
    r"(?-i:(?<![\w.])[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+(?!\w))",
]
_PLACEHOLDER = re.compile(r"ZPH(\d+)Z")


def placeholder(index: int) -> str:
    return f"ZPH{index}Z"


@dataclass
class Masked:
    text: str  # the text with placeholders
    spans: list[str]  # the original span of each placeholder, by index

    def restore(self, translated: str) -> str | None:
        """The translation with the spans put back, or None if a placeholder was lost."""
        found = [int(n) for n in _PLACEHOLDER.findall(translated)]
        if sorted(found) != list(range(len(self.spans))):
            return None
        return _PLACEHOLDER.sub(lambda m: self.spans[int(m.group(1))], translated)

    def segments(self) -> list[tuple[bool, str]]:
        """(protected?, text) pieces of the original text, in order."""
        pieces: list[tuple[bool, str]] = []
        last = 0
        for match in _PLACEHOLDER.finditer(self.text):
            if match.start() > last:
                pieces.append((False, self.text[last : match.start()]))
            pieces.append((True, self.spans[int(match.group(1))]))
            last = match.end()
        if last < len(self.text):
            pieces.append((False, self.text[last:]))
        return pieces


def protect(text: str, keep: Sequence[str] = ()) -> Masked:
    """Replace every protected span (and each term of ``keep``, e.g. names) by a placeholder."""
    patterns = list(_PROTECTED)
    terms = sorted({t for t in keep if t and t.strip()}, key=len, reverse=True)
    if terms:
        patterns.insert(0, r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")
    combined = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    spans: list[str] = []

    def swap(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return placeholder(len(spans) - 1)

    return Masked(combined.sub(swap, text), spans)
