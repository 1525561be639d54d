"""Which fonts draw which characters.

Release text mixes scripts: Latin names, CJK titles, emoji in changelog bullets, Hebrew or
Arabic translations. No single installed font covers all of them, so every string is drawn with
a *chain* of faces: each character goes to the first face whose cmap has it (read with
fontTools, so the answer is exact rather than guessed from a rendered box).

The chain, first to last:

1. ``brand.font`` when configured (one file serves every weight);
2. Lato (``fonts-lato``): the Latin/Cyrillic face the designs are drawn around;
3. DejaVu Sans (``fonts-dejavu-core``): Latin, Greek, Cyrillic, Hebrew, Arabic and symbols;
4. Noto Sans CJK (``fonts-noto-cjk``): Chinese, Japanese, Korean, with the face (JP/KR/SC/TC/HK)
   that matches the story's language, because Han glyph shapes differ by locale;
5. Noto Color Emoji (``fonts-noto-color-emoji``): a CBDT colour-bitmap font that FreeType only
   loads at its one strike size (109 px); glyphs are rendered there and scaled
   (see :mod:`pipeline.art.line`);
6. Noto Sans Symbols 2 when present, for the odd arrow or dingbat.

Fonts are found by their Debian paths first and then by asking fontconfig (``fc-list``), so a
non-Debian system with the same families works too.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError
from PIL import ImageFont, features

from ..errors import InputError, ToolError

# Pillow lays text out with libraqm (HarfBuzz shaping + FriBiDi) when both are loadable; without
# it, text is drawn glyph by glyph in the order given and RTL runs are reordered by us.
RAQM_AVAILABLE: bool = bool(features.check("raqm"))
_layout = {"raqm": RAQM_AVAILABLE}


def raqm_enabled() -> bool:
    return _layout["raqm"]


def use_raqm(enabled: bool) -> None:
    """Choose the layout engine: libraqm (when available) or Pillow's basic one.

    The basic engine gives the same pixels on every machine whether or not libraqm is installed,
    at the cost of Arabic shaping. Results are cached per engine, so switching is cheap.
    """
    if enabled and not RAQM_AVAILABLE:
        raise ToolError("libraqm is not available to Pillow: install libfribidi0")
    _layout["raqm"] = enabled

EMOJI_STRIKE = 109  # the only pixel size Noto Color Emoji's bitmaps exist at


class Weight(StrEnum):
    HEAVY = "heavy"  # titles and headings
    BOLD = "bold"  # labels, badges, captions
    REGULAR = "regular"  # body text


_DEBIAN = Path("/usr/share/fonts")
_LATO = {
    Weight.HEAVY: ("Lato", "Black", _DEBIAN / "truetype/lato/Lato-Black.ttf"),
    Weight.BOLD: ("Lato", "Bold", _DEBIAN / "truetype/lato/Lato-Bold.ttf"),
    Weight.REGULAR: ("Lato", "Regular", _DEBIAN / "truetype/lato/Lato-Regular.ttf"),
}
_DEJAVU_BOLD = ("DejaVu Sans", "Bold", _DEBIAN / "truetype/dejavu/DejaVuSans-Bold.ttf")
_DEJAVU = {
    Weight.HEAVY: _DEJAVU_BOLD,
    Weight.BOLD: _DEJAVU_BOLD,
    Weight.REGULAR: ("DejaVu Sans", "Book", _DEBIAN / "truetype/dejavu/DejaVuSans.ttf"),
}
_CJK_BOLD = ("Noto Sans CJK JP", "Bold", _DEBIAN / "opentype/noto/NotoSansCJK-Bold.ttc")
_CJK = {
    Weight.HEAVY: _CJK_BOLD,
    Weight.BOLD: _CJK_BOLD,
    Weight.REGULAR: (
        "Noto Sans CJK JP", "Regular", _DEBIAN / "opentype/noto/NotoSansCJK-Regular.ttc"
    ),
}
_EMOJI = ("Noto Color Emoji", "Regular", _DEBIAN / "truetype/noto/NotoColorEmoji.ttf")
_SYMBOLS = ("Noto Sans Symbols2", "Regular", _DEBIAN / "truetype/noto/NotoSansSymbols2-Regular.ttf")

# Face order inside NotoSansCJK-*.ttc, by the locale whose Han glyph forms each face uses.
_CJK_FACE_BY_LANGUAGE = {"ja": 0, "ko": 1, "zh": 2, "zh-cn": 2, "zh-hans": 2, "zh-sg": 2,
                         "zh-tw": 3, "zh-hant": 3, "zh-hk": 4, "zh-mo": 4}

# Characters that belong to the preceding character's glyph cluster: they must be drawn with
# the same face or the cluster (accented letter, emoji ZWJ sequence, flag, keycap) falls apart.
_ZWJ = "\u200d"
_EMOJI_PRESENTATION = "\ufe0f"
_CLUSTER_EXTENDERS = frozenset("\u200d\ufe0e\ufe0f\u20e3") | frozenset(
    chr(cp) for cp in range(0x1F3FB, 0x1F400)  # skin-tone modifiers
) | frozenset(chr(cp) for cp in range(0xE0020, 0xE0080))  # emoji tag sequences


@dataclass(frozen=True)
class FontFace:
    """One font file (and face inside a collection) that can draw part of a string."""

    path: Path
    index: int = 0  # face index inside a .ttc collection
    strike: int | None = None  # colour-bitmap fonts: the one size FreeType can load them at

    def covers(self, char: str) -> bool:
        return ord(char) in _cmap(self.path, self.index)

    def font(self, size: int, raqm: bool | None = None) -> ImageFont.FreeTypeFont:
        """The face at ``size`` px; bitmap fonts always come at their strike size."""
        raqm = raqm_enabled() if raqm is None else raqm
        return _load(self.path, self.index, self.strike or size, raqm)

    def scale(self, size: int) -> float:
        """Factor from this face's rendered pixels to ``size``: 1 except for bitmap fonts."""
        return size / self.strike if self.strike else 1.0


@dataclass(frozen=True)
class FontChain:
    """Faces tried in order for each character; the first is the design's main face."""

    faces: tuple[FontFace, ...]

    def face_for(self, char: str, *, prefer_emoji: bool = False) -> FontFace:
        if prefer_emoji:
            for face in self.faces:
                if face.strike and face.covers(char):
                    return face
        for face in self.faces:
            if face.covers(char):
                return face
        return self.faces[0]  # drawn as that face's .notdef box: visible, never silently dropped

    def segments(self, text: str) -> Iterator[tuple[FontFace, str]]:
        """Split ``text`` (logical order) into maximal runs drawn by one face each."""
        start = 0
        current: FontFace | None = None
        for i in range(len(text)):
            face = self._face_at(text, i, current)
            if face != current and current is not None:
                yield current, text[start:i]
                start = i
            current = face
        if current is not None:
            yield current, text[start:]

    def _face_at(self, text: str, i: int, previous: FontFace | None) -> FontFace:
        char = text[i]
        if previous is not None:
            joins_cluster = (
                char in _CLUSTER_EXTENDERS
                or unicodedata.category(char).startswith("M")
                or (i > 0 and text[i - 1] == _ZWJ)
                # spaces stay in the current run so runs only break where the script does
                # (not in an emoji run: the bitmap font's space is as wide as an emoji)
                or (char == " " and previous.strike is None and previous.covers(char))
            )
            if joins_cluster:
                return previous
        prefer_emoji = text[i + 1 : i + 2] == _EMOJI_PRESENTATION
        return self.face_for(char, prefer_emoji=prefer_emoji)


@cache
def _cmap(path: Path, index: int) -> frozenset[int]:
    if path.suffix.lower() in (".ttc", ".otc"):
        collection = TTCollection(str(path), lazy=True)
        cmap = collection.fonts[index].getBestCmap() or {}
    else:
        cmap = TTFont(str(path), lazy=True, fontNumber=index).getBestCmap() or {}
    return frozenset(cmap)


_per_thread = threading.local()
_FONTS_PER_THREAD = 512


def _load(path: Path, index: int, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    # A FreeType face must not be used by two threads at once, and Pillow lets go of the GIL
    # while rasterizing: each thread (the reel burns captions from a pool) gets its own fonts.
    fonts: dict[tuple[Path, int, int, bool], ImageFont.FreeTypeFont] | None = getattr(
        _per_thread, "fonts", None)
    if fonts is None or len(fonts) > _FONTS_PER_THREAD:
        fonts = _per_thread.fonts = {}
    key = (path, index, size, raqm)
    font = fonts.get(key)
    if font is None:
        engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
        font = fonts[key] = ImageFont.truetype(str(path), size, index=index,
                                               layout_engine=engine)
    return font


@cache
def _find(family: str, style: str, known: Path) -> Path | None:
    """A font file: the Debian path, else what fontconfig lists for exactly that family/style."""
    if known.is_file():
        return known
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        listed = subprocess.run(
            [fc_list, "--format", "%{file}\n", f":family={family}:style={style}"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(Path(line) for line in listed if line.strip())
    return files[0] if files else None


def check_font_file(path: Path, what: str = "brand.font") -> FontFace:
    """Validate a user-supplied font file; any problem is one InputError line."""
    if not path.is_file():
        raise InputError(f"{what}: font file not found: {path}")
    face = FontFace(path)
    try:
        face.font(24)
        _cmap(path, 0)
    except (OSError, TTLibError, AssertionError, KeyError, ValueError) as exc:
        detail = str(exc) or type(exc).__name__
        raise InputError(f"{what}: cannot read font {path}: {detail}") from None
    return face


def font_chain(weight: Weight, *, brand_font: Path | None = None, language: str = "") -> FontChain:
    """The faces used for ``weight``; raises ToolError naming the package when none is found."""
    return _chain(weight, brand_font, language.lower())


@cache
def _chain(weight: Weight, brand_font: Path | None, language: str) -> FontChain:
    faces: list[FontFace] = []
    if brand_font is not None:
        faces.append(check_font_file(brand_font))
    for candidate in (_LATO[weight], _DEJAVU[weight]):
        found = _find(*candidate)
        if found:
            faces.append(FontFace(found))
    if not faces:
        raise ToolError(
            "no usable font found (looked for Lato and DejaVu Sans): install the Debian package "
            "fonts-dejavu-core (scripts/install-system-deps.sh) or set brand.font"
        )
    cjk = _find(*_CJK[weight])
    if cjk:
        index = _CJK_FACE_BY_LANGUAGE.get(language, _CJK_FACE_BY_LANGUAGE.get(language[:2], 0))
        faces.append(FontFace(cjk, index if cjk.suffix.lower() == ".ttc" else 0))
    emoji = _find(*_EMOJI)
    if emoji:
        faces.append(FontFace(emoji, strike=EMOJI_STRIKE))
    symbols = _find(*_SYMBOLS)
    if symbols:
        faces.append(FontFace(symbols))
    return FontChain(tuple(faces))
