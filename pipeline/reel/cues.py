"""Reading the narration's timing: words, sentences, and the captions shown on each frame.

Cues carry their words' timings when the voice gives them (``Cue.words``); for a cue without
(a transcribed recording, an older narration) the words are spread over the cue in proportion
to their length, which is close for synthetic speech at an even pace.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..structure import Cue
from ..voice.timeline import to_frames
from .spans import SlideSpan

# The last caption of a slide stays this long after its words end (never into the crossfade).
CAPTION_HOLD = 0.3
# A phrase of the "words" captions: at most this many words, or characters for CJK text.
PHRASE_WORDS = 3
PHRASE_CHARS = 22
PHRASE_CJK_CHARS = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


def words_of(cue: Cue) -> list[TimedWord]:
    timed = [TimedWord(w.text, w.start, w.end) for w in getattr(cue, "words", None) or []
             if w.text.strip()]
    if timed:
        return timed
    texts = _split(cue.text)
    weights = [max(1, len(text)) for text in texts]
    total = sum(weights) or 1
    words, at = [], cue.start
    for text, weight in zip(texts, weights, strict=True):
        length = (cue.end - cue.start) * weight / total
        words.append(TimedWord(text, at, at + length))
        at += length
    return words


def _split(text: str) -> list[str]:
    """Words at spaces; CJK runs (no spaces) one character each, punctuation kept on."""
    words: list[str] = []
    for token in text.split():
        if not _CJK.search(token):
            words.append(token)
            continue
        for char in token:
            if words and words[-1] and not _CJK.match(char) and _CJK.search(words[-1]):
                words[-1] += char  # punctuation or a Latin run inside CJK stays with the word
            else:
                words.append(char)
    return words


def _letters(text: str) -> int:
    return sum(1 for char in text if unicodedata.category(char)[0] in "LN")


def sentence_starts(sentences: list[str], cues: list[Cue]) -> list[float]:
    """When each of a slide's ``sentences`` starts being spoken, from the slide's ``cues``.

    One cue per sentence is the common case; otherwise (cues split or merged, a translation)
    each sentence starts at the word where its share of the slide's letters begins.
    """
    if not sentences or not cues:
        return []
    if len(cues) == len(sentences):
        return [cue.start for cue in cues]
    words = [word for cue in cues for word in words_of(cue)]
    total = sum(_letters(w.text) for w in words) or 1
    wanted = [_letters(s) for s in sentences]
    scale = total / (sum(wanted) or 1)
    starts, seen, position = [], 0.0, 0
    cumulative = 0
    for length in wanted:
        target = seen * scale
        while position < len(words) - 1 and cumulative + _letters(words[position].text) / 2 \
                < target:
            cumulative += _letters(words[position].text)
            position += 1
        starts.append(words[position].start)
        seen += length
    return starts


@dataclass(frozen=True)
class Caption:
    """A caption on screen from frame ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    text: str
    words: tuple[str, ...] = ()  # the phrase's words ("words" mode)
    spoken: int = -1  # index into ``words`` of the word being spoken; -1: none highlighted


def captions(cues: list[Cue], spans: list[SlideSpan], mode: str) -> list[Caption]:
    """Every caption in frame order; they never overlap and never reach into a crossfade."""
    if mode == "off":
        return []
    shots: list[Caption] = []
    for index, cue in enumerate(cues):
        span = spans[cue.slide]
        following = cues[index + 1] if index + 1 < len(cues) else None
        if following is not None and following.slide == cue.slide:
            until = to_frames(following.start)
        else:
            until = min(to_frames(cue.end + CAPTION_HOLD), span.fade_start)
        floor = max(span.shown, shots[-1].end if shots else 0)
        pieces: list[tuple[int, str, tuple[str, ...], int]]
        if mode == "sentences":
            pieces = [(to_frames(cue.start), " ".join(cue.text.split()), (), -1)]
        else:
            pieces = _phrase_pieces(cue)
        for number, (start, text, words, spoken) in enumerate(pieces):
            first = min(max(start, floor), until - 1)
            last = pieces[number + 1][0] if number + 1 < len(pieces) else until
            last = min(max(last, first + 1), until)
            if last > first and text:
                shots.append(Caption(first, last, text, words, spoken))
                floor = last
    return shots


def _phrase_pieces(cue: Cue) -> list[tuple[int, str, tuple[str, ...], int]]:
    """(first frame, phrase text, phrase words, word spoken) at every word of the cue."""
    pieces = []
    for phrase in _phrases(words_of(cue)):
        texts = tuple(w.text for w in phrase)
        joined = _join(texts)
        for number, word in enumerate(phrase):
            pieces.append((to_frames(word.start), joined, texts, number))
    return pieces


_PHRASE_END = (".", ",", ";", ":", "!", "?", "。", "、")


def _phrases(words: list[TimedWord]) -> list[list[TimedWord]]:
    """The cue's words in phrases of at most PHRASE_WORDS words (PHRASE_CJK_CHARS characters
    of CJK) and PHRASE_CHARS characters, each ending at the latest at a punctuation mark.

    As few phrases as greedy filling gives, but balanced: "Here is what's new." shows as
    "Here is / what's new.", not "Here is what's / new." (a lone word flashing by at the end
    of a sentence, the way greedy chunking leaves them).
    """
    phrases: list[list[TimedWord]] = []
    run: list[TimedWord] = []
    for word in words:
        run.append(word)
        if word.text.endswith(_PHRASE_END):
            phrases += _balanced(run)
            run = []
    return phrases + _balanced(run)


def _length(phrase: list[TimedWord]) -> int | None:
    """The phrase's length in characters, or None when it does not fit in one caption."""
    length = len(_join(tuple(w.text for w in phrase)))
    if len(phrase) == 1:
        return length  # a word longer than a phrase is still shown, alone
    cjk = any(_CJK.search(word.text) for word in phrase)
    limit = PHRASE_CJK_CHARS if cjk else PHRASE_CHARS
    return length if len(phrase) <= (limit if cjk else PHRASE_WORDS) and length <= limit \
        else None


def _balanced(run: list[TimedWord]) -> list[list[TimedWord]]:
    """``run`` (no punctuation inside) cut into the fewest phrases that fit, then the fewest
    one-word phrases, then the most even lengths (dynamic programming over the cut points)."""
    if not run:
        return []
    # best[i]: (phrases, one-word phrases, sum of squared lengths) for run[:i], and its cut
    best: list[tuple[tuple[int, int, int], int]] = [((0, 0, 0), 0)]
    for end in range(1, len(run) + 1):
        options = []
        for start in range(end - 1, -1, -1):
            length = _length(run[start:end])
            if length is None:
                break  # a longer phrase ending here does not fit either
            (count, lone, squares), _ = best[start]
            options.append(((count + 1, lone + (end - start == 1), squares + length ** 2),
                            start))
        best.append(min(options))
    cuts, end = [], len(run)
    while end:
        start = best[end][1]
        cuts.append(run[start:end])
        end = start
    return cuts[::-1]


def _join(words: tuple[str, ...]) -> str:
    out = ""
    for word in words:
        glue = "" if out and _CJK.search(out[-1]) and _CJK.search(word[:1]) else " "
        out = f"{out}{glue}{word}" if out else word
    return out
