"""Drawing primitives shared by the cover, the social card, the slides and the captions.

Pillow's shape drawing is not antialiased, so visible curves (pills, panels, rings, avatars) are
drawn into a supersampled mask and scaled down. Masks and backdrops are cached: a reel burns a
caption box of the same few sizes dozens of times, and every slide shares one backdrop.
"""

from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from .fonts import FontChain
from .line import draw_line, line_width
from .text import fit_text

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]  # left, top, right, bottom


def hex_rgb(value: str) -> RGB:
    digits = value.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved ``t`` of the way towards ``b``."""
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def with_alpha(colour: RGB, alpha: float) -> tuple[int, int, int, int]:
    return (*colour, round(255 * alpha))


def _luminance(colour: RGB) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: RGB, *candidates: RGB) -> RGB:
    """The candidate that reads best on ``background`` (black or white if none is given)."""
    options = candidates or ((255, 255, 255), (0, 0, 0))
    return max(options, key=lambda c: contrast(c, background))


# --- backdrop ---------------------------------------------------------------------------------

@lru_cache(maxsize=16)
def backdrop(size: tuple[int, int], bg: RGB, accent: RGB, muted: RGB,
             glows: tuple[tuple[float, float, float, float], ...]) -> Image.Image:
    """A background in brand colours: a vertical gradient with soft radial glows.

    ``glows`` are (x, y, radius, strength), positions and radius as fractions of the width.
    Returns a cached image: copy it before drawing on it.
    """
    width = size[0]
    # Darken towards the bottom; a light background only a little, or it turns muddy grey.
    top = mix(bg, accent, 0.06)
    bottom = mix(bg, (0, 0, 0), 0.25 if _luminance(bg) < 0.4 else 0.05)
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)
    for i, (gx, gy, radius, strength) in enumerate(glows):
        colour = accent if i % 2 == 0 else muted
        glow(image, (gx * width, gy * width), radius * width, colour, strength)
    return image


def glow(image: Image.Image, centre: tuple[float, float], radius: float, colour: RGB,
         strength: float) -> None:
    """A soft light of ``colour`` fading out quadratically to nothing at ``radius``."""
    diameter = max(2, round(radius * 2))
    mask = _glow_mask(diameter, round(strength * 255))
    left, top = round(centre[0] - radius), round(centre[1] - radius)
    image.paste(colour, (left, top, left + diameter, top + diameter), mask)


@lru_cache(maxsize=32)
def _glow_mask(diameter: int, peak: int) -> Image.Image:
    falloff = [round(peak * (1 - min(d, 128) / 128) ** 2) for d in range(256)]
    small = Image.radial_gradient("L").point(falloff)
    return small.resize((diameter, diameter), Image.Resampling.BICUBIC)


def dot_grid(image: Image.Image, box: Box, spacing: int, radius: int,
             colour: tuple[int, int, int, int]) -> None:
    draw = ImageDraw.Draw(image, "RGBA")
    for y in range(box[1], box[3], spacing):
        for x in range(box[0], box[2], spacing):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


# --- antialiased shapes -----------------------------------------------------------------------

def _supersample(width: int, height: int) -> int:
    return max(2, min(4, 3000 // max(width, height, 1)))


@lru_cache(maxsize=64)
def _shape_mask(kind: str, width: int, height: int, radius: int, stroke: int) -> Image.Image:
    k = _supersample(width, height)
    big = Image.new("L", (width * k, height * k), 0)
    draw = ImageDraw.Draw(big)
    bounds = (0, 0, width * k - 1, height * k - 1)
    if kind == "rounded":
        draw.rounded_rectangle(bounds, radius=radius * k, fill=None if stroke else 255,
                               outline=255 if stroke else None, width=stroke * k)
    else:
        draw.ellipse(bounds, fill=None if stroke else 255, outline=255 if stroke else None,
                     width=stroke * k)
    return big.resize((width, height), Image.Resampling.BOX)


def _paint(image: Image.Image, mask: Image.Image, left: int, top: int, colour: RGB,
           alpha: float) -> None:
    if alpha < 1:
        mask = ImageChops.multiply(mask, Image.new("L", mask.size, round(255 * alpha)))
    image.paste(colour, (left, top, left + mask.width, top + mask.height), mask)


def rounded_rect(image: Image.Image, box: Box, radius: int, colour: RGB, *, alpha: float = 1.0,
                 stroke: int = 0) -> None:
    width, height = box[2] - box[0], box[3] - box[1]
    radius = min(radius, width // 2, height // 2)
    _paint(image, _shape_mask("rounded", width, height, radius, stroke), box[0], box[1],
           colour, alpha)


def circle(image: Image.Image, centre: tuple[float, float], radius: float, colour: RGB, *,
           alpha: float = 1.0, stroke: int = 0) -> None:
    diameter = max(2, round(radius * 2))
    left, top = round(centre[0] - radius), round(centre[1] - radius)
    _paint(image, _shape_mask("ellipse", diameter, diameter, 0, stroke), left, top, colour,
           alpha)


def polyline(image: Image.Image, points: list[tuple[float, float]], colour: RGB, width: int
             ) -> None:
    """A thick stroke with round joints, supersampled (check marks, arrows)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    left, top = math.floor(min(xs) - width), math.floor(min(ys) - width)
    w, h = math.ceil(max(xs) + width) - left, math.ceil(max(ys) + width) - top
    k = 4
    big = Image.new("L", (w * k, h * k), 0)
    draw = ImageDraw.Draw(big)
    scaled = [((x - left) * k, (y - top) * k) for x, y in points]
    draw.line(scaled, fill=255, width=width * k, joint="curve")
    for x, y in (scaled[0], scaled[-1]):
        r = width * k / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    _paint(image, big.resize((w, h), Image.Resampling.BOX), left, top, colour, 1.0)


# --- text in shapes ---------------------------------------------------------------------------

def cap_middle(chain: FontChain, size: int) -> float:
    """Distance from the baseline up to the middle of capital letters of the main face."""
    top = chain.faces[0].font(size).getbbox("H", anchor="ls")[1]
    return -top / 2


def pill(image: Image.Image, text: str, chain: FontChain, size: int, x: float, y: float, *,
         fill: RGB, text_colour: RGB, max_width: float, anchor: str = "left") -> Box:
    """A rounded badge holding one line of text (shrunk to fit ``max_width``).

    ``x`` is the badge's left edge, centre or right edge per ``anchor``; ``y`` its top.
    """
    pad_x, height = round(size * 0.75), round(size * 1.75)
    block = fit_text(text, chain, max_width - 2 * pad_x, height, max_size=size,
                     min_size=max(10, size // 2), max_lines=1)
    line = block.lines[0] if block.lines else ""
    text_w = line_width(line, chain, block.size)
    width = round(text_w + 2 * pad_x)
    left = {"left": x, "center": x - width / 2, "right": x - width}[anchor]
    box = (round(left), round(y), round(left) + width, round(y) + height)
    rounded_rect(image, box, height // 2, fill)
    baseline = y + height / 2 + cap_middle(chain, block.size)
    draw_line(image, line, chain, block.size, box[0] + pad_x, baseline, text_colour)
    return box


def fit_logo(logo: Image.Image, width: int, height: int) -> Image.Image:
    """The logo scaled (up or down) to fit inside width x height, aspect kept."""
    scale = min(width / logo.width, height / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    return logo.resize(size, Image.Resampling.LANCZOS)
