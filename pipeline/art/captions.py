"""Captions burned into a slide, styled for a phone held at arm's length.

The caption sits in the slide's caption zone (bottom 30 %), centred between the top of that zone
and the bottom 12 %, where YouTube Shorts and similar players draw their own controls: at least
56 px bold white text, at most three lines, on a rounded translucent dark box. The reel stage
calls :func:`caption_strip` once per caption it shows, so it only redraws the caption's own strip.
A caption is laid out once (fitted, wrapped) and its box and white text drawn once over the same
pixels; each word of a phrase then costs a copy of that strip and the highlighted word.

A phrase caption (``words``: the reel's ``captions: words``) is a few words in larger type, the
word being spoken in the accent colour (when it reads on the dark box, else in yellow).
Right-to-left phrases are shown without the highlight: their words' positions come from the
bidi reordering, which a per-word overdraw would get wrong.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from ..config import Brand
from ..errors import InputError
from .bidi import has_rtl
from .fonts import FontChain, Weight, font_chain, raqm_enabled
from .line import draw_line, line_width
from .paint import RGB, contrast, hex_rgb, rounded_rect
from .slides import CAPTION_TOP, SLIDE_SIZE
from .text import TextBlock, draw_block, fit_text

CAPTION_BOTTOM = round(SLIDE_SIZE[1] * 0.88)  # 1690: below here the player's UI sits
CAPTION_MAX_SIZE = 66
CAPTION_MIN_SIZE = 56
CAPTION_MAX_LINES = 3
PHRASE_MAX_SIZE = 84
PHRASE_MAX_LINES = 2
_SIDE = 56  # box distance from the frame's sides
_PAD_X, _PAD_Y = 36, 26
_BOX_ALPHA = 0.72
_TEXT = (255, 255, 255)
_BOX = (0, 0, 0)
_FALLBACK_HIGHLIGHT = (250, 204, 21)


def burn_caption(slide: Image.Image, text: str, brand: Brand, *, language: str = "",
                 words: tuple[str, ...] = (), spoken: int = -1) -> Image.Image:
    """A new 1080x1920 RGB image: ``slide`` with ``text`` burned into its caption zone.

    Text that would need more than three lines at 56 px ends in "…"; cues should be a sentence
    or so. ``language`` picks the CJK glyph forms (see :mod:`pipeline.art.fonts`). With
    ``words`` (``text`` is their phrase), the phrase is set larger and ``words[spoken]`` is
    highlighted.
    """
    if slide.size != SLIDE_SIZE:
        raise InputError(f"burn_caption: expected a {SLIDE_SIZE[0]}x{SLIDE_SIZE[1]} slide, "
                         f"got {slide.width}x{slide.height}")
    result = slide.convert("RGB") if slide.mode != "RGB" else slide.copy()
    strip = caption_strip(result, text, brand, language=language, words=words, spoken=spoken)
    if strip is not None:
        result.paste(*strip)
    return result


def caption_strip(slide: Image.Image, text: str, brand: Brand, *, language: str = "",
                  words: tuple[str, ...] = (), spoken: int = -1
                  ) -> tuple[Image.Image, tuple[int, int]] | None:
    """What :func:`burn_caption` pastes: the caption's strip (drawn over ``slide``'s pixels
    there) and where it goes; None for an empty caption. The reel keeps strips: the caption
    zone of a slide never changes while its parts move."""
    text = " ".join(text.split())
    if not text:
        return None
    chain = font_chain(Weight.BOLD, brand_font=brand.font, language=language)
    layout = _layout(text, chain, bool(words), raqm_enabled())
    left, top = layout.at
    # Work on the caption strip only: compositing a whole 1080x1920 frame costs more than the
    # text itself.
    under = slide.crop((left, top, left + layout.width, top + layout.height))
    strip = _base_strip(under, layout).copy()
    if 0 <= spoken < len(words) and not has_rtl(text):
        _highlight(strip, layout.block, text, words, spoken, layout.width - 2 * _PAD_X,
                   _highlight_colour(brand))
    return strip, (left, top)


@dataclass(frozen=True)
class _Layout:
    """A caption laid out once: a phrase caption is shown once per word, the same layout with
    another word highlighted."""

    text: str
    block: TextBlock
    width: int  # the box's
    height: int
    at: tuple[int, int]  # the box's top left in the slide


@lru_cache(maxsize=256)
def _layout(text: str, chain: FontChain, phrase: bool, raqm: bool) -> _Layout:
    """``raqm`` is only part of the key: the shaping engine changes the widths."""
    inner_width = SLIDE_SIZE[0] - 2 * _SIDE - 2 * _PAD_X
    zone_height = CAPTION_BOTTOM - CAPTION_TOP
    block = fit_text(text, chain, inner_width, zone_height - 2 * _PAD_Y,
                     max_size=PHRASE_MAX_SIZE if phrase else CAPTION_MAX_SIZE,
                     min_size=CAPTION_MIN_SIZE,
                     max_lines=PHRASE_MAX_LINES if phrase else CAPTION_MAX_LINES,
                     line_spacing=1.18)
    box_width = round(min(block.width, inner_width) + 2 * _PAD_X)
    box_height = round(block.height + 2 * _PAD_Y)
    left = (SLIDE_SIZE[0] - box_width) // 2
    top = CAPTION_TOP + (zone_height - box_height) // 2
    return _Layout(text, block, box_width, box_height, (left, top))


# The box and white text over the pixels under it, by layout and those pixels: every word of a
# phrase caption over the same slide starts from the same strip. Callers get copies. The
# pixels themselves are the key (a strip's are ~1 MB): hashing them is ~5x cheaper than a
# digest, and a dict compares them byte for byte, so a kept strip is never the wrong one.
_STRIPS: dict[tuple[_Layout, bytes], Image.Image] = {}
_KEPT_STRIPS = 8
_STRIPS_LOCK = threading.Lock()


def _base_strip(under: Image.Image, layout: _Layout) -> Image.Image:
    key = (layout, under.tobytes())
    with _STRIPS_LOCK:
        strip = _STRIPS.get(key)
    if strip is not None:
        return strip
    strip = under
    rounded_rect(strip, (0, 0, layout.width, layout.height), min(32, layout.height // 4),
                 _BOX, alpha=_BOX_ALPHA)
    draw_block(strip, layout.block, _PAD_X, _PAD_Y, layout.width - 2 * _PAD_X, fill=_TEXT,
               align="center")
    with _STRIPS_LOCK:
        if len(_STRIPS) >= _KEPT_STRIPS:
            _STRIPS.pop(next(iter(_STRIPS)))
        _STRIPS[key] = strip
    return strip


def _highlight_colour(brand: Brand) -> RGB:
    accent = hex_rgb(brand.colors.accent)
    return accent if contrast(accent, _BOX) >= 7 else _FALLBACK_HIGHLIGHT


def _highlight(strip: Image.Image, block: TextBlock, text: str, words: tuple[str, ...],
               spoken: int, width: float, colour: RGB) -> None:
    """Draw ``words[spoken]`` again in ``colour`` exactly over where ``draw_block`` put it
    (a left-to-right line, centred: its x is the width of the text before it)."""
    # Each word is looked for after the end of the one before: from its start, the "a" of
    # "Handle a constant" would be found inside "Handle".
    start, end = -1, 0
    for word in words[: spoken + 1]:
        start = text.find(word, end)
        if start < 0:
            return
        end = start + len(word)
    cursor = 0
    for i, line in enumerate(block.lines):
        at = text.find(line, cursor)
        if at < 0:
            return  # an ellipsized line: nothing to highlight reliably
        cursor = at + len(line)
        if not at <= start < cursor:
            continue
        line_w = line_width(line, block.chain, block.size)
        x = _PAD_X + (width - line_w) / 2
        before = line[: start - at]
        baseline = _PAD_Y + block.ascent + i * block.line_height
        draw_line(strip, line[start - at: min(end, cursor) - at], block.chain, block.size,
                  x + line_width(before, block.chain, block.size), baseline, colour)
        return
