"""The reel's picture, frame by frame, as keys: equal keys are equal pictures.

A frame's key names everything it shows: the slide (or the two slides of a crossfade and how
far it is), the look of every animated part, the zoom step, the caption. Walking the keys is
cheap; only a frame whose key differs from the one before is drawn and encoded, and with a
variable frame rate it is simply shown until the next one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import av
from PIL import Image

from ..art import SLIDE_SIZE, Scene, caption_strip
from ..art.scene import REST, Box
from ..config import Brand
from .cues import Caption
from .encode import Canvas, to_yuv
from .motion import SlideMotion
from .spans import SlideSpan

ZOOM = 0.05  # each slide zooms by 5 %, in and out in turn
ZOOM_STEP = 2  # the zoom moves every second frame (15 steps a second): half the frames to draw
FADE_STEP = 2  # likewise a crossfade: a 0.5 s fade in 8 steps reads as smooth


@dataclass(frozen=True)
class View:
    """One slide as shown on a frame."""

    slide: int
    looks: Hashable
    zoom: int  # zoom step; -1: no zoom


@dataclass(frozen=True)
class FrameKey:
    view: View
    incoming: View | None  # the next slide, during a crossfade
    fade: float  # how far the crossfade is, 0..1
    caption: Caption | None


class Timeline:
    def __init__(self, spans: list[SlideSpan], motions: list[SlideMotion],
                 captions: list[Caption], *, zoom: bool) -> None:
        self.spans, self.motions, self.zoom = spans, motions, zoom
        self.total = spans[-1].end
        self._caption_at: list[Caption | None] = [None] * self.total
        for caption in captions:
            for frame in range(caption.start, min(caption.end, self.total)):
                self._caption_at[frame] = caption

    def _view(self, slide: int, frame: int) -> View:
        step = -1
        if self.zoom:
            span = self.spans[slide]
            step = min(span.frames - 1, max(0, frame - span.start)) // ZOOM_STEP
        return View(slide, self.motions[slide].looks(frame), step)

    def key(self, frame: int, slide: int) -> FrameKey:
        """``slide``: the slide on screen at ``frame`` (the outgoing one in a crossfade)."""
        span = self.spans[slide]
        view = self._view(slide, frame)
        if frame >= span.fade_start and slide + 1 < len(self.spans):
            step = (frame - span.fade_start) // FADE_STEP + 1
            fade = step / ((span.fade_out - 1) // FADE_STEP + 2)
            return FrameKey(view, self._view(slide + 1, frame), round(fade, 4),
                            self._caption_at[frame])
        return FrameKey(view, None, 0.0, self._caption_at[frame])

    def changes(self) -> Iterator[tuple[int, FrameKey, bool]]:
        """(frame, key, starts a slide) for every frame whose picture differs from the one
        before; a slide's first fully visible frame is always listed (a keyframe there lets
        players seek to any slide)."""
        previous: FrameKey | None = None
        slide = 0
        for frame in range(self.total):
            while frame >= self.spans[slide].end:
                slide += 1
            # in a crossfade the slide before stays the main view until its span ends
            key = self.key(frame, slide)
            starts = frame == self.spans[slide].shown
            if key != previous or starts:
                yield frame, key, starts
            previous = key


class Painter:
    """Draws keys into the encoder's canvas: a frame that differs from the one before only in
    some parts (an item entering, a caption's next word) redraws and converts only those
    boxes; a crossfade, a zoomed or a new slide is drawn whole."""

    def __init__(self, scenes: list[Scene], spans: list[SlideSpan], brand: Brand,
                 language: str) -> None:
        self.scenes, self.spans, self.brand, self.language = scenes, spans, brand, language
        # Both caches hold the painter (a cycle): close() empties them, so that a reel's
        # pictures go as soon as it is encoded rather than at some later garbage collection.
        self._slide = lru_cache(maxsize=4)(self._draw_slide)
        self._yuv = lru_cache(maxsize=4)(lambda view: to_yuv(self._slide(view)))
        self._strips: dict[tuple[int, Caption], tuple[Image.Image, tuple[int, int]] | None] = {}
        self.canvas = Canvas(SLIDE_SIZE)
        self._shown: FrameKey | None = None
        self.regions = 0  # frames drawn as changed boxes only (the rest were drawn whole)

    def close(self) -> None:
        """Let go of every picture kept (slides, 4:2:0 copies, caption strips, frames)."""
        self._slide.cache_clear()
        self._yuv.cache_clear()
        self._strips.clear()
        self.canvas.close()

    def paint(self, key: FrameKey) -> av.VideoFrame:
        boxes = self._changed(self._shown, key)
        if boxes is None:
            self._whole(key)
        else:
            self.regions += 1
            for box in boxes:
                self._box(key, box)
        self._shown = key
        return self.canvas.frame()

    def picture(self, key: FrameKey) -> Image.Image:
        """The whole RGB picture of ``key`` (a new image; the benchmark's moviepy baseline
        composes the same timeline from these)."""
        image = self._slide(key.view)
        image = (Image.blend(image, self._slide(key.incoming), key.fade)
                 if key.incoming is not None else image.copy())
        strip = None if key.caption is None else self._strip(key.view, image, key.caption)
        if strip is not None:
            image.paste(*strip)
        return image

    def _whole(self, key: FrameKey) -> None:
        if key.view.zoom >= 0 or (key.incoming is not None and key.incoming.zoom >= 0):
            self._whole_zoomed(key)
            return
        # A still slide's 4:2:0 picture is kept: a crossfade mixes the two slides' (the
        # same as mixing their colours, the conversion is linear) instead of converting
        # every step whole; only the caption's box is converted.
        if key.incoming is None:
            self.canvas.place(self._yuv(key.view))
        else:
            self.canvas.blend(self._yuv(key.view), self._yuv(key.incoming), key.fade)
        scene = self.scenes[key.view.slide]
        strip = None if key.caption is None else self._strip(key.view, scene.base, key.caption)
        if strip is None:
            return
        picture, (left, top) = strip
        box = _even((left, top, left + picture.width, top + picture.height))
        region = self._slide(key.view).crop(box)
        if key.incoming is not None:
            region = Image.blend(region, self._slide(key.incoming).crop(box), key.fade)
        region.paste(picture, (left - box[0], top - box[1]))
        self.canvas.update(region, box[0], box[1])

    def _whole_zoomed(self, key: FrameKey) -> None:
        image = self._slide(key.view)
        if key.incoming is not None:
            image = Image.blend(image, self._slide(key.incoming), key.fade)
        strip = None if key.caption is None else self._strip(key.view, image, key.caption)
        if strip is None:
            self.canvas.replace(image)
            return
        # The kept slide picture with the caption in it for the conversion, then as it was.
        picture, at = strip
        under = image.crop((*at, at[0] + picture.width, at[1] + picture.height))
        image.paste(picture, at)
        try:
            self.canvas.replace(image)
        finally:
            image.paste(under, at)

    def _changed(self, shown: FrameKey | None, key: FrameKey) -> list[Box] | None:
        """The boxes that differ between two frames of the same still slide; None: redraw all."""
        if (shown is None or shown.view.slide != key.view.slide or key.view.zoom >= 0
                or shown.incoming is not None or key.incoming is not None):
            return None
        scene = self.scenes[key.view.slide]
        boxes: list[Box] = []
        before, after = dict(shown.view.looks or ()), dict(key.view.looks or ())  # type: ignore[call-overload]
        for part in scene.parts:
            old, new = before.get(part.key, REST), after.get(part.key, REST)
            if old != new:
                boxes += [scene.extent(part, look) for look in (old, new) if look.opacity > 0]
        if shown.caption != key.caption:
            for caption in (shown.caption, key.caption):
                strip = None if caption is None else self._strip(key.view, scene.base, caption)
                if strip is not None:
                    picture, (left, top) = strip
                    boxes.append((left, top, left + picture.width, top + picture.height))
        return _merged([_even(box) for box in boxes])

    def _box(self, key: FrameKey, box: Box) -> None:
        scene = self.scenes[key.view.slide]
        region = scene.render(dict(key.view.looks or ()), box)  # type: ignore[call-overload]
        strip = None if key.caption is None else self._strip(key.view, scene.base, key.caption)
        if strip is not None:
            picture, (left, top) = strip
            region.paste(picture, (left - box[0], top - box[1]))
        self.canvas.update(region, box[0], box[1])

    def _draw_slide(self, view: View) -> Image.Image:
        looks = dict(view.looks) if view.looks else {}  # type: ignore[call-overload]
        image = self.scenes[view.slide].render(looks)
        if view.zoom < 0:
            return image
        return _zoomed(image, self._zoom_amount(view))

    def _zoom_amount(self, view: View) -> float:
        """0 → ZOOM across even slides, back to 0 across odd ones: the zoom never jumps."""
        steps = max(1, (self.spans[view.slide].frames - 1) // ZOOM_STEP)
        progress = min(1.0, view.zoom / steps)
        return ZOOM * (progress if view.slide % 2 == 0 else 1 - progress)

    def _strip(self, view: View, image: Image.Image, caption: Caption
               ) -> tuple[Image.Image, tuple[int, int]] | None:
        """The caption's strip over the slide. The caption zone of a still slide never
        changes (its parts stay above it), so strips are kept; a zoomed slide moves under its
        caption, so they are drawn every time."""
        if view.zoom >= 0:
            return caption_strip(image, caption.text, self.brand, language=self.language,
                                 words=caption.words, spoken=caption.spoken)
        key = (view.slide, caption)
        if key not in self._strips:
            if len(self._strips) > 8:
                self._strips.clear()
            self._strips[key] = caption_strip(self.scenes[view.slide].base, caption.text,
                                              self.brand, language=self.language,
                                              words=caption.words, spoken=caption.spoken)
        return self._strips[key]


def _even(box: Box) -> Box:
    """Grown to whole 2x2 blocks (4:2:0 chroma) and clipped to the picture."""
    width, height = SLIDE_SIZE
    left, top, right, bottom = box
    return (max(0, left - left % 2), max(0, top - top % 2),
            min(width, right + right % 2), min(height, bottom + bottom % 2))


def _merged(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes joined, so no pixel is converted twice."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: b[1]):
        if merged and box[1] < merged[-1][3] and box[0] < merged[-1][2] and merged[-1][0] < box[2]:
            last = merged[-1]
            merged[-1] = (min(last[0], box[0]), last[1], max(last[2], box[2]),
                          max(last[3], box[3]))
        else:
            merged.append(box)
    return merged


def _zoomed(image: Image.Image, amount: float) -> Image.Image:
    if amount <= 0:
        return image
    width, height = SLIDE_SIZE
    cut_x, cut_y = width * amount / (2 * (1 + amount)), height * amount / (2 * (1 + amount))
    return image.resize(SLIDE_SIZE, Image.Resampling.BILINEAR,
                        box=(cut_x, cut_y, width - cut_x, height - cut_y))
