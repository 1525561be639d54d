"""The still pictures the reel is made of: each slide, and each slide with one caption burned in.

Burning a caption into a still once (Pillow, ~20 ms) is far cheaper than drawing subtitles on
every video frame inside ffmpeg: the video then is a few dozen stills, each decoded once.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..art import SLIDE_SIZE, burn_caption
from ..config import Brand
from ..errors import InputError
from ..structure import Narration
from .segments import SlideSpan

# zlib level 1: ~3x faster to write than the default, and ffmpeg decodes it just as fast.
_PNG_LEVEL = 1


def prepare_stills(
    slides: list[Path], narration: Narration, spans: list[SlideSpan], brand: Brand, work: Path
) -> tuple[list[Path], dict[int, Path]]:
    """Paths of the plain slide stills (one per slide) and the captioned ones (by cue index)."""
    wanted = sorted(
        {seg.caption for span in spans for seg in span.segments if seg.caption is not None}
    )
    # Pillow's decoding, drawing and zlib release the GIL: threads use every core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        loaded = list(pool.map(_load, slides, range(len(slides))))
        images = [_fit(image) for image, _ in loaded]

        def captioned(cue: int) -> Path:
            image = images[narration.cues[cue].slide]
            burned = burn_caption(image, narration.cues[cue].text, brand,
                                  language=narration.language)
            return _save(burned, work / f"caption-{cue:03d}.png")

        plain = [
            path if usable else pool.submit(_save, images[i], work / f"slide-{i:02d}.png")
            for i, (path, (_, usable)) in enumerate(zip(slides, loaded, strict=True))
        ]
        captions = {cue: pool.submit(captioned, cue) for cue in wanted}
        return (
            [p if isinstance(p, Path) else p.result() for p in plain],
            {cue: job.result() for cue, job in captions.items()},
        )


def _load(path: Path, index: int) -> tuple[Image.Image, bool]:
    """The slide as RGB, and whether its file can go to ffmpeg as is (a 1080x1920 RGB PNG)."""
    try:
        with Image.open(path) as opened:
            opened.load()
            usable = opened.format == "PNG" and opened.mode == "RGB" and opened.size == SLIDE_SIZE
            return (opened if opened.mode == "RGB" else opened.convert("RGB")), usable
    except FileNotFoundError:
        raise InputError(f"slide {index + 1}: image not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"slide {index + 1}: cannot read image {path}: {exc}") from None


def _fit(image: Image.Image) -> Image.Image:
    """Cover 1080x1920 (centre crop) whatever the slide's size; art's slides already match."""
    if image.size == SLIDE_SIZE:
        return image
    return ImageOps.fit(image, SLIDE_SIZE, Image.Resampling.LANCZOS)


def _save(image: Image.Image, path: Path) -> Path:
    image.save(path, "PNG", compress_level=_PNG_LEVEL)
    return path
