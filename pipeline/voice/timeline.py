"""Where each sentence and slide sits in the reel, from the sentences' spoken lengths.

Layout (seconds; every slide boundary falls on a video frame, 30 fps)::

    lead-in | s1 gap s2 ... | hold margin [crossfade] margin | s1 ... | hold tail

* Sentences of a slide are separated by ``SENTENCE_GAP`` of silence.
* Between slides there is ``margin + crossfade + margin`` of silence: the crossfade never
  overlaps speech, so a caption is always inside its own slide's fully visible time.
* ``hold`` is zero unless the narration is shorter than the minimum duration: then the missing
  time is shared equally by the slides as extra silence after each slide's last sentence.
* A slide without sentences is shown for ``SILENT_SLIDE`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError
from ..structure import SlideTiming

FPS = 30
LEAD_IN = 0.35
SENTENCE_GAP = 0.3
SLIDE_MARGIN = 0.25
TAIL = 0.6
SILENT_SLIDE = 1.5


def to_frames(seconds: float) -> int:
    return round(seconds * FPS)


def crossfade_frames(crossfade: float) -> int:
    """The crossfade rounded to whole frames (xfade works on frames)."""
    return max(0, to_frames(crossfade))


@dataclass
class Plan:
    starts: list[list[float]]  # per slide, the start of each sentence
    slides: list[SlideTiming]
    duration: float  # a whole number of frames


def plan(durations: list[list[float]], crossfade: float, min_duration: float = 0.0) -> Plan:
    """Lay out sentences of the given lengths; pad with holds up to ``min_duration``."""
    if not durations:
        raise InputError("nothing to narrate: the story has no slides")
    laid = _layout(durations, crossfade, hold=0.0)
    if laid.duration < min_duration - 1e-9:
        laid = _layout(durations, crossfade, hold=(min_duration - laid.duration) / len(durations))
    return laid


def _layout(durations: list[list[float]], crossfade: float, hold: float) -> Plan:
    fade = crossfade_frames(crossfade) / FPS
    starts: list[list[float]] = []
    slide_starts = [0.0]
    t = LEAD_IN
    for index, sentences in enumerate(durations):
        if index:
            t += hold + SLIDE_MARGIN + fade + SLIDE_MARGIN
            slide_starts.append(to_frames(t - SLIDE_MARGIN - fade) / FPS)
        slide = []
        for number, length in enumerate(sentences):
            if number:
                t += SENTENCE_GAP
            slide.append(t)
            t += length
        if not sentences:
            t += SILENT_SLIDE
        starts.append(slide)
    duration = math.ceil((t + hold + TAIL) * FPS - 1e-6) / FPS
    ends = [start + fade for start in slide_starts[1:]] + [duration]
    slides = [SlideTiming(start, end) for start, end in zip(slide_starts, ends, strict=True)]
    return Plan(starts, slides, duration)


def sentences_to_drop(
    durations: list[list[float]], protected: list[bool], crossfade: float, max_duration: float
) -> set[tuple[int, int]]:
    """The fewest lowest-priority sentences whose removal brings the reel under the maximum.

    Priority, lowest first: the trailing sentences (all but the first) of the latest unprotected
    slide, then of the slide before it, and so on; then the first sentence of unprotected slides,
    latest first. Protected slides (title, closing) are never shortened.
    """
    order = [
        (index, number)
        for index in reversed(range(len(durations))) if not protected[index]
        for number in reversed(range(1, len(durations[index])))
    ] + [
        (index, 0)
        for index in reversed(range(len(durations))) if not protected[index] and durations[index]
    ]
    dropped: set[tuple[int, int]] = set()
    for candidate in [None, *order]:
        if candidate is not None:
            dropped.add(candidate)
        kept = [
            [length for number, length in enumerate(sentences) if (index, number) not in dropped]
            for index, sentences in enumerate(durations)
        ]
        if plan(kept, crossfade).duration <= max_duration + 1e-9:
            return dropped
    raise InputError(
        f"the narration cannot fit reel.max_duration ({max_duration:g} s) even with only the "
        "title and closing sentences: shorten them or raise reel.max_duration"
    )
