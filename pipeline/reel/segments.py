"""The reel's picture timeline: per slide, which still is shown for how many frames.

Each slide is on screen from its ``SlideTiming.start`` to its ``end`` (neighbours overlap by the
crossfade). Within a slide the picture only changes when a caption appears, so the slide is a
short list of still segments: the plain slide until the first sentence starts, then each
caption until the next sentence starts; the last caption stays ``CAPTION_HOLD`` seconds after its
sentence ends (never into the crossfade), then the plain slide again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..structure import Narration
from ..voice.timeline import FPS, to_frames

CAPTION_HOLD = 0.3


@dataclass(frozen=True)
class Segment:
    caption: int | None  # index into Narration.cues; None: the slide without a caption
    frames: int


@dataclass(frozen=True)
class SlideSpan:
    start: int  # first frame on screen
    frames: int  # frames on screen, both crossfades included
    fade_out: int  # frames of the crossfade into the next slide (0 for the last slide)
    segments: tuple[Segment, ...]


def slide_spans(narration: Narration, crossfade: float, *, captions: bool) -> list[SlideSpan]:
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
        if end - start <= fade + (fades[index - 1] if index else 0):
            raise InputError(f"slide {index + 1} is shorter than its crossfades")
        cues = [(n, cue) for n, cue in enumerate(narration.cues) if cue.slide == index]
        segments = _segments(start, end, end - fade, cues if captions else [])
        spans.append(SlideSpan(start, end - start, fade, tuple(segments)))
    return spans


def _segments(start: int, end: int, fade_start: int, cues: list) -> list[Segment]:
    segments: list[Segment] = []
    cursor = start
    for position, (number, cue) in enumerate(cues):
        first = min(max(to_frames(cue.start), cursor), end - 1)
        if position + 1 < len(cues):
            last = to_frames(cues[position + 1][1].start)
        else:
            last = min(to_frames(cue.end + CAPTION_HOLD), fade_start)
        last = min(max(last, first + 1), end)
        if first > cursor:
            segments.append(Segment(None, first - cursor))
        segments.append(Segment(number, last - first))
        cursor = last
    if end > cursor:
        segments.append(Segment(None, end - cursor))
    return segments


def seconds(frames: int) -> float:
    return frames / FPS
