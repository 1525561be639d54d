"""Captions made for phones: cue segmentation, and the WebVTT and SubRip files.

Segmentation follows the usual subtitle guidelines: at most 2 lines of at most 42 characters
(CJK: 18), each cue 1-7 s and read at most ~20 characters per second, cut at phrase
boundaries (punctuation first, then before a conjunction) and timed from the audio's words.

The files are written by hand rather than with pysubs2: its writers pass cue text through
SubStation override parsing (text in ``{braces}`` disappears) and do not escape ``&``/``<`` for
WebVTT, both of which release notes contain.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..structure import Cue, Word
from .words import is_cjk, join_words, split_words

MAX_LINES = 2
MAX_LINE_CHARS = 42
MAX_LINE_CHARS_CJK = 18
MIN_CUE_S = 1.0
MAX_CUE_S = 7.0
MAX_CPS = 20.0
# Speech rate used to judge whether text fits a cue before it is spoken (~165 wpm).
SPOKEN_CPS = 15.0
SPOKEN_CPS_CJK = 6.0
_STRONG = tuple(".!?。！？")
_WEAK = tuple(",;:，、；：)")
# A phrase may start with one of these when there is no punctuation to cut at.
_JOINERS = frozenset({
    "and", "but", "or", "so", "because", "which", "that", "while", "with", "when", "then",
    "y", "pero", "o", "und", "aber", "oder", "mit", "et", "mais", "ou", "avec", "e", "mas",
})


def line_limit(text: str) -> int:
    return MAX_LINE_CHARS_CJK if is_cjk(text) else MAX_LINE_CHARS


def _cut_cost(left: list[str], right: list[str]) -> float:
    """How bad a cut between ``left`` and ``right`` is: punctuation is best, balance matters."""
    last, first = left[-1], right[0]
    if last.endswith(_STRONG):
        cost = 0.0
    elif last.endswith(_WEAK):
        cost = 1.0
    elif first.lower() in _JOINERS:
        cost = 2.0
    else:
        cost = 4.0
    a, b = len(join_words(left)), len(join_words(right))
    return cost + 2 * abs(a - b) / (a + b)


def break_lines(words: list[str], limit: int | None = None) -> list[str] | None:
    """The words on at most two lines of at most ``limit`` characters; None if they do not
    fit. A single word longer than a line stays whole (never cut inside a word)."""
    text = join_words(words)
    limit = limit or line_limit(text)
    if len(text) <= limit or len(words) == 1:
        return [text]
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(words)):
        top, bottom = join_words(words[:k]), join_words(words[k:])
        if len(top) > limit or len(bottom) > limit:
            continue
        cost = _cut_cost(words[:k], words[k:])
        if best is None or cost < best[0]:
            best = (cost, [top, bottom])
    return best[1] if best else None


def estimate_words(text: str, start: float, end: float) -> list[Word]:
    """Words spread over a span in proportion to their length: for engines that give no word
    timings, inside a phrase whose own span is exact."""
    words = split_words(text)
    total = sum(len(w) + 1 for w in words) or 1
    timed, at = [], start
    for word in words:
        length = (end - start) * (len(word) + 1) / total
        timed.append(Word(word, round(at, 3), round(at + length, 3)))
        at += length
    return timed


def _fits(words: list[Word]) -> bool:
    return (break_lines([w.text for w in words]) is not None
            and words[-1].end - words[0].start <= MAX_CUE_S)


def segment(words: list[Word]) -> list[list[Word]]:
    """Timed words cut into cues: each fits two lines and lasts at most 7 s, cut where the
    phrase allows (recursively at the cheapest cut)."""
    if len(words) <= 1 or _fits(words):
        return [words] if words else []
    texts = [w.text for w in words]
    k = min(range(1, len(words)), key=lambda i: _cut_cost(texts[:i], texts[i:]))
    return segment(words[:k]) + segment(words[k:])


def phrases(text: str) -> list[str]:
    """A sentence cut into caption-sized phrases before it is spoken (by its length at a
    typical speaking rate): engines without word timings speak each phrase on its own, so
    every caption's span is exact."""
    rate = SPOKEN_CPS_CJK if is_cjk(text) else SPOKEN_CPS
    guessed = estimate_words(text, 0.0, len(text) / rate)
    return [join_words([w.text for w in part]) for part in segment(guessed)]


def make_cue(words: list[Word], slide: int, sentence: int) -> Cue:
    texts = [w.text for w in words]
    lines = break_lines(texts) or [join_words(texts)]
    return Cue(words[0].start, words[-1].end, join_words(texts), slide,
               lines=lines if len(lines) > 1 else [], sentence=sentence, words=list(words))


def recut(cue: Cue) -> list[Cue]:
    """A sentence-long cue (a translation timed to the original sentence) cut into captions
    for phones, its words spread over its span."""
    parts = segment(estimate_words(cue.text, cue.start, cue.end))
    return [make_cue(part, cue.slide, cue.sentence) for part in parts] or [cue]


def settle(cues: list[Cue], limits: list[float]) -> None:
    """Hold each cue on screen long enough: at least 1 s and at most ~20 characters per
    second, extended into the silence after it, never past ``limits[i]`` (the next cue or the
    end of its slide's visible time)."""
    for cue, limit in zip(cues, limits, strict=True):
        wanted = max(MIN_CUE_S, len(cue.text) / MAX_CPS)
        if cue.end - cue.start < wanted:
            cue.end = round(max(cue.end, min(cue.start + wanted, limit)), 3)


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in both formats: each line's own breaks are removed.
    return " ".join(text.split())


def _lines(cue: Cue) -> list[str]:
    return [_one_line(line) for line in (cue.lines or [cue.text])]


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: & and < start entities and tags; escaping > also keeps "-->" out.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# SubRip has no escapes, and readers (ffmpeg, VLC) drop "<word>" as an unknown HTML tag: a zero
# width space after "<" keeps such text visible and reads the same.
_SRT_TAG_LIKE = re.compile(r"<(?=[A-Za-z/])")


def _srt_text(text: str) -> str:
    return _SRT_TAG_LIKE.sub("<\u200b", _one_line(text))


def webvtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        blocks.append(
            f"{number}\n{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n"
            + "\n".join(_vtt_escape(line) for line in _lines(cue))
        )
    return "\n\n".join(blocks) + "\n"


def subrip(cues: list[Cue]) -> str:
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n"
        + "\n".join(_srt_text(line) for line in _lines(cue))
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n\n".join(blocks) + "\n"


def write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    os.replace(partial, path)
