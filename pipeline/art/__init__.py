"""The art stage: ReleaseFacts + Story -> Artwork (cover, social card, reel slides).

Everything is drawn with Pillow, offline, in the brand's colours and fonts; see ``docs/art.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from ..config import Brand
from ..errors import InputError
from ..structure import Artwork, ReleaseFacts, Slide, SlideKind, Story
from .avatars import fetch_avatars
from .captions import CAPTION_BOTTOM, burn_caption, caption_strip
from .cards import COVER_SIZE, SOCIAL_CARD_SIZE, render_cover, render_social_card
from .scene import Scene, part_boxes
from .slides import CAPTION_TOP, CAPTION_ZONE, SLIDE_SIZE, SlideFacts, slide_scene
from .style import Style

__all__ = [
    "CAPTION_BOTTOM",
    "CAPTION_TOP",
    "CAPTION_ZONE",
    "COVER_SIZE",
    "SLIDE_SIZE",
    "SOCIAL_CARD_SIZE",
    "Scene",
    "burn_caption",
    "caption_strip",
    "load_scene",
    "render_artwork",
    "render_slides",
]

# PNG's zlib level: 1 is ~3x faster than the default 6 and the files are ~15 % larger; the
# site and the reel re-encode them anyway.
PNG_COMPRESS_LEVEL = 1


def render_artwork(facts: ReleaseFacts, story: Story, brand: Brand, out_dir: Path, *,
                   link: str | None = None) -> Artwork:
    """Draw the cover, the social card and one slide per ``story.slides`` entry into ``out_dir``.

    Files: ``cover.png``, ``social-card.png``, ``slide-01-title.png``... and, beside each
    slide, ``slide-01-title.scene.json``: what the reel needs to draw the slide's animation
    (:func:`load_scene`). ``link`` is where the closing card sends people (its QR code): the
    post's URL when known, else the release page. Bad brand input (a missing or unreadable
    logo or font) raises :class:`~pipeline.errors.InputError` before anything is written.
    """
    style = _style(facts, story, brand, out_dir)
    cover = _save(render_cover(facts, story, style), out_dir / "cover.png")
    card = _save(render_social_card(facts, story, style), out_dir / "social-card.png")
    slides = _draw_slides(facts, story, brand, style, out_dir, link)
    return Artwork(cover=cover, social_card=card, slides=slides)


def render_slides(facts: ReleaseFacts, story: Story, brand: Brand, out_dir: Path, *,
                  link: str | None = None) -> list[Path]:
    """Only the slides of :func:`render_artwork` (with their ``.scene.json``), for a caller
    that needs no cover or social card."""
    return _draw_slides(facts, story, brand, _style(facts, story, brand, out_dir), out_dir,
                        link)


def _draw_slides(facts: ReleaseFacts, story: Story, brand: Brand, style: Style, out_dir: Path,
                 link: str | None) -> list[Path]:
    # Avatars only when the facts carry their URLs (the GitHub API was asked); else initials.
    info = SlideFacts.of(facts, link, fetch_avatars(facts.contributors))
    slides = []
    for i, slide in enumerate(story.slides):
        path = out_dir / f"slide-{i + 1:02d}-{slide.kind.value}.png"
        scene = slide_scene(slide, i, len(story.slides), info, style)
        _save(scene.render(), path)
        _keep(_digest(path), scene)
        _save_scene_source(path, {
            "slide": asdict(slide), "index": i, "count": len(story.slides),
            "facts": asdict(info), "brand": brand.model_dump(mode="json"),
            "name": facts.repository.name, "language": story.language,
            "boxes": part_boxes(scene),  # the reel need not draw each part to find it
        })
        slides.append(path)
    return slides


def _style(facts: ReleaseFacts, story: Story, brand: Brand, out_dir: Path) -> Style:
    """The brand's style (a bad logo or font fails here, before anything is drawn) and the
    folder to draw into."""
    style = Style.from_brand(brand, facts.repository.name, story.language)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the artwork folder {out_dir}: {exc.strerror}") from None
    return style


_SCENE_VERSION = 1


def scene_source(slide_png: Path) -> Path:
    return slide_png.with_name(slide_png.stem + ".scene.json")


def _save_scene_source(png: Path, source: dict) -> None:
    """The slide's inputs, and the digest of the PNG they drew: a slide replaced or edited
    after the art stage is then shown as the still it is."""
    source = {"version": _SCENE_VERSION, "png_sha256": _digest(png), **source}
    target = scene_source(png)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


# Scenes this process drew or rebuilt, by PNG digest: the main reel and every dubbed reel of a
# run show the same slides, and rebuilding a scene means laying out its text again.
_SCENES: dict[str, Scene] = {}
_KEPT_SCENES = 16


def load_scene(slide_png: Path) -> Scene | None:
    """The scene a slide PNG was drawn from, rebuilt from its ``.scene.json``; None when the
    slide has none (any image can be a slide: it is then shown still) or no longer matches."""
    try:
        source = json.loads(scene_source(slide_png).read_text(encoding="utf-8"))
        digest = _digest(slide_png)
        if source.get("version") != _SCENE_VERSION or source["png_sha256"] != digest:
            return None
        if digest in _SCENES:
            return _SCENES[digest]
        fields = source["slide"]
        slide = Slide(SlideKind(fields["kind"]), fields["heading"], list(fields["lines"]),
                      list(fields["narration"]))
        brand = Brand.model_validate(source["brand"])
        style = Style.from_brand(brand, source["name"], source["language"])
        scene = slide_scene(slide, source["index"], source["count"],
                            SlideFacts(**source["facts"]), style, source.get("boxes"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    _keep(digest, scene)
    return scene


def _keep(digest: str, scene: Scene) -> None:
    if len(_SCENES) >= _KEPT_SCENES:
        _SCENES.pop(next(iter(_SCENES)))
    _SCENES[digest] = scene


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save(image: Image.Image, path: Path) -> Path:
    try:
        image.save(path, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
