"""When each slide is on screen, in frames, checked against the crossfade the reel was asked for.

Each slide is on screen from its ``SlideTiming.start`` to its ``end``; neighbours overlap by
the crossfade, during which the next slide fades in over the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..structure import Narration
from ..voice.timeline import to_frames


@dataclass(frozen=True)
class SlideSpan:
    start: int  # first frame on screen
    end: int  # first frame after it
    fade_in: int  # frames of the crossfade from the slide before (0 for the first)
    fade_out: int  # frames of the crossfade into the next slide (0 for the last)

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def shown(self) -> int:
        """The first frame on which the slide is fully visible."""
        return self.start + self.fade_in

    @property
    def fade_start(self) -> int:
        return self.end - self.fade_out


def slide_spans(narration: Narration, crossfade: float) -> list[SlideSpan]:
    """Frame-exact spans of every slide; checks the narration's timing is one a reel can show."""
    timings = narration.slides
    if not timings:
        raise InputError("the narration has no slide timing")
    total = to_frames(narration.duration)
    bounds = [(to_frames(t.start), to_frames(t.end)) for t in timings]
    fades = [end - bounds[i + 1][0] for i, (_, end) in enumerate(bounds[:-1])] + [0]
    wanted = to_frames(crossfade)
    if bounds[0][0] != 0 or bounds[-1][1] != total or any(f != wanted for f in fades[:-1]):
        raise InputError(
            f"the narration's slide timing does not fit a reel with {crossfade:g} s crossfades "
            "(narrate with crossfade=reel.crossfade)"
        )
    spans = []
    for index, ((start, end), fade) in enumerate(zip(bounds, fades, strict=True)):
        fade_in = fades[index - 1] if index else 0
        if end - start <= fade + fade_in:
            raise InputError(f"slide {index + 1} is shorter than its crossfades")
        spans.append(SlideSpan(start, end, fade_in, fade))
    return spans
