"""Measuring and drawing one line of mixed-script text with per-character font fallback.

A line is split into runs by font (:class:`~pipeline.art.fonts.FontChain`) and direction
(:mod:`pipeline.art.bidi`), the runs are put in visual order, and each is drawn on a common
baseline. Measuring uses exactly the same runs as drawing, so a width that fits is the width
that gets drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .bidi import mirrored_reversed, visual_runs
from .fonts import FontChain, FontFace, raqm_enabled

Colour = tuple[int, int, int] | tuple[int, int, int, int]


@dataclass(frozen=True)
class Piece:
    """A visual run ready for Pillow: the text to pass and how to lay it out."""

    face: FontFace
    text: str
    direction: str | None  # "ltr"/"rtl" for libraqm; None for the basic engine

    def width(self, size: int) -> float:
        return _piece_width(self, size)

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return self.face.font(size, raqm=self.direction is not None)


def pieces(text: str, chain: FontChain, base_rtl: bool | None = None) -> tuple[Piece, ...]:
    """The visual runs of one line, left to right."""
    return _pieces(text, chain, base_rtl, raqm_enabled())


@lru_cache(maxsize=8192)
def _pieces(text: str, chain: FontChain, base_rtl: bool | None, raqm: bool
            ) -> tuple[Piece, ...]:
    faces: list[FontFace] = []
    for face, segment in chain.segments(text):
        faces.extend([face] * len(segment))
    result = []
    for run in visual_runs(text, faces.__getitem__, base_rtl):
        part = text[run.start : run.end]
        if raqm:
            result.append(Piece(faces[run.start], part, "rtl" if run.rtl else "ltr"))
        else:
            result.append(Piece(faces[run.start], mirrored_reversed(part) if run.rtl else part,
                                None))
    return tuple(result)


@lru_cache(maxsize=16384)
def _piece_width(piece: Piece, size: int) -> float:
    font = piece.font(size)
    return font.getlength(piece.text, direction=piece.direction) * piece.face.scale(size)


def line_width(text: str, chain: FontChain, size: int, base_rtl: bool | None = None) -> float:
    return sum(piece.width(size) for piece in pieces(text, chain, base_rtl))


@lru_cache(maxsize=1024)
def face_extent(face: FontFace, size: int) -> tuple[float, float]:
    """(ascent, descent) in px of ``face`` drawn at ``size``."""
    ascent, descent = face.font(size).getmetrics()
    scale = face.scale(size)
    return ascent * scale, descent * scale


def line_extent(text: str, chain: FontChain, size: int) -> tuple[float, float]:
    """Largest ascent and descent among the faces this line uses (the main face at least)."""
    faces = {piece.face for piece in pieces(text, chain)} | {chain.faces[0]}
    extents = [face_extent(face, size) for face in faces]
    return max(a for a, _ in extents), max(d for _, d in extents)


def draw_line(
    image: Image.Image,
    text: str,
    chain: FontChain,
    size: int,
    x: float,
    baseline: float,
    fill: Colour,
    base_rtl: bool | None = None,
) -> float:
    """Draw ``text`` with its left end at ``x`` on ``baseline``; returns the drawn width."""
    draw = ImageDraw.Draw(image, "RGBA" if image.mode == "RGB" else None)
    start = x
    for piece in pieces(text, chain, base_rtl):
        if piece.face.strike:
            _paste_bitmap_run(image, piece, size, x, baseline)
        else:
            draw.text((x, baseline), piece.text, font=piece.font(size), fill=fill,
                      anchor="ls", direction=piece.direction)
        x += piece.width(size)
    return x - start


def _paste_bitmap_run(image: Image.Image, piece: Piece, size: int, x: float, baseline: float
                      ) -> None:
    glyphs, ascent = _bitmap_run(piece, size)
    image.paste(glyphs, (round(x), round(baseline - ascent)), glyphs)


@lru_cache(maxsize=512)
def _bitmap_run(piece: Piece, size: int) -> tuple[Image.Image, float]:
    """A colour-bitmap (emoji) run drawn at the font's strike size, scaled to ``size``."""
    font = piece.font(size)
    ascent, descent = font.getmetrics()
    width = math.ceil(font.getlength(piece.text, direction=piece.direction)) + 2
    strike = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(strike).text((0, ascent), piece.text, font=font, anchor="ls",
                                embedded_color=True, direction=piece.direction)
    scale = piece.face.scale(size)
    scaled = strike.resize(
        (max(1, round(width * scale)), max(1, round((ascent + descent) * scale))),
        Image.Resampling.LANCZOS,
    )
    return scaled, ascent * scale
