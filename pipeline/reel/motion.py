"""What moves on each slide, and when: short bursts timed from the narration, holds between.

* A list slide's items enter as their sentence starts (a 0.2 s ease-out: fading in while
  rising into place); the item being spoken is emphasised and steps back once the next one
  starts. Items no sentence speaks (the contributors' names) enter one after the other when
  the slide's first sentence starts.
* The title card's repository, heading and lines enter one after the other as it appears.
* The closing card's numbers count up with the sentence that gives them (its last), and its
  link enters with its first sentence.

Every animation ends within ``BURST`` frames of its start: between bursts the picture holds,
and the encoder writes nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..art.scene import HIDDEN, REST, RISE, Look, Scene
from ..structure import Cue
from ..voice.timeline import to_frames
from .cues import sentence_starts
from .spans import SlideSpan

# Frames an entry or an emphasis change lasts: 0.2 s at 30 fps. Long enough to read as motion,
# and every frame of it is encoded: 8 frames measured ~10 % more reel time for no visible gain.
BURST = 6
COUNT = 9  # frames numbers take to count up: 0.3 s
STAGGER = 3  # frames between parts entering one after the other
LEAD = 2  # an entry starts this many frames before its words, so it has landed as they come


@dataclass
class Track:
    """One part's timeline (absolute frames). None: no such change."""

    enter: int | None = None
    spoken: tuple[int, int | None] | None = None  # emphasised from, stepped back at
    count: int | None = None

    def look(self, frame: int) -> Look:
        opacity, rise = 1.0, 0
        if self.enter is not None:
            if frame < self.enter:
                return HIDDEN
            progress = _ease((frame - self.enter + 1) / BURST)
            opacity, rise = progress, round(RISE * (1 - progress))
        emphasis = 0.0
        if self.spoken is not None:
            begin, end = self.spoken
            if frame >= begin:
                emphasis = _ease((frame - begin + 1) / BURST)
            if end is not None and frame >= end:
                emphasis = 1 - 2 * _ease((frame - end + 1) / BURST)
        count = 1.0
        if self.count is not None:
            count = 0.0 if frame < self.count else _ease((frame - self.count + 1) / COUNT)
        look = Look(round(opacity, 3), rise, round(emphasis, 3), round(count, 3))
        return REST if look == REST else look


@dataclass
class SlideMotion:
    tracks: dict[str, Track] = field(default_factory=dict)

    def looks(self, frame: int) -> tuple[tuple[str, Look], ...]:
        """The parts' looks at ``frame``, a hashable key: equal keys, equal pictures."""
        return tuple((key, track.look(frame)) for key, track in self.tracks.items())


def _ease(t: float) -> float:
    """Cubic ease-out, clamped: fast start, gentle landing."""
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def slide_motion(scene: Scene, span: SlideSpan, cues: list[Cue]) -> SlideMotion:
    """The motion of one slide shown during ``span`` while ``cues`` (its own) are spoken."""
    starts = [max(span.shown, to_frames(t) - LEAD) for t in sentence_starts(scene.narration, cues)]
    first = starts[0] if starts else span.shown
    keys = scene.keys
    motion = SlideMotion()
    if scene.kind == "title":
        for order, key in enumerate(keys):
            motion.tracks[key] = Track(enter=span.start + order * STAGGER)
    elif scene.kind == "closing":
        for key in keys:
            if key == "numbers":
                at = starts[-1] if len(starts) > 1 else first
                motion.tracks[key] = Track(enter=at, count=at)
            else:
                motion.tracks[key] = Track(enter=first)
    else:
        items = [key for key in keys if key.startswith("item:")]
        spoken = _spoken_items(scene.narration, len(items))
        cascade = 0
        previous = span.shown
        tracks: list[Track] = []
        for number, key in enumerate(items):
            sentence = spoken[number]
            if sentence is not None and sentence < len(starts):
                at = max(starts[sentence], previous)
                track = Track(enter=at, spoken=(at, None))
            else:
                at = max(first + cascade * STAGGER, previous)
                cascade += 1
                track = Track(enter=at)
            if tracks and tracks[-1].spoken is not None and track.spoken is not None:
                tracks[-1].spoken = (tracks[-1].spoken[0], at)  # the one before steps back
            tracks.append(track)
            motion.tracks[key] = track
            previous = at
    return motion



def _spoken_items(sentences: list[str], items: int) -> list[int | None]:
    """For each item (in order), the index of the sentence that speaks it, or None.

    The bundled narration template says an introduction, then each line as a sentence, so
    with more sentences than items the last ones speak the items. A template that does not
    speak every item leaves them unmatched: they then enter one after the other.
    """
    if not items:
        return []
    found: list[int | None] = [None] * items
    if len(sentences) > items:  # the introduction first, then one sentence per item
        found = [len(sentences) - items + k for k in range(items)]
    return found

