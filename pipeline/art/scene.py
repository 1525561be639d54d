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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageChops

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


@dataclass
class Scene:
    base: Image.Image  # RGB, everything that never moves
    parts: list[Part] = field(default_factory=list)
    kind: str = ""  # the SlideKind's value; "" for a picture that is not a drawn slide
    narration: list[str] = field(default_factory=list)  # the sentences the story wrote for it

    def render(self, looks: dict[str, Look] | None = None) -> Image.Image:
        """The slide at one moment: ``looks`` by part key; parts not named are at rest."""
        looks = looks or {}
        image = self.base.copy()
        for part in self.parts:
            look = looks.get(part.key, REST)
            if look.opacity <= 0:
                continue
            left, top, right, bottom = part.box
            region = (left, top, right, min(self.base.height, bottom + look.rise))
            under = image.crop(region)
            drawn = under.copy()
            part.paint(drawn, -left, -top + look.rise, look)
            image.paste(drawn if look.opacity >= 1 else Image.blend(under, drawn, look.opacity),
                        region[:2])
        return image

    @property
    def keys(self) -> list[str]:
        return [part.key for part in self.parts]


def build_scene(base: Image.Image, parts: Sequence[Part], *, kind: str = "",
                narration: Sequence[str] = ()) -> Scene:
    """The scene of ``parts`` over ``base``; each part's box is measured by drawing it once."""
    scene = Scene(base, [], kind, list(narration))
    for part in parts:
        probe = base.copy()
        part.paint(probe, 0, 0, REST)
        box = ImageChops.difference(probe, base).getbbox()
        if box is None:
            continue  # draws nothing (an empty line): nothing to animate
        part.box = box
        scene.parts.append(part)
    return scene
