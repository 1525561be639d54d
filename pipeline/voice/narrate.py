"""The voice stage: story sentences → one normalized narration WAV, its timing and captions."""

from __future__ import annotations

import array
import itertools
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypedDict, Unpack

from ..config import VoiceOptions
from ..errors import InputError
from ..structure import Cue, Narration, SlideKind, Story, Word
from .backends import (
    SpeechBackend,
    TimedSpeechBackend,
    concurrency,
    get_backend,
    release_voice,
)
from .captions import (
    MAX_CUE_S,
    estimate_words,
    make_cue,
    phrases,
    segment,
    settle,
    subrip,
    webvtt,
    write_text_atomically,
)
from .pcm import Clip, read_clip, silence, trimmed, write_wav
from .timeline import Plan, crossfade_frames, plan, sentences_to_drop
from .words import is_cjk, join_words

log = logging.getLogger("releasecast.voice")

# When the narration is too long, speak at most this much faster before dropping sentences:
# beyond ~20 % synthetic speech gets hard to follow.
MAX_RATE_BOOST = 1.2
_MAX_RATE = 400  # VoiceOptions.rate's upper bound
_PROTECTED = (SlideKind.TITLE, SlideKind.CLOSING)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


# Between the phrases of a sentence spoken one by one (engines without word timings).
PHRASE_GAP = 0.12
# A caption held into the silence after it leaves this much before the next one.
CUE_SPACING = 0.04


@dataclass
class _Sentence:
    slide: int
    text: str
    clip: Clip
    cues: list[list[Word]]  # the sentence's captions, words timed from the clip's start


class SpeechSettings(TypedDict, total=False):
    """The keyword arguments of :func:`speak` (and :func:`narrate`)."""

    crossfade: float
    min_duration: float
    max_duration: float
    language: str | None
    raw_out: Path | None
    keep_voice: bool


def narrate(story: Story, options: VoiceOptions, out_dir: Path,
            **settings: Unpack[SpeechSettings]) -> Narration:
    """Speak each slide's sentences and lay them out for the reel.

    Writes ``narration.<lang>.wav`` (48 kHz stereo, -14 LUFS, <= -1 dBTP),
    ``captions.<lang>.vtt`` and ``captions.<lang>.srt`` into ``out_dir``. The total lasts between
    ``min_duration`` and ``max_duration`` seconds: short narration gets longer pauses; long
    narration is spoken up to 20 % faster, then loses its lowest-priority sentences (see
    :func:`~pipeline.voice.timeline.sentences_to_drop`). ``raw_out`` keeps a copy of the
    speech as synthesized, laid out but not yet normalized (the bench scores it).
    ``keep_voice=False``: nothing else will speak with ``options`` soon, so what the voice keeps
    loaded (a Piper server, ~300 MB) is let go as soon as the last sentence is spoken.
    """
    return speak(story, options, out_dir, **settings).normalize()


class Speech:
    """A narration spoken, laid out and captioned, its loudness not normalized yet: the reel
    can draw and encode its pictures from the timing (:attr:`timing`) while
    :meth:`normalize` makes the audio it will mux (:func:`pipeline.reel.render_reel` does).
    """

    def __init__(self, timing: Narration, raw: Path) -> None:
        self.timing = timing  # its audio file is written by normalize()
        self._raw = raw
        self._normalized: Narration | None = None
        self._lock = threading.Lock()

    def normalize(self) -> Narration:
        """Write the normalized narration (once: a later call returns the same result)."""
        with self._lock:
            if self._normalized is None:
                self._normalized = self._normalize()
            return self._normalized

    def _normalize(self) -> Narration:
        # FFmpeg's libraries (PyAV, ~18 MB) are loaded only now: while the voice speaks, this
        # process shares the machine with the voice's own (a Piper server's ~300 MB).
        from . import loudness

        timing = self.timing
        partial = timing.audio.with_name(f".{timing.audio.name}.normalizing")
        try:
            samples = round(timing.duration * loudness.SAMPLE_RATE)
            measured = loudness.normalize(self._raw, partial, samples=samples)
            loudness.check(measured, "narration")
            os.replace(partial, timing.audio)
        finally:
            partial.unlink(missing_ok=True)
            self._raw.unlink(missing_ok=True)
        return replace(timing, loudness_lufs=measured.integrated,
                       true_peak_dbtp=measured.true_peak)


def speak(
    story: Story,
    options: VoiceOptions,
    out_dir: Path,
    *,
    crossfade: float = 0.5,
    min_duration: float = 15,
    max_duration: float = 60,
    language: str | None = None,
    raw_out: Path | None = None,
    keep_voice: bool = True,
) -> Speech:
    """:func:`narrate` up to its loudness pass (the defaults are narrate's): the captions are
    written, the audio is normalized by :meth:`Speech.normalize`."""
    if min_duration > max_duration:
        raise InputError(
            f"reel.min_duration ({min_duration:g} s) is above "
            f"reel.max_duration ({max_duration:g} s)"
        )
    language = language or story.language
    if not _LANGUAGE.fullmatch(language):  # it names the output files
        raise InputError(f"expected a language code like 'en' or 'pt-BR', got {language!r}")
    scripts = [[" ".join(text.split()) for text in slide.narration if text.strip()]
               for slide in story.slides]
    if not any(scripts):
        raise InputError("nothing to narrate: the story's slides have no narration sentences")
    language = _spoken_language(language, [text for texts in scripts for text in texts])
    protected = [slide.kind in _PROTECTED for slide in story.slides]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.TemporaryDirectory(prefix=".voice-", dir=out_dir)
    except OSError as exc:
        raise InputError(f"cannot write the narration into {out_dir}: {exc.strerror}") from None

    raw_path = out_dir / f".raw.{language}.wav"
    with scratch as tmp:
        work = Path(tmp)
        backend = get_backend(options, language)
        sentences = _synthesize(backend, scripts, language, work)
        laid = _plan(sentences, len(scripts), crossfade, 0.0)
        if laid.duration > max_duration:
            faster = _faster_rate(options.rate, sentences, laid.duration - max_duration)
            if faster > options.rate:
                backend = get_backend(options.model_copy(update={"rate": faster}), language)
                sentences = _synthesize(backend, scripts, language, work)
        if not keep_voice:
            release_voice(options)
        sentences = _shorten(sentences, protected, crossfade, max_duration)
        laid = _plan(sentences, len(scripts), crossfade, min_duration)

        raw, cues = _assemble(sentences, laid, crossfade)
        write_wav(work / "raw.wav", raw)
        if raw_out is not None:
            write_wav(raw_out, raw)
        vtt = out_dir / f"captions.{language}.vtt"
        srt = out_dir / f"captions.{language}.srt"
        write_text_atomically(vtt, webvtt(cues))
        write_text_atomically(srt, subrip(cues))
        os.replace(work / "raw.wav", raw_path)

    timing = Narration(audio=out_dir / f"narration.{language}.wav", duration=laid.duration,
                       cues=cues, slides=laid.slides, vtt=vtt, srt=srt, language=language)
    return Speech(timing, raw_path)


def _spoken_language(language: str, sentences: list[str]) -> str:
    """The language to speak: ``language``, unless the script is plainly written in a CJK
    language and ``language`` is not one (a writer that answered in the notes' language):
    a voice never reads a script in another language."""
    code = language.split("-")[0].lower()
    text = " ".join(sentences)
    if code in ("zh", "ja", "ko") or not is_cjk(text):
        return language
    from ..story.i18n import detect

    written = detect(text)
    log.warning("the narration is written in %r, not %r: spoken by a %r voice", written,
                language, written)
    return written


def _synthesize(
    backend: SpeechBackend, scripts: list[list[str]], language: str, work: Path
) -> list[_Sentence]:
    """Every sentence as a clip trimmed to its speech, with its captions' words timed;
    sentences that make no sound are left out."""
    jobs = [(index, number, text) for index, texts in enumerate(scripts)
            for number, text in enumerate(texts)]
    def speak(job: tuple[int, int, str], rate: int | None = None) -> _Sentence:
        """One sentence, its clips read at ``rate`` (None: the backend's own)."""
        index, number, text = job
        out = work / f"s{index:02d}-{number:02d}.wav"
        if isinstance(backend, TimedSpeechBackend):
            words = backend.synthesize_words(text, language, out)
            clip, cut = trimmed(read_clip(out, rate))
            words = [_within(w, cut, clip.duration) for w in words]
            if words and clip.samples:
                return _Sentence(index, text, clip, segment(words))
            return _by_phrase(index, text, [clip])
        parts, clips = [], []
        pending = phrases(text)
        for attempt in itertools.count():
            if not pending:
                break
            phrase = pending.pop(0)
            path = out.with_name(f"{out.stem}-{attempt}.wav")
            clip = trimmed(read_clip(backend.synthesize(phrase, language, path), rate))[0]
            # The guess from the text's length was wrong for this voice: cut by the real one.
            shorter = _phrases_of(phrase, clip.duration)
            if len(shorter) > 1:
                pending[:0] = shorter
                continue
            parts.append(phrase)
            clips.append(clip)
        return _by_phrase(index, join_words(parts), clips, parts)

    # All at once, the longest first (the last to finish is then a short one: no voice waits
    # long for the other); each clip at its own rate, then any clip at another rate than the
    # first's is spoken again at that one (a voice keeps one rate: this is for odd backends).
    longest_first = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][2]))
    with ThreadPoolExecutor(max_workers=concurrency(backend)) as pool:
        done = dict(zip(longest_first, pool.map(speak, [jobs[i] for i in longest_first]),
                        strict=True))
    spoken = [done[i] for i in range(len(jobs))]
    if spoken:
        rate = spoken[0].clip.rate
        spoken = [sentence if sentence.clip.rate == rate else speak(job, rate)
                  for sentence, job in zip(spoken, jobs, strict=True)]
    sentences = [sentence for sentence in spoken if sentence.clip.samples]
    if not sentences:
        raise InputError(f"the {backend.name} voice produced no audible speech")
    return sentences


def _within(word: Word, cut: float, duration: float) -> Word:
    """A word's times moved by the silence trimmed off the clip's start, kept inside it."""
    end = min(duration, max(0.0, word.end - cut))
    return Word(word.text, min(max(0.0, word.start - cut), end), end)


def _phrases_of(phrase: str, duration: float) -> list[str]:
    """The phrase cut into caption-sized parts at its measured speaking time."""
    if duration <= MAX_CUE_S:
        return [phrase]
    timed = estimate_words(phrase, 0.0, duration)
    return [join_words([w.text for w in part]) for part in segment(timed)]


def _by_phrase(slide: int, text: str, clips: list[Clip],
               parts: list[str] | None = None) -> _Sentence:
    """A sentence spoken phrase by phrase: each phrase's span is exact, its words estimated."""
    parts = parts or [text]
    rate = clips[0].rate
    audio = array.array("h")
    cues: list[list[Word]] = []
    for phrase, clip in zip(parts, clips, strict=True):
        if not clip.samples:
            continue
        if audio:
            audio += silence(PHRASE_GAP, rate)
        start = len(audio) / rate
        audio += clip.samples
        cues.append(estimate_words(phrase, start, len(audio) / rate))
    return _Sentence(slide, text, Clip(audio, rate), cues)


def _lengths(sentences: list[_Sentence], slides: int) -> list[list[float]]:
    lengths: list[list[float]] = [[] for _ in range(slides)]
    for sentence in sentences:
        lengths[sentence.slide].append(sentence.clip.duration)
    return lengths


def _plan(sentences: list[_Sentence], slides: int, crossfade: float, minimum: float) -> Plan:
    return plan(_lengths(sentences, slides), crossfade, minimum)


def _faster_rate(rate: int, sentences: list[_Sentence], excess: float) -> int:
    """A speaking rate that would remove ``excess`` seconds, at most MAX_RATE_BOOST faster."""
    speech = sum(sentence.clip.duration for sentence in sentences)
    remaining = speech - excess
    factor = MAX_RATE_BOOST if remaining <= 0 else min(MAX_RATE_BOOST, speech / remaining * 1.02)
    return min(_MAX_RATE, round(rate * factor))


def _shorten(
    sentences: list[_Sentence], protected: list[bool], crossfade: float, max_duration: float
) -> list[_Sentence]:
    drop = sentences_to_drop(_lengths(sentences, len(protected)), protected, crossfade,
                             max_duration)
    kept = []
    numbers = [0] * len(protected)
    for sentence in sentences:
        if (sentence.slide, numbers[sentence.slide]) not in drop:
            kept.append(sentence)
        numbers[sentence.slide] += 1
    return kept


def _assemble(sentences: list[_Sentence], laid: Plan, crossfade: float
              ) -> tuple[Clip, list[Cue]]:
    """Place each clip at its planned start; its captions are timed from its own words."""
    rate = sentences[0].clip.rate
    total = round(laid.duration * rate)
    audio = array.array("h", bytes(2 * total))
    cues: list[Cue] = []
    starts = iter([start for slide in laid.starts for start in slide])
    for number, (sentence, start) in enumerate(zip(sentences, starts, strict=True)):
        first = round(start * rate)
        samples = sentence.clip.samples[: total - first]
        audio[first: first + len(samples)] = samples
        offset = first / rate
        for words in sentence.cues:
            moved = [Word(w.text, round(offset + w.start, 3), round(offset + w.end, 3))
                     for w in words]
            cues.append(make_cue(moved, sentence.slide, number))
    fade = crossfade_frames(crossfade) / 30
    visible_to = [timing.end - (fade if i < len(laid.slides) - 1 else 0)
                  for i, timing in enumerate(laid.slides)]
    limits = [min(visible_to[cue.slide], (after.start - CUE_SPACING) if after else laid.duration)
              for cue, after in zip(cues, [*cues[1:], None], strict=True)]
    settle(cues, limits)
    return Clip(audio, rate), cues
