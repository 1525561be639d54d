"""A slide as a scene: a still base and the parts the reel animates over it.

The art stage draws each slide as a :class:`Scene`; its picture at rest (every part shown,
none emphasised) is the slide PNG of the post. The reel asks the same scene for the picture of
any moment: a part entering (fading in while it rises into place), emphasised while it is
spoken, stepped back once said, or a number counting up. A part is re-drawn only inside its
own box, on the base's pixels, with the same drawing code as at rest, so a frame in the middle
of an animation is laid out exactly like the final slide: nothing can move out of the safe area
or clip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]

# How far below its place a part starts when it enters (px); it rises into place.
RISE = 28


@dataclass(frozen=True)
class Look:
    """How a part is shown at one moment."""

    opacity: float = 1.0  # 0: not drawn, 1: fully drawn
    rise: int = 0  # px below its resting place
    emphasis: float = 0.0  # 1: being spoken, 0: at rest, -1: said, stepped back
    count: float = 1.0  # how far numbers have counted up, 0..1


REST = Look()
HIDDEN = Look(opacity=0.0)

# paint(image, dx, dy, look): draw the part, every absolute coordinate shifted by (dx, dy).
Paint = Callable[[Image.Image, float, float, Look], None]


@dataclass
class Part:
    key: str  # "item:0", "heading", "numbers"...: what the reel's motion addresses
    paint: Paint
    box: Box = (0, 0, 0, 0)  # where the part draws at rest, found when the scene is built


@dataclass(eq=False)
class Scene:
    base: Image.Image  # RGB, everything that never moves
    parts: list[Part] = field(default_factory=list)
    kind: str = ""  # the SlideKind's value; "" for a picture that is not a drawn slide
    narration: list[str] = field(default_factory=list)  # the sentences the story wrote for it
    _drawn: dict[tuple[str, float, float], Image.Image] = field(default_factory=dict,
                                                                 repr=False)

    def render(self, looks: dict[str, Look] | None = None, box: Box | None = None
               ) -> Image.Image:
        """The slide at one moment: ``looks`` by part key (parts not named are at rest);
        only ``box`` of it when given (the same pixels as that box of the whole picture)."""
        looks = looks or {}
        box = box or (0, 0, self.base.width, self.base.height)
        image = self.base.crop(box)
        for part in self.parts:
            look = looks.get(part.key, REST)
            if look.opacity <= 0 or not _meets(self.extent(part, look), box):
                continue
            drawn = self._part(part, look)
            left, top, right, bottom = self.extent(part, look)
            at = (left - box[0], top - box[1])
            if look.opacity < 1:
                under = image.crop((at[0], at[1], at[0] + right - left, at[1] + bottom - top))
                drawn = Image.blend(under, drawn, look.opacity)
            image.paste(drawn, at)
        return image

    def extent(self, part: Part, look: Look) -> Box:
        """Where the part draws with ``look`` (it enters from below its place)."""
        left, top, right, bottom = part.box
        return (left, top + look.rise, right, bottom + look.rise)

    def _part(self, part: Part, look: Look) -> Image.Image:
        """The part's box drawn at rest position with ``look``'s emphasis and count.

        Drawn parts are kept: an entry only moves and fades the same picture, and an emphasis
        between two of the three levels (-1, 0, 1) blends the two, the same as mixing their
        colours. (Moving a part a few px carries the backdrop under its box along; the
        backdrop is a smooth gradient there, and the part lands exactly in place.)
        """
        emphasis = look.emphasis
        if emphasis in (-1.0, 0.0, 1.0):
            return self._draw(part, emphasis, look.count)
        low = -1.0 if emphasis < 0 else 0.0
        return Image.blend(self._draw(part, low, look.count),
                           self._draw(part, low + 1, look.count), emphasis - low)

    def _draw(self, part: Part, emphasis: float, count: float) -> Image.Image:
        key = (part.key, emphasis, count)
        drawn = self._drawn.get(key)
        if drawn is None:
            if len(self._drawn) > 64:  # counting numbers make many; none is needed again
                self._drawn.clear()
            drawn = self.base.crop(part.box)
            part.paint(drawn, -part.box[0], -part.box[1], Look(emphasis=emphasis, count=count))
            self._drawn[key] = drawn
        return drawn

    @property
    def keys(self) -> list[str]:
        return [part.key for part in self.parts]


def _meets(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def build_scene(base: Image.Image, parts: Sequence[Part], *, kind: str = "",
                narration: Sequence[str] = (), boxes: Mapping[str, Sequence[int]] | None = None
                ) -> Scene:
    """The scene of ``parts`` over ``base``; each part's box is measured by drawing it once,
    unless ``boxes`` (by part key, as :func:`part_boxes` gives them) says where they are: the
    reel rebuilds a scene the art stage measured. A part missing from ``boxes`` draws
    nothing."""
    scene = Scene(base, [], kind, list(narration))
    if boxes is not None:
        for part in parts:
            if part.key in boxes:
                part.box = _box(boxes[part.key], base.size)
                scene.parts.append(part)
        return scene
    # One probe for all parts: each part's pixels are put back from the base once measured,
    # which costs its box, where a fresh copy of the frame per part costs the whole frame.
    probe = base.copy()
    reference = _rows(base)
    for part in parts:
        part.paint(probe, 0, 0, REST)
        box = _changed(reference, _rows(probe), len(base.getbands()))
        if box is None:
            continue  # draws nothing (an empty line): nothing to animate
        part.box = box
        probe.paste(base.crop(box), box[:2])
        scene.parts.append(part)
    return scene


def part_boxes(scene: Scene) -> dict[str, list[int]]:
    """Where each part of ``scene`` draws (JSON-ready): ``build_scene``'s ``boxes``."""
    return {part.key: list(part.box) for part in scene.parts}


def _box(value: Sequence[int], size: tuple[int, int]) -> Box:
    left, top, right, bottom = (int(v) for v in value)
    if not (0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]):
        raise ValueError(f"not a part's box: {value!r}")
    return (left, top, right, bottom)


def _rows(image: Image.Image) -> np.ndarray:
    """The image's bytes, one array row per pixel row."""
    return np.frombuffer(image.tobytes(), np.uint8).reshape(image.height, -1)


def _changed(before: np.ndarray, after: np.ndarray, bands: int) -> Box | None:
    """The bounding box of the pixels that differ, as ``ImageChops.difference(...).getbbox()``
    gives it; comparing bytes row by row is several times cheaper than that on a full frame."""
    different = before != after
    rows = np.flatnonzero(different.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(different[rows[0]: rows[-1] + 1].any(axis=0))
    return (int(columns[0]) // bands, int(rows[0]), int(columns[-1]) // bands + 1,
            int(rows[-1]) + 1)
