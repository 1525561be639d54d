"""The burned-in "words" captions: a sentence shown a few words at a time as it is spoken."""

from __future__ import annotations

from pipeline.reel.cues import captions
from pipeline.reel.spans import SlideSpan
from pipeline.structure import Cue, Word

SPAN = [SlideSpan(start=0, end=30 * 30, fade_in=0, fade_out=0)]


def spoken(text: str, start: float = 1.0, pace: float = 0.3) -> Cue:
    words = [Word(word, round(start + i * pace, 3), round(start + (i + 1) * pace, 3))
             for i, word in enumerate(text.split())]
    return Cue(start=words[0].start, end=words[-1].end, text=text, slide=0, words=words)


def phrases(*texts: str) -> list[str]:
    shown: list[str] = []
    for caption in captions([spoken(text) for text in texts], SPAN, "words"):
        if not shown or shown[-1] != caption.text:
            shown.append(caption.text)
    return shown


def test_a_sentence_is_cut_into_even_phrases_never_leaving_a_word_alone():
    assert phrases("Here is what's new.") == ["Here is", "what's new."]
    assert phrases("Thanks to 5 contributors for this release.") == [
        "Thanks to 5", "contributors for", "this release."]
    assert phrases("Read the full story on the blog.") == ["Read the", "full story",
                                                          "on the blog."]


def test_a_phrase_ends_at_punctuation_and_fits_three_words_and_22_characters():
    shown = phrases("Heads up: one breaking change, before you upgrade today.")
    assert shown == ["Heads up:", "one breaking change,", "before you", "upgrade today."]
    assert all(len(text) <= 22 and len(text.split()) <= 3 for text in shown)


def test_a_word_longer_than_a_phrase_is_shown_alone():
    assert phrases("Internationalization-everywhere arrives.") == [
        "Internationalization-everywhere", "arrives."]


def test_each_word_of_a_phrase_is_highlighted_in_turn_from_its_own_frame():
    cue = spoken("Show ETA and rate.", start=2.0, pace=0.4)
    shots = captions([cue], SPAN, "words")
    assert [(shot.text, shot.spoken) for shot in shots] == [
        ("Show ETA", 0), ("Show ETA", 1), ("and rate.", 0), ("and rate.", 1)]
    assert [shot.start for shot in shots] == [60, 72, 84, 96]  # each word's first frame
