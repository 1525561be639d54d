"""The 1080x1920 reel slides, one per :class:`~pipeline.structure.Slide`.

Every slide shares one backdrop and header (progress segments, brand, version) so the reel
reads as one piece. Content stays inside the top 70 %; the bottom 30 % is the caption zone
(:data:`CAPTION_ZONE`), left as plain backdrop for :func:`pipeline.art.captions.burn_caption`.
"""

from __future__ import annotations

import re

from PIL import Image

from ..structure import ReleaseFacts, Slide, SlideKind
from .paint import backdrop, cap_middle, dot_grid, pill, readable_on, rounded_rect, with_alpha
from .parts import brand_chip, bullet_marker, icon_tile, mark, mark_width, rings, underline
from .style import Style
from .text import TextBlock, draw_block, fit_paragraphs, fit_text

SLIDE_SIZE = (1080, 1920)
WIDTH, HEIGHT = SLIDE_SIZE
MARGIN = 88
CAPTION_TOP = round(HEIGHT * 0.70)  # 1344: captions are burned in below this line
CAPTION_ZONE = (0, CAPTION_TOP, WIDTH, HEIGHT)
CONTENT_BOTTOM = CAPTION_TOP - 48
COLUMN = WIDTH - 2 * MARGIN
# Glows sit in the upper part only, so the caption zone is a calm gradient.
_GLOWS = ((0.95, 0.12, 0.75, 0.30), (0.0, 0.75, 0.6, 0.10))


def _backdrop(style: Style) -> Image.Image:
    return backdrop(SLIDE_SIZE, style.bg, style.accent, style.muted, _GLOWS).copy()


def render_slide(slide: Slide, index: int, count: int, facts: ReleaseFacts, style: Style
                 ) -> Image.Image:
    image = _backdrop(style)
    _header(image, style, facts, index, count, show_version=slide.kind != SlideKind.TITLE)
    if slide.kind == SlideKind.TITLE:
        _title(image, slide, facts, style)
    elif slide.kind == SlideKind.CLOSING:
        _closing(image, slide, facts, style)
    else:
        _list(image, slide, style)
    return image


def _header(image: Image.Image, style: Style, facts: ReleaseFacts, index: int, count: int,
            *, show_version: bool) -> None:
    gap = 12
    segment = (COLUMN - gap * (count - 1)) / max(count, 1)
    for i in range(count):
        left = round(MARGIN + i * (segment + gap))
        box = (left, 104, round(left + segment), 112)
        rounded_rect(image, box, 4, style.accent if i <= index else style.fg,
                     alpha=1.0 if i <= index else 0.18)
    chip_right = WIDTH - MARGIN
    if show_version:
        badge = pill(image, facts.tag, style.bold, 32, WIDTH - MARGIN, 160, fill=style.accent,
                     text_colour=readable_on(style.accent, style.bg, style.fg),
                     max_width=COLUMN // 2 - 40, anchor="right")
        chip_right = badge[0] - 40
    brand_chip(image, style, MARGIN, 156, 68, chip_right - MARGIN)


def _title(image: Image.Image, slide: Slide, facts: ReleaseFacts, style: Style) -> None:
    """Repository, big heading, version badge and the lines, centred in the content area."""
    rings(image, (WIDTH - 60, 430), (170, 250, 330, 410), style.accent, 3, 0.45)
    dot_grid(image, (MARGIN, 300, MARGIN + 240, 380), 28, 3, with_alpha(style.muted, 0.3))
    repo = fit_text(facts.repository.full_name, style.bold, COLUMN, 64, max_size=44,
                    min_size=26, max_lines=1)
    heading = fit_text(slide.heading, style.heavy, COLUMN, 470, max_size=124, min_size=60,
                       max_lines=4, line_spacing=1.08)
    badge_size, badge_gap, body_gap = 52, 48, 56
    fixed = repo.height + 24 + heading.height + badge_gap + badge_size * 1.75
    body_room = CONTENT_BOTTOM - 440 - fixed - body_gap
    body = []
    if slide.lines and body_room > 60:
        body = fit_paragraphs(_plain(slide.lines), style.regular, COLUMN, body_room,
                              max_size=48, min_size=30, max_lines=4, gap=0.5, line_spacing=1.3)
    body_height = _stack_height(body, 0.5)
    total = fixed + (body_gap + body_height if body else 0)
    top = max(440, round(440 + (CONTENT_BOTTOM - 440 - total) / 3))
    area = draw_block(image, repo, MARGIN, top, COLUMN, fill=style.accent, align="start")
    area = draw_block(image, heading, MARGIN, area[3] + 24, COLUMN, fill=style.fg, align="start")
    badge_x = area[2] - heading.pad if heading.rtl else area[0] + heading.pad
    badge = pill(image, facts.tag, style.heavy, badge_size, badge_x, area[3] + badge_gap,
                 anchor="right" if heading.rtl else "left", fill=style.accent,
                 text_colour=readable_on(style.accent, style.bg, style.fg), max_width=COLUMN)
    _stack(image, body, MARGIN, badge[3] + body_gap, COLUMN, style.muted, gap=0.5)


def _closing(image: Image.Image, slide: Slide, facts: ReleaseFacts, style: Style) -> None:
    centre_x = WIDTH // 2
    rings(image, (centre_x, 520), (170, 240, 310, 380), style.accent, 3, 0.4)
    size = 220
    width = mark_width(style, size, COLUMN // 2)
    mark(image, style, centre_x - width // 2, 520 - size // 2, size, max_width=COLUMN // 2)
    heading = fit_text(slide.heading, style.heavy, COLUMN, 330, max_size=108, min_size=56,
                       max_lines=3, line_spacing=1.08)
    area = draw_block(image, heading, MARGIN, 860, COLUMN, fill=style.fg, align="center")
    top = area[3] + 40
    if slide.lines and top < CONTENT_BOTTOM - 60:
        body = fit_paragraphs(_plain(slide.lines), style.regular, COLUMN, CONTENT_BOTTOM - top,
                              max_size=46, min_size=28, max_lines=3, gap=0.4,
                              line_spacing=1.3)
        _stack(image, body, MARGIN, top, COLUMN, style.muted, gap=0.4, align="center")


def _stack_height(blocks: list[TextBlock], gap: float) -> float:
    return sum(b.height for b in blocks) + sum(gap * b.size for b in blocks[1:])


def _stack(image: Image.Image, blocks: list[TextBlock], x: int, y: float, width: int,
           colour: tuple[int, int, int], *, gap: float, align: str = "start") -> None:
    for block in blocks:
        area = draw_block(image, block, x, y, width, fill=colour, align=align)  # type: ignore[arg-type]
        y = area[3] + gap * block.size


_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _plain(lines: list[str]) -> list[str]:
    """Slide lines without inline Markdown marks (backticks, bold, links show as plain text)."""
    return [_STRONG.sub(r"\2", _CODE.sub(r"\1", _LINK.sub(r"\1", line))) for line in lines]


# Up to this many lines each get a tinted panel; more are listed compactly so all still fit.
_MAX_PANELS = 5
_MARKER_COLUMN = 64
_MARKER_GAP = 24


def _list(image: Image.Image, slide: Slide, style: Style) -> None:
    """Heading under a kind icon, then the lines, each behind a marker for the slide's kind."""
    tile = icon_tile(image, style, slide.kind, MARGIN, 300, 104)
    heading = fit_text(slide.heading, style.heavy, COLUMN, 300, max_size=100, min_size=56,
                       max_lines=3, line_spacing=1.08)
    area = draw_block(image, heading, MARGIN, tile[3] + 40, COLUMN, fill=style.fg, align="start")
    underline(image, style, heading, area, 24, 120, 10)
    if not slide.lines:
        return
    lines = _plain(slide.lines)
    panels = len(lines) <= _MAX_PANELS
    pad, gap = (30, 22) if panels else (0, 18)
    top = area[3] + 80
    text_width = COLUMN - 2 * pad - _MARKER_COLUMN - _MARKER_GAP
    blocks = fit_paragraphs(lines, style.regular, text_width, CONTENT_BOTTOM - top + gap,
                            max_size=60, min_size=30, max_lines=4 if panels else 2,
                            line_spacing=1.25, overhead=2 * pad + gap)
    y = top
    for line, block in zip(lines, blocks, strict=False):
        box = (MARGIN, round(y), MARGIN + COLUMN, round(y + block.height + 2 * pad))
        if panels:
            rounded_rect(image, box, 26, style.fg, alpha=0.07)
        # Right-to-left lines put their marker on the right, where they start.
        half = _MARKER_COLUMN / 2
        marker_x = box[2] - pad - half if block.rtl else box[0] + pad + half
        text_x = box[0] + pad + (0 if block.rtl else _MARKER_COLUMN + _MARKER_GAP)
        first_baseline = y + pad + block.ascent
        middle = first_baseline - cap_middle(style.regular, block.size)
        bullet_marker(image, style, slide.kind, line, (marker_x, middle),
                      max(36, round(block.size * 1.05)))
        draw_block(image, block, text_x, y + pad, text_width, fill=style.fg, align="start")
        y = box[3] + gap
