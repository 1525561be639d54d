"""A brand, resolved once per render: colours as RGB, the logo decoded, the font chains found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..config import Brand
from ..errors import InputError
from .fonts import FontChain, Weight, font_chain
from .paint import RGB, hex_rgb

_MAX_LOGO_PIXELS = 4096 * 4096  # a logo larger than this is a mistake, not a logo


@dataclass(frozen=True, eq=False)
class Style:
    name: str
    bg: RGB
    fg: RGB
    accent: RGB
    muted: RGB
    logo: Image.Image | None  # RGBA
    heavy: FontChain
    bold: FontChain
    regular: FontChain
    language: str = ""  # of the text drawn: picks CJK glyph forms and the labels' language

    @classmethod
    def from_brand(cls, brand: Brand, fallback_name: str, language: str = "") -> Style:
        colours = brand.colors

        def chain(weight: Weight) -> FontChain:
            return font_chain(weight, brand_font=brand.font, language=language)

        return cls(
            name=" ".join(brand.name.split()) or fallback_name,
            bg=hex_rgb(colours.background),
            fg=hex_rgb(colours.foreground),
            accent=hex_rgb(colours.accent),
            muted=hex_rgb(colours.muted),
            logo=load_logo(brand.logo) if brand.logo is not None else None,
            heavy=chain(Weight.HEAVY),
            bold=chain(Weight.BOLD),
            regular=chain(Weight.REGULAR),
            language=language,
        )


def load_logo(path: Path) -> Image.Image:
    """Decode the brand logo (PNG or JPEG, transparency kept); problems are one InputError."""
    if not path.is_file():
        raise InputError(f"brand.logo: file not found: {path}")
    try:
        with Image.open(path) as opened:
            if opened.format not in ("PNG", "JPEG"):
                raise InputError(
                    f"brand.logo: {path} is {opened.format or 'an unknown format'}, "
                    "expected a PNG or JPEG image"
                )
            if opened.width * opened.height > _MAX_LOGO_PIXELS:
                raise InputError(f"brand.logo: {path} is {opened.width}x{opened.height} px, "
                                 "too large for a logo (at most 4096x4096)")
            logo = opened.convert("RGBA")
    except UnidentifiedImageError:
        raise InputError(f"brand.logo: {path} is not a PNG or JPEG image") from None
    except OSError as exc:
        raise InputError(f"brand.logo: cannot read {path}: {exc}") from None
    box = logo.getbbox()  # trim transparent margins so the visible mark is what gets sized
    if box is None:
        raise InputError(f"brand.logo: {path} is fully transparent")
    return logo.crop(box)
