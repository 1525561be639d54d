"""The 1080x1920 reel slides, one per :class:`~pipeline.structure.Slide`.

Every slide shares one backdrop and header (progress segments, brand, version) so the reel
reads as one piece. Content stays inside the top 70 %; the bottom 30 % is the caption zone
(:data:`CAPTION_ZONE`), left as plain backdrop for :func:`pipeline.art.captions.burn_caption`.

Each slide is built as a :class:`~pipeline.art.scene.Scene`: what the reel animates (the list
items, the title, the closing card's numbers and link) is a part drawn over a still base, and
the PNG is the scene at rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image

from ..structure import ReleaseFacts, Slide, SlideKind
from .avatars import load_avatar
from .line import line_width
from .paint import (
    RGB,
    backdrop,
    cap_middle,
    dot_grid,
    mix,
    pill,
    readable_on,
    rounded_rect,
    with_alpha,
)
from .parts import brand_chip, bullet_marker, icon_tile, mark, mark_width, qr_tile, rings, underline
from .scene import Look, Paint, Part, Scene, build_scene
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


@dataclass(frozen=True)
class SlideFacts:
    """What a slide shows of the release besides its own text (plain, serializable)."""

    tag: str
    repository: str  # owner/name
    link: str = ""  # where to read more: the closing card's QR code
    commits: int | None = None  # None: not counted (a shallow checkout), no numbers shown
    files: int = 0
    insertions: int = 0
    deletions: int = 0
    avatars: dict[str, str] = field(default_factory=dict)  # login -> cached avatar PNG

    @classmethod
    def of(cls, facts: ReleaseFacts, link: str | None = None,
           avatars: dict[str, str] | None = None) -> SlideFacts:
        counted = getattr(facts, "counted", True) and bool(facts.commits)
        return cls(tag=facts.tag, repository=facts.repository.full_name,
                   link=link or facts.url or facts.repository.html_url,
                   commits=len(facts.commits) if counted else None,
                   files=facts.diffstat.files, insertions=facts.diffstat.insertions,
                   deletions=facts.diffstat.deletions, avatars=dict(avatars or {}))


def _backdrop(style: Style) -> Image.Image:
    return backdrop(SLIDE_SIZE, style.bg, style.accent, style.muted, _GLOWS).copy()


def render_slide(slide: Slide, index: int, count: int, facts: ReleaseFacts | SlideFacts,
                 style: Style) -> Image.Image:
    """The slide at rest, as the post shows it."""
    return slide_scene(slide, index, count, facts, style).render()


def slide_scene(slide: Slide, index: int, count: int, facts: ReleaseFacts | SlideFacts,
                style: Style, boxes: Mapping[str, Sequence[int]] | None = None) -> Scene:
    info = facts if isinstance(facts, SlideFacts) else SlideFacts.of(facts)
    image = _backdrop(style)
    _header(image, style, info, index, count, show_version=slide.kind != SlideKind.TITLE)
    if slide.kind == SlideKind.TITLE:
        parts = _title(image, slide, info, style)
    elif slide.kind == SlideKind.CLOSING:
        parts = _closing(image, slide, info, style)
    else:
        parts = _list(image, slide, style, info.avatars)
    return build_scene(image, parts, kind=slide.kind.value, narration=slide.narration,
                       boxes=boxes)


def _header(image: Image.Image, style: Style, facts: SlideFacts, index: int, count: int,
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


def _title(image: Image.Image, slide: Slide, facts: SlideFacts, style: Style) -> list[Part]:
    """Repository, big heading, version badge and the lines, centred in the content area.
    They enter one after the other: the repository, the heading with its badge, the lines."""
    rings(image, (WIDTH - 60, 430), (170, 250, 330, 410), style.accent, 3, 0.45)
    dot_grid(image, (MARGIN, 300, MARGIN + 240, 380), 28, 3, with_alpha(style.muted, 0.3))
    repo = fit_text(facts.repository, style.bold, COLUMN, 64, max_size=44,
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
    heading_top = top + repo.height + 24
    badge_top = heading_top + heading.height + badge_gap
    body_top = badge_top + round(badge_size * 1.75) + body_gap

    def paint_repo(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        draw_block(target, repo, MARGIN + dx, top + dy, COLUMN, fill=style.accent,
                   align="start")

    def paint_heading(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        area = draw_block(target, heading, MARGIN + dx, heading_top + dy, COLUMN,
                          fill=style.fg, align="start")
        badge_x = area[2] - heading.pad if heading.rtl else area[0] + heading.pad
        pill(target, facts.tag, style.heavy, badge_size, badge_x, badge_top + dy,
             anchor="right" if heading.rtl else "left", fill=style.accent,
             text_colour=readable_on(style.accent, style.bg, style.fg), max_width=COLUMN)

    def paint_body(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        _stack(target, body, MARGIN + dx, body_top + dy, COLUMN, style.muted, gap=0.5)

    return [Part("title:repo", paint_repo), Part("title:heading", paint_heading),
            Part("title:body", paint_body)]


def _closing(image: Image.Image, slide: Slide, facts: SlideFacts, style: Style) -> list[Part]:
    """The brand mark and heading, the release in numbers (they count up) and where to read
    more: the link as text beside its QR code."""
    centre_x = WIDTH // 2
    numbers = _numbers(facts, style.language)
    link = facts.link or (slide.lines[0] if slide.lines else "")
    mark_centre = 430 if link or numbers else 520
    rings(image, (centre_x, mark_centre), (150, 215, 280, 345), style.accent, 3, 0.4)
    size = 180 if link or numbers else 220
    width = mark_width(style, size, COLUMN // 2)
    mark(image, style, centre_x - width // 2, mark_centre - size // 2, size,
         max_width=COLUMN // 2)
    heading_top = mark_centre + 200
    heading = fit_text(slide.heading, style.heavy, COLUMN, 240 if link else 330, max_size=108,
                       min_size=56, max_lines=2 if link else 3, line_spacing=1.08)
    area = draw_block(image, heading, MARGIN, heading_top, COLUMN, fill=style.fg,
                      align="center")
    top = area[3] + 48
    parts: list[Part] = []
    if numbers:
        parts.append(_numbers_part(numbers, style, top))
        top += _NUMBER_ROW + 48
    if link:
        parts.append(_link_part(link, style, top))
    elif slide.lines and top < CONTENT_BOTTOM - 60:
        body = fit_paragraphs(_plain(slide.lines), style.regular, COLUMN, CONTENT_BOTTOM - top,
                              max_size=46, min_size=28, max_lines=3, gap=0.4,
                              line_spacing=1.3)
        _stack(image, body, MARGIN, top, COLUMN, style.muted, gap=0.4, align="center")
    return parts


_NUMBER_ROW = 128  # figure and label
# Labels are words, so they are written only for languages we have them in; other languages
# see the figures alone (a "+"/"−" tells lines added from lines removed).
_NUMBER_LABELS = {"en": ("commits", "files", "added", "removed")}


def _numbers(facts: SlideFacts, language: str) -> list[tuple[int, str, str]]:
    """(value, prefix, label) of the figures the closing card counts up to."""
    if facts.commits is None:
        return []
    labels = _NUMBER_LABELS.get(language[:2].lower() or "en", ("", "", "", ""))
    figures = [(facts.commits, "", labels[0]), (facts.files, "", labels[1]),
               (facts.insertions, "+", labels[2]), (facts.deletions, "−", labels[3])]
    return [figure for figure in figures if figure[0] > 0 or figure[1] == ""][:4]


def _numbers_part(numbers: list[tuple[int, str, str]], style: Style, top: int) -> Part:
    cell = COLUMN / len(numbers)
    figure_size = 76
    label = style.regular

    def paint(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        for i, (value, prefix, name) in enumerate(numbers):
            shown = round(value * min(1.0, max(0.0, look.count)))
            left = MARGIN + i * cell + dx
            block = fit_text(f"{prefix}{shown:,}", style.heavy, cell - 16, 96,
                             max_size=figure_size, min_size=36, max_lines=1)
            draw_block(target, block, left + 8, top + dy, cell - 16, fill=style.accent,
                       align="center")
            if name:
                caption = fit_text(name, label, cell - 16, 44, max_size=32, min_size=20,
                                   max_lines=1)
                draw_block(target, caption, left + 8, top + 88 + dy, cell - 16,
                           fill=style.muted, align="center")

    return Part("numbers", paint)


def _link_part(link: str, style: Style, top: int) -> Part:
    """The link beside a QR code of it, on a tinted panel."""
    code = max(120, min(240, CONTENT_BOTTOM - top - 56))
    pad = 28
    text_left = MARGIN + pad + code + 36
    text_width = MARGIN + COLUMN - pad - text_left
    rows = _link_rows(_short_link(link), style, text_width)
    blocks = fit_paragraphs(rows, style.bold, text_width, code, max_size=_LINK_SIZE,
                            min_size=22, max_lines=1, line_spacing=1.2)
    height = _stack_height(blocks, 0.2)

    def paint(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        box = (round(MARGIN + dx), round(top + dy), round(MARGIN + COLUMN + dx),
               round(top + code + 2 * pad + dy))
        rounded_rect(target, box, 28, style.fg, alpha=0.07)
        qr_tile(target, link, box[0] + pad, box[1] + pad, code)
        _stack(target, blocks, text_left + dx, box[1] + pad + (code - height) / 2, text_width,
               style.fg, gap=0.2)

    return Part("link", paint)


_LINK_SIZE = 40


def _link_rows(text: str, style: Style, width: float) -> list[str]:
    """A URL has no spaces to wrap at: break it after its slashes, filling each row."""
    rows = [""]
    for piece in re.split(r"(?<=/)", text):
        if rows[-1] and line_width(rows[-1] + piece, style.bold, _LINK_SIZE) > width:
            rows.append("")
        rows[-1] += piece
    return [row for row in rows if row]


def _short_link(link: str) -> str:
    """The link as people read it: no scheme, no trailing slash."""
    return re.sub(r"^https?://", "", link).rstrip("/")


def _stack_height(blocks: list[TextBlock], gap: float) -> float:
    return sum(b.height for b in blocks) + sum(gap * b.size for b in blocks[1:])


def _stack(image: Image.Image, blocks: list[TextBlock], x: float, y: float, width: int,
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


def _list(image: Image.Image, slide: Slide, style: Style,
          avatars: dict[str, str] | None = None) -> list[Part]:
    """Heading under a kind icon, then the lines, each behind a marker for the slide's kind.
    Each line is a part: it enters when it is spoken, is emphasised while it is, then steps
    back (its text dims towards the muted colour, still well above legible contrast)."""
    tile = icon_tile(image, style, slide.kind, MARGIN, 300, 104)
    heading = fit_text(slide.heading, style.heavy, COLUMN, 300, max_size=100, min_size=56,
                       max_lines=3, line_spacing=1.08)
    area = draw_block(image, heading, MARGIN, tile[3] + 40, COLUMN, fill=style.fg, align="start")
    underline(image, style, heading, area, 24, 120, 10)
    if not slide.lines:
        return []
    lines = _plain(slide.lines)
    panels = len(lines) <= _MAX_PANELS
    pad, gap = (30, 22) if panels else (0, 18)
    top = area[3] + 80
    text_width = COLUMN - 2 * pad - _MARKER_COLUMN - _MARKER_GAP
    blocks = fit_paragraphs(lines, style.regular, text_width, CONTENT_BOTTOM - top + gap,
                            max_size=60, min_size=30, max_lines=4 if panels else 2,
                            line_spacing=1.25, overhead=2 * pad + gap)
    parts = []
    y = float(top)
    for number, (line, block) in enumerate(zip(lines, blocks, strict=False)):
        picture = None
        if slide.kind == SlideKind.CONTRIBUTORS and avatars:
            handle = (line.strip().lstrip("@").split() or [""])[0]
            picture = load_avatar(avatars[handle]) if handle in avatars else None
        parts.append(Part(f"item:{number}",
                          _item_painter(style, slide.kind, line, block, y, pad, panels,
                                        text_width, picture)))
        y = round(y + block.height + 2 * pad) + gap
    return parts


def _item_painter(style: Style, kind: SlideKind, line: str, block: TextBlock, y: float,
                  pad: int, panel: bool, text_width: int,
                  picture: Image.Image | None = None) -> Paint:
    def paint(target: Image.Image, dx: float, dy: float, look: Look) -> None:
        top = y + dy
        box = (round(MARGIN + dx), round(top), round(MARGIN + COLUMN + dx),
               round(top + block.height + 2 * pad))
        if panel:
            tint, alpha = _panel(style, look.emphasis)
            rounded_rect(target, box, 26, tint, alpha=alpha)
        # Right-to-left lines put their marker on the right, where they start.
        half = _MARKER_COLUMN / 2
        marker_x = box[2] - pad - half if block.rtl else box[0] + pad + half
        text_x = box[0] + pad + (0 if block.rtl else _MARKER_COLUMN + _MARKER_GAP)
        first_baseline = top + pad + block.ascent
        middle = first_baseline - cap_middle(style.regular, block.size)
        bullet_marker(target, style, kind, line, (marker_x, middle),
                      max(36, round(block.size * 1.05)), picture)
        draw_block(target, block, text_x, top + pad, text_width, fill=_ink(style, look.emphasis),
                   align="start")

    return paint


def _panel(style: Style, emphasis: float) -> tuple[RGB, float]:
    """The item panel's tint: the accent while spoken, fainter once said."""
    if emphasis >= 0:
        return mix(style.fg, style.accent, emphasis), 0.07 + 0.11 * emphasis
    return style.fg, 0.07 * (1 + emphasis * 0.6)


def _ink(style: Style, emphasis: float) -> RGB:
    # Said lines move towards the muted colour: the brand's secondary text colour, which the
    # design already uses for body text on this background.
    return mix(style.fg, style.muted, -emphasis * 0.85) if emphasis < 0 else style.fg
