"""The narration layout rules, on made-up sentence lengths (no audio involved)."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.voice.timeline import (
    FPS,
    LEAD_IN,
    SENTENCE_GAP,
    SILENT_SLIDE,
    SLIDE_MARGIN,
    plan,
    sentences_to_drop,
)


def on_frame(t: float) -> bool:
    return t * FPS == pytest.approx(round(t * FPS))


def test_layout_puts_pauses_between_sentences_and_crossfades_between_slides():
    laid = plan([[1.0, 2.0], [1.5]], crossfade=0.5)
    assert laid.starts[0] == pytest.approx([LEAD_IN, LEAD_IN + 1.0 + SENTENCE_GAP])
    first_end = laid.starts[0][1] + 2.0
    second = laid.starts[1][0]
    assert second - first_end == pytest.approx(2 * SLIDE_MARGIN + 0.5)
    one, two = laid.slides
    assert one.start == 0 and two.end == laid.duration
    assert one.end - two.start == pytest.approx(0.5)
    # the crossfade happens in the silence between the two slides' speech
    assert first_end < two.start and one.end < second
    assert all(on_frame(t) for t in (two.start, one.end, laid.duration))


def test_crossfade_is_rounded_to_whole_frames_and_may_be_zero():
    laid = plan([[1.0], [1.0]], crossfade=0.45)
    assert laid.slides[0].end - laid.slides[1].start == pytest.approx(14 / FPS)
    cut = plan([[1.0], [1.0]], crossfade=0)
    assert cut.slides[0].end == cut.slides[1].start


def test_short_narration_gets_equal_holds_up_to_the_minimum():
    bare = plan([[1.0], [1.0], [1.0]], crossfade=0.5)
    padded = plan([[1.0], [1.0], [1.0]], crossfade=0.5, min_duration=15)
    assert bare.duration < 15 <= padded.duration < 15 + 1 / FPS
    lengths = [t.end - t.start for t in padded.slides]
    assert max(lengths) - min(lengths) < 0.6  # the extra time is shared, not given to one


def test_a_slide_without_sentences_still_shows():
    laid = plan([[1.0], [], [1.0]], crossfade=0.5)
    silent = laid.slides[1]
    assert silent.end - silent.start >= SILENT_SLIDE


def test_drops_latest_trailing_sentences_first_and_never_protected_slides():
    lengths = [[2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0]]
    protected = [True, False, False, True]
    full = plan(lengths, 0.5).duration
    drop = sentences_to_drop(lengths, protected, 0.5, full - 1.0)
    assert drop == {(2, 2)}
    drop = sentences_to_drop(lengths, protected, 0.5, full - 5.0)
    assert drop == {(2, 2), (2, 1), (1, 2)}
    # then the first sentences of middle slides, latest first
    drop = sentences_to_drop(lengths, protected, 0.5, full - 9.5)
    assert drop == {(2, 2), (2, 1), (1, 2), (1, 1), (2, 0)}


def test_fits_without_dropping_anything_when_short_enough():
    assert sentences_to_drop([[1.0], [1.0]], [True, True], 0.5, 60) == set()


def test_impossible_fit_is_one_clear_error():
    with pytest.raises(InputError, match=r"cannot fit reel\.max_duration"):
        sentences_to_drop([[20.0], [3.0], [20.0]], [True, False, True], 0.5, 30)
    with pytest.raises(InputError, match="no slides"):
        plan([], 0.5)
