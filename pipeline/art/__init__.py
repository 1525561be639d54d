"""The art stage: ReleaseFacts + Story -> Artwork (cover, social card, reel slides).

Everything is drawn with Pillow, offline, in the brand's colours and fonts; see ``docs/art.md``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..config import Brand
from ..errors import InputError
from ..structure import Artwork, ReleaseFacts, Story
from .captions import CAPTION_BOTTOM, burn_caption
from .cards import COVER_SIZE, SOCIAL_CARD_SIZE, render_cover, render_social_card
from .slides import CAPTION_TOP, CAPTION_ZONE, SLIDE_SIZE, render_slide
from .style import Style

__all__ = [
    "CAPTION_BOTTOM",
    "CAPTION_TOP",
    "CAPTION_ZONE",
    "COVER_SIZE",
    "SLIDE_SIZE",
    "SOCIAL_CARD_SIZE",
    "burn_caption",
    "render_artwork",
]

# PNG's zlib level: 1 is ~3x faster than the default 6 and the files are ~15 % larger; the
# site and the reel re-encode them anyway.
PNG_COMPRESS_LEVEL = 1


def render_artwork(facts: ReleaseFacts, story: Story, brand: Brand, out_dir: Path) -> Artwork:
    """Draw the cover, the social card and one slide per ``story.slides`` entry into ``out_dir``.

    Files: ``cover.png``, ``social-card.png``, ``slide-01-title.png``... Bad brand input (a
    missing or unreadable logo or font) raises :class:`~pipeline.errors.InputError` before
    anything is written.
    """
    style = Style.from_brand(brand, facts.repository.name, story.language)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the artwork folder {out_dir}: {exc.strerror}") from None
    cover = _save(render_cover(facts, story, style), out_dir / "cover.png")
    card = _save(render_social_card(facts, story, style), out_dir / "social-card.png")
    slides = [
        _save(render_slide(slide, i, len(story.slides), facts, style),
              out_dir / f"slide-{i + 1:02d}-{slide.kind.value}.png")
        for i, slide in enumerate(story.slides)
    ]
    return Artwork(cover=cover, social_card=card, slides=slides)


def _save(image: Image.Image, path: Path) -> Path:
    try:
        image.save(path, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
