"""Text that always fits its box: wrap, shrink, and as a last resort ellipsize.

:func:`fit_text` (one paragraph) and :func:`fit_paragraphs` (a list sharing one size, e.g. a
slide's bullets) try the largest size first and search down to ``min_size``:

* spaced scripts wrap at spaces; Chinese and Japanese may break between any two characters
  (keeping closing punctuation off the start of a line and opening punctuation off the end);
* above the minimum size, a word is never broken: a word that is too wide shrinks the text;
* at the minimum size, too-wide words are broken between characters, and text with more lines
  than fit is cut and ends in "…".

Each line is measured with the same runs it is drawn with (:mod:`pipeline.art.line`) and kept a
small pad away from the box edges, so ink never leaves the box.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from .bidi import paragraph_is_rtl
from .fonts import FontChain
from .line import Colour, draw_line, line_extent, line_width

ELLIPSIS = "…"
Align = Literal["start", "left", "center", "right"]

# Scripts written without spaces, where a line may break between characters.
_BREAK_ANYWHERE = re.compile(
    "[\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff01-\uff60\uff61-\uff9f\U00020000-\U0003ffff]"
)
# Kinsoku: characters that must not start a line, and ones that must not end one.
_NO_LINE_START = frozenset(
    "、。，．・：；？！ー）」』】〕〉》〟’”ゝゞ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.!?:;)]}%"
)
_NO_LINE_END = frozenset("（「『【〔〈《〝‘“([{")


@dataclass(frozen=True)
class TextBlock:
    """A paragraph laid out at one size; ``width``/``height`` include the ink-safety pad."""

    lines: tuple[str, ...]
    size: int
    chain: FontChain
    line_height: float
    ascent: float
    descent: float
    pad: int
    rtl: bool
    truncated: bool

    @property
    def width(self) -> float:
        widest = max((line_width(ln, self.chain, self.size, self.rtl) for ln in self.lines),
                     default=0.0)
        return widest + 2 * self.pad

    @property
    def height(self) -> float:
        if not self.lines:
            return 0.0
        return self.ascent + (len(self.lines) - 1) * self.line_height + self.descent


def fit_text(
    text: str,
    chain: FontChain,
    width: float,
    height: float,
    *,
    max_size: int,
    min_size: int,
    max_lines: int | None = None,
    line_spacing: float = 1.2,
) -> TextBlock:
    """Lay ``text`` out as large as possible (up to ``max_size``) inside width x height."""
    return fit_paragraphs([text], chain, width, height, max_size=max_size, min_size=min_size,
                          max_lines=max_lines, line_spacing=line_spacing)[0]


def fit_paragraphs(
    texts: Sequence[str],
    chain: FontChain,
    width: float,
    height: float,
    *,
    max_size: int,
    min_size: int,
    max_lines: int | None = None,
    line_spacing: float = 1.2,
    gap: float = 0.0,
    overhead: float = 0.0,
) -> list[TextBlock]:
    """Lay out paragraphs at one common size so that, stacked, they fit width x height.

    ``gap`` is the space between paragraphs in ems of the chosen size, ``overhead`` fixed pixels
    each paragraph needs besides its text (a panel's padding, say). Paragraphs that cannot fit
    even one line each at ``min_size`` are left out; the last block kept is then marked
    ``truncated``.
    """
    if min_size > max_size:
        raise ValueError("min_size must not exceed max_size")
    paragraphs = [" ".join(text.split()) for text in texts]

    def total(blocks: list[TextBlock], size: int) -> float:
        return (sum(b.height for b in blocks) + overhead * len(blocks)
                + gap * size * max(0, len(blocks) - 1))

    def attempt(size: int) -> list[TextBlock] | None:
        blocks = []
        for text in paragraphs:
            block = _wrap_block(text, chain, width, size, line_spacing, break_words=False)
            if block is None or (max_lines and len(block.lines) > max_lines):
                return None
            blocks.append(block)
        return blocks if total(blocks, size) <= height else None

    low, high, best = min_size, max_size, None
    while low <= high:  # wrapped height shrinks (almost) monotonically with the size
        middle = (low + high) // 2
        blocks = attempt(middle)
        if blocks is not None:
            best, low = blocks, middle + 1
        else:
            high = middle - 1
    if best is not None:
        return best
    return _truncated(paragraphs, chain, width, height, min_size, line_spacing, max_lines,
                      lambda blocks: total(blocks, min_size))


def _truncated(
    paragraphs: list[str], chain: FontChain, width: float, height: float, size: int,
    line_spacing: float, max_lines: int | None, total: Callable[[list[TextBlock]], float],
) -> list[TextBlock]:
    full = [_wrap_block(text, chain, width, size, line_spacing, break_words=True)
            for text in paragraphs]
    blocks = [b for b in full if b is not None]
    limits = [min(len(b.lines), max_lines or len(b.lines)) for b in blocks]

    def cut() -> list[TextBlock]:
        return [_limit(b, n, width) for b, n in zip(blocks, limits, strict=False)]

    while total(cut()) > height:
        if max(limits, default=0) > 1:
            limits[limits.index(max(limits))] -= 1
        elif len(limits) > 1:
            limits.pop()
        else:
            break  # one line of one paragraph: the box is smaller than a line at min_size
    result = cut()
    if len(result) < len(blocks) and result:
        last = result[-1]
        result[-1] = _limit(last, len(last.lines), width, force_ellipsis=True)
    return result


def _limit(block: TextBlock, count: int, width: float, force_ellipsis: bool = False
           ) -> TextBlock:
    if count >= len(block.lines) and not force_ellipsis:
        return block
    lines = list(block.lines[:count])
    inner = width - 2 * block.pad
    lines[-1] = _ellipsize(lines[-1], lambda s: line_width(s, block.chain, block.size,
                                                            block.rtl) <= inner)
    return _block(tuple(lines), block.chain, block.size, block.line_height / block.size,
                  block.rtl, truncated=True)


def _ellipsize(line: str, fits: Callable[[str], bool]) -> str:
    kept = line.rstrip()
    while kept and not fits(kept + ELLIPSIS):
        kept = kept[:-1].rstrip()
    return kept + ELLIPSIS


def _pad(size: int) -> int:
    # Glyph ink may overhang its advance box a little (italics, "j", accents); keep clear.
    return math.ceil(size * 0.04) + 1


def _block(lines: tuple[str, ...], chain: FontChain, size: int, line_spacing: float,
           rtl: bool, truncated: bool = False) -> TextBlock:
    extents = [line_extent(line, chain, size) for line in lines] or [line_extent("", chain, size)]
    return TextBlock(
        lines=lines, size=size, chain=chain, line_height=size * line_spacing,
        ascent=max(a for a, _ in extents), descent=max(d for _, d in extents),
        pad=_pad(size), rtl=rtl, truncated=truncated,
    )


def _wrap_block(text: str, chain: FontChain, width: float, size: int, line_spacing: float,
                *, break_words: bool) -> TextBlock | None:
    rtl = paragraph_is_rtl(text)
    inner = width - 2 * _pad(size)

    def fits(candidate: str) -> bool:
        return line_width(candidate, chain, size, rtl) <= inner

    lines = wrap(text, fits, break_words=break_words)
    if lines is None:
        return None
    return _block(tuple(lines), chain, size, line_spacing, rtl)


def wrap(text: str, fits: Callable[[str], bool], *, break_words: bool) -> list[str] | None:
    """Greedy line breaking; None when a word does not fit and may not be broken."""
    lines: list[str] = []
    current = ""
    for token, spaced in tokens(text):
        candidate = f"{current} {token}" if spaced and current else current + token
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if fits(token):
            current = token
            continue
        if not break_words:
            return None
        for cluster in clusters(token):
            if not current or fits(current + cluster):
                current += cluster
            else:
                lines.append(current)
                current = cluster
    if current:
        lines.append(current)
    return lines


def tokens(text: str) -> list[tuple[str, bool]]:
    """Unbreakable pieces of ``text`` and whether a space precedes each."""
    result: list[tuple[str, bool]] = []
    for w, word in enumerate(text.split(" ")):
        if not word:
            continue
        spaced = w > 0
        for piece in _split_unspaced(word):
            glued = not spaced and (piece[0] in _NO_LINE_START
                                    or result[-1][0][-1] in _NO_LINE_END) if result else False
            if glued:
                result[-1] = (result[-1][0] + piece, result[-1][1])
            else:
                result.append((piece, spaced))
            spaced = False
    return result


def _split_unspaced(word: str) -> list[str]:
    """A word split at every point where CJK text may break (not inside a cluster)."""
    pieces: list[str] = []
    for cluster in clusters(word):
        breakable = _BREAK_ANYWHERE.match(cluster[0]) is not None
        if pieces and (breakable or _BREAK_ANYWHERE.match(pieces[-1][-1])):
            pieces.append(cluster)
        elif pieces:
            pieces[-1] += cluster
        else:
            pieces.append(cluster)
    return pieces


def clusters(text: str) -> list[str]:
    """Approximate grapheme clusters: a character plus marks, joiners and modifiers."""
    result: list[str] = []
    for i, char in enumerate(text):
        joins = result and (
            unicodedata.category(char).startswith("M")
            or char in "\u200d\ufe0e\ufe0f\u20e3"
            or 0x1F3FB <= ord(char) <= 0x1F3FF
            or 0xE0020 <= ord(char) <= 0xE007F
            or text[i - 1] == "\u200d"
        )
        if joins:
            result[-1] += char
        else:
            result.append(char)
    return result


def draw_block(
    image: Image.Image,
    block: TextBlock,
    x: float,
    y: float,
    width: float,
    *,
    fill: Colour,
    align: Align = "start",
) -> tuple[int, int, int, int]:
    """Draw ``block`` with its top at ``y`` in the column [x, x+width].

    Returns the laid-out area (left, top, right, bottom) that holds all of its ink.
    """
    if align == "start":
        align = "right" if block.rtl else "left"
    left, right = x + width, x
    for i, line in enumerate(block.lines):
        line_w = line_width(line, block.chain, block.size, block.rtl)
        if align == "left":
            start = x + block.pad
        elif align == "right":
            start = x + width - block.pad - line_w
        else:
            start = x + (width - line_w) / 2
        baseline = y + block.ascent + i * block.line_height
        draw_line(image, line, block.chain, block.size, start, baseline, fill, block.rtl)
        left, right = min(left, start - block.pad), max(right, start + line_w + block.pad)
    return (math.floor(left), math.floor(y), math.ceil(right), math.ceil(y + block.height))
