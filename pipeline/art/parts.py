"""Composed design elements: brand mark and chip, icon tiles, bullet markers, avatars, rings.

Icons are drawn as shapes rather than taken from a font, so they look the same whatever fonts
are installed and carry no words that would need translating.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import segno
from PIL import Image, ImageDraw

from ..structure import SlideKind
from .line import draw_line, line_width
from .paint import (
    RGB,
    Box,
    cap_middle,
    circle,
    fit_logo,
    mix,
    polyline,
    readable_on,
    rounded_rect,
)
from .style import Style
from .text import TextBlock, fit_text


def mark_width(style: Style, size: int, max_width: int | None = None) -> int:
    """How wide :func:`mark` draws at this height: a wide logo may take up to ``max_width``."""
    if style.logo is None:
        return size
    return fit_logo(style.logo, max_width or size, size).width


def mark(image: Image.Image, style: Style, x: int, y: int, size: int,
         max_width: int | None = None) -> Box:
    """The brand's logo fitted into size px high (and ``max_width`` wide, default ``size``),
    vertically centred; without a logo, a monogram tile of the brand's initial."""
    if style.logo is not None:
        logo = fit_logo(style.logo, max_width or size, size)
        top = y + (size - logo.height) // 2
        image.paste(logo, (x, top), logo)
        return (x, top, x + logo.width, top + logo.height)
    rounded_rect(image, (x, y, x + size, y + size), round(size * 0.28), style.accent)
    letter = next((c for c in style.name if c.isalnum()), "•").upper()
    text_size = round(size * 0.58)
    ink = readable_on(style.accent, style.bg, style.fg)
    width = line_width(letter, style.heavy, text_size)
    draw_line(image, letter, style.heavy, text_size, x + (size - width) / 2,
              y + size / 2 + cap_middle(style.heavy, text_size), ink)
    return (x, y, x + size, y + size)


def brand_chip(image: Image.Image, style: Style, x: int, y: int, height: int,
               max_width: int, colour: RGB | None = None) -> Box:
    """Mark plus brand name on one row, vertically centred on the mark."""
    box = mark(image, style, x, y, height, max_width=min(height * 3, max_width // 2))
    gap = round(height * 0.3)
    text_x = box[2] + gap
    size = round(height * 0.5)
    block = fit_text(style.name, style.bold, x + max_width - text_x, height, max_size=size,
                     min_size=max(12, round(size * 0.75)), max_lines=1)
    if block.lines:
        baseline = y + height / 2 + cap_middle(style.bold, block.size)
        width = draw_line(image, block.lines[0], style.bold, block.size, text_x, baseline,
                          colour or style.fg)
        return (x, y, round(text_x + width), y + height)
    return (x, y, box[2], y + height)


def rings(image: Image.Image, centre: tuple[float, float], radii: tuple[int, ...],
          colour: RGB, stroke: int, alpha: float) -> None:
    """Concentric rings, fading outwards: the recurring motif of the designs."""
    for i, radius in enumerate(radii):
        circle(image, centre, radius, colour, alpha=alpha / (1 + i * 0.8), stroke=stroke)


def icon_tile(image: Image.Image, style: Style, kind: SlideKind, x: int, y: int, size: int
              ) -> Box:
    """A tinted rounded square with the slide kind's icon in the accent colour."""
    box = (x, y, x + size, y + size)
    rounded_rect(image, box, round(size * 0.3), style.accent, alpha=0.16)
    rounded_rect(image, box, round(size * 0.3), style.accent, alpha=0.35, stroke=2)
    icon(image, kind, (x + size / 2, y + size / 2), size * 0.56, style.accent)
    return box


def icon(image: Image.Image, kind: SlideKind, centre: tuple[float, float], size: float,
         colour: RGB) -> None:
    px = max(8, round(size))
    mask = _icon_mask(kind, px)
    left, top = round(centre[0] - px / 2), round(centre[1] - px / 2)
    image.paste(colour, (left, top, left + px, top + px), mask)


@lru_cache(maxsize=32)
def _icon_mask(kind: SlideKind, size: int) -> Image.Image:
    k = 4
    s = size * k
    big = Image.new("L", (s, s), 0)
    draw = ImageDraw.Draw(big)
    if kind == SlideKind.BREAKING:  # warning triangle with an exclamation mark cut out
        draw.polygon([(s / 2, s * 0.04), (s * 0.98, s * 0.92), (s * 0.02, s * 0.92)], fill=255)
        bar = s * 0.09
        draw.rounded_rectangle((s / 2 - bar / 2, s * 0.34, s / 2 + bar / 2, s * 0.64),
                               radius=bar / 2, fill=0)
        draw.ellipse((s / 2 - bar / 2, s * 0.71, s / 2 + bar / 2, s * 0.71 + bar), fill=0)
    elif kind == SlideKind.FIXES:  # check mark
        draw.line([(s * 0.1, s * 0.52), (s * 0.38, s * 0.8), (s * 0.9, s * 0.22)], fill=255,
                  width=round(s * 0.16), joint="curve")
    elif kind == SlideKind.CONTRIBUTORS:  # heart
        r = s * 0.25
        draw.ellipse((s * 0.04, s * 0.1, s * 0.04 + 2 * r, s * 0.1 + 2 * r), fill=255)
        draw.ellipse((s * 0.96 - 2 * r, s * 0.1, s * 0.96, s * 0.1 + 2 * r), fill=255)
        draw.polygon([(s * 0.07, s * 0.45), (s * 0.93, s * 0.45), (s / 2, s * 0.92)], fill=255)
    elif kind == SlideKind.CLOSING:  # arrow
        draw.line([(s * 0.08, s / 2), (s * 0.8, s / 2)], fill=255, width=round(s * 0.14))
        draw.polygon([(s * 0.5, s * 0.16), (s * 0.98, s / 2), (s * 0.5, s * 0.84)], fill=255)
    else:  # sparkle for the title and highlights
        _sparkle(draw, s * 0.42, s * 0.58, s * 0.4)
        _sparkle(draw, s * 0.82, s * 0.2, s * 0.16)
    return big.resize((size, size), Image.Resampling.BOX)


def _sparkle(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for i in range(8):
        angle = math.pi / 4 * i - math.pi / 2
        r = radius if i % 2 == 0 else radius * 0.3
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=255)


def bullet_marker(image: Image.Image, style: Style, kind: SlideKind, text: str,
                  centre: tuple[float, float], size: float,
                  picture: Image.Image | None = None) -> None:
    """What stands before a bullet: a dot, a check, a warning sign or an avatar (the
    person's ``picture`` when there is one, else their initial)."""
    if kind == SlideKind.CONTRIBUTORS:
        if picture is not None:
            photo(image, picture, centre, size / 2)
        else:
            avatar(image, style, text, centre, size / 2)
    elif kind == SlideKind.FIXES:
        circle(image, centre, size / 2, style.accent, alpha=0.2)
        cx, cy = centre
        polyline(image, [(cx - size * 0.2, cy + size * 0.01), (cx - size * 0.05, cy + size * 0.16),
                         (cx + size * 0.22, cy - size * 0.15)], style.accent,
                 max(2, round(size * 0.1)))
    elif kind == SlideKind.BREAKING:
        icon(image, kind, centre, size * 0.8, style.accent)
    else:
        circle(image, centre, size * 0.2, style.accent)
        circle(image, centre, size * 0.38, style.accent, alpha=0.25)


def avatar(image: Image.Image, style: Style, name: str, centre: tuple[float, float],
           radius: float) -> None:
    """A circle with the person's initial, its tint picked from the name (stable per person)."""
    handle = name.strip().lstrip("@")
    digest = hashlib.sha1(handle.encode(), usedforsecurity=False).hexdigest()
    tint = int(digest[:2], 16) / 255
    fill = mix(style.accent, style.muted, tint * 0.6)
    circle(image, centre, radius, fill)
    letter = next((c for c in handle if c.isalnum()), "?").upper()
    size = round(radius * 1.05)
    ink = readable_on(fill, style.bg, style.fg)
    width = line_width(letter, style.heavy, size)
    draw_line(image, letter, style.heavy, size, centre[0] - width / 2,
              centre[1] + cap_middle(style.heavy, size), ink)


def photo(image: Image.Image, picture: Image.Image, centre: tuple[float, float],
          radius: float) -> None:
    """``picture`` in a circle (an antialiased mask, supersampled like the other shapes)."""
    diameter = max(2, round(radius * 2))
    scaled = picture.resize((diameter, diameter), Image.Resampling.LANCZOS)
    left, top = round(centre[0] - radius), round(centre[1] - radius)
    image.paste(scaled, (left, top), _disc(diameter))


@lru_cache(maxsize=8)
def _disc(diameter: int) -> Image.Image:
    k = 4
    big = Image.new("L", (diameter * k, diameter * k), 0)
    ImageDraw.Draw(big).ellipse((0, 0, diameter * k - 1, diameter * k - 1), fill=255)
    return big.resize((diameter, diameter), Image.Resampling.BOX)


def accent_bar(image: Image.Image, style: Style, x: int, y: int, width: int, height: int
               ) -> None:
    rounded_rect(image, (x, y, x + width, y + height), height // 2, style.accent)


def underline(image: Image.Image, style: Style, block: TextBlock, area: Box, gap: int,
              width: int, height: int) -> None:
    """An accent bar under a heading, at the side its lines start from."""
    x = area[2] - block.pad - width if block.rtl else area[0] + block.pad
    accent_bar(image, style, x, area[3] + gap, width, height)


def qr_tile(image: Image.Image, link: str, x: int, y: int, size: int) -> Box:
    """A QR code of ``link`` (segno), dark on white as scanners expect, in a size px square
    with a quiet zone of two modules; modules are whole pixels so the code stays crisp."""
    code = _qr_modules(link)
    modules = code.width + 4
    scale = max(1, size // modules)
    side = modules * scale
    left, top = x + (size - side) // 2, y + (size - side) // 2
    rounded_rect(image, (left, top, left + side, top + side), scale * 2, (255, 255, 255))
    dark = code.resize((code.width * scale, code.height * scale), Image.Resampling.NEAREST)
    image.paste((17, 24, 39), (left + 2 * scale, top + 2 * scale,
                               left + 2 * scale + dark.width, top + 2 * scale + dark.height),
                dark)
    return (left, top, left + side, top + side)


@lru_cache(maxsize=8)
def _qr_modules(link: str) -> Image.Image:
    """The code's modules as an "L" mask, one pixel each (255: dark)."""
    qr = segno.make(link, error="m", micro=False)
    rows = list(qr.matrix)
    mask = Image.new("L", (len(rows[0]), len(rows)), 0)
    mask.putdata([255 if cell else 0 for row in rows for cell in row])
    return mask
