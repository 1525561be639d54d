"""Captions burned into a slide, styled for a phone held at arm's length.

The caption sits in the slide's caption zone (bottom 30 %), centred between the top of that zone
and the bottom 12 %, where YouTube Shorts and similar players draw their own controls: at least
56 px bold white text, at most three lines, on a rounded translucent dark box. The reel stage
calls :func:`burn_caption` once per cue, so it only redraws the caption's own strip.
"""

from __future__ import annotations

from PIL import Image

from ..config import Brand
from ..errors import InputError
from .fonts import Weight, font_chain
from .paint import rounded_rect
from .slides import CAPTION_TOP, SLIDE_SIZE
from .text import draw_block, fit_text

CAPTION_BOTTOM = round(SLIDE_SIZE[1] * 0.88)  # 1690: below here the player's UI sits
CAPTION_MAX_SIZE = 66
CAPTION_MIN_SIZE = 56
CAPTION_MAX_LINES = 3
_SIDE = 56  # box distance from the frame's sides
_PAD_X, _PAD_Y = 36, 26
_BOX_ALPHA = 0.72
_TEXT = (255, 255, 255)
_BOX = (0, 0, 0)


def burn_caption(slide: Image.Image, text: str, brand: Brand, *, language: str = "") -> Image.Image:
    """A new 1080x1920 RGB image: ``slide`` with ``text`` burned into its caption zone.

    Text that would need more than three lines at 56 px ends in "…"; cues should be a sentence
    or so. ``language`` picks the CJK glyph forms (see :mod:`pipeline.art.fonts`).
    """
    if slide.size != SLIDE_SIZE:
        raise InputError(f"burn_caption: expected a {SLIDE_SIZE[0]}x{SLIDE_SIZE[1]} slide, "
                         f"got {slide.width}x{slide.height}")
    result = slide.convert("RGB") if slide.mode != "RGB" else slide.copy()
    text = " ".join(text.split())
    if not text:
        return result
    chain = font_chain(Weight.BOLD, brand_font=brand.font, language=language)
    inner_width = SLIDE_SIZE[0] - 2 * _SIDE - 2 * _PAD_X
    zone_height = CAPTION_BOTTOM - CAPTION_TOP
    block = fit_text(text, chain, inner_width, zone_height - 2 * _PAD_Y,
                     max_size=CAPTION_MAX_SIZE, min_size=CAPTION_MIN_SIZE,
                     max_lines=CAPTION_MAX_LINES, line_spacing=1.18)
    box_width = round(min(block.width, inner_width) + 2 * _PAD_X)
    box_height = round(block.height + 2 * _PAD_Y)
    left = (SLIDE_SIZE[0] - box_width) // 2
    top = CAPTION_TOP + (zone_height - box_height) // 2
    # Work on the caption strip only: compositing a whole 1080x1920 frame costs more than the
    # text itself.
    strip = result.crop((left, top, left + box_width, top + box_height))
    rounded_rect(strip, (0, 0, box_width, box_height), min(32, box_height // 4), _BOX,
                 alpha=_BOX_ALPHA)
    draw_block(strip, block, _PAD_X, _PAD_Y, box_width - 2 * _PAD_X, fill=_TEXT,
               align="center")
    result.paste(strip, (left, top))
    return result
