"""Dubbed reels: the same slides, the narration translated and spoken in another language.

For each configured language the sentences spoken in the original reel (its caption cues,
joined back into sentences) are translated with ``config.translator`` and narrated again by
that language's voice. The voice stage times every slide from its own sentences, so a slide
simply grows when its translation takes longer to say, and captions stay inside their slides.
Only when the dubbed narration would exceed ``reel.max_duration`` is the voice sped up, by at
most ``MAX_SPEEDUP``; past that the reel is allowed to run longer rather than hurry the voice or
drop sentences.

Besides the dubbed reel (``reel.<lang>.mp4`` with ``captions.<lang>.vtt/.srt`` timed to it), the
translated captions of the *original* reel are written as ``subtitles.<lang>.vtt/.srt``: a
subtitle track for the original video (e.g. a YouTube caption track).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Config, VoiceOptions
from .structure import Cue, Narration, Reel, Slide, SlideKind, Story
from .translate import Translator, get_translator
from .voice.captions import recut, subrip, webvtt, write_text_atomically
from .voice.narrate import Speech, speak
from .voice.words import join_words

log = logging.getLogger("releasecast.dub")

MAX_SPEEDUP = 1.15  # beyond this synthetic speech in a second language gets hard to follow
# Room the voice stage may use before it would speed up or drop sentences on its own: the
# dub's speed is decided here instead. 180 s is YouTube Shorts' longest.
DUB_MAX_DURATION = 180.0
_MAX_RATE = 400  # VoiceOptions.rate's upper bound


def keep_terms(story: Story, config: Config) -> list[str]:
    """Names a translator must not touch: the project's and the contributors'."""
    terms = [config.brand.name] if config.brand.name else []
    for slide in story.slides:
        if slide.kind in (SlideKind.TITLE, SlideKind.CLOSING) and " " in slide.heading:
            terms.append(slide.heading.rsplit(" ", 1)[0])  # "<project> <tag>"
        if slide.kind == SlideKind.CONTRIBUTORS:
            terms += [line.lstrip("@") for line in slide.lines]
    return [t for t in dict.fromkeys(terms) if t]


def voice_for(config: Config, language: str) -> VoiceOptions:
    """The voice for ``language``: a per-language entry when the config has one, else the main
    voice; espeak-ng then picks the language's own voice instead of the main one."""
    per_language = getattr(config, "voices", None) or {}
    if language in per_language:
        return per_language[language]
    if config.voice.backend == "espeak":
        return config.voice.model_copy(update={"voice": ""})
    return config.voice


def spoken_sentences(cues: list[Cue]) -> list[Cue]:
    """One cue per spoken sentence (a long sentence is captioned as several cues): its whole
    text and span. Sentences, not caption fragments, are what a translator should see."""
    sentences: list[Cue] = []
    for cue in cues:
        if sentences and sentences[-1].sentence == cue.sentence:
            last = sentences[-1]
            sentences[-1] = replace(last, end=cue.end, words=last.words + cue.words, lines=[],
                                    text=join_words([last.text, cue.text]))
        else:
            sentences.append(replace(cue, lines=[]))
    return sentences


def translate_cues(cues: list[Cue], translator: Translator, source: str, target: str,
                   keep: list[str]) -> list[Cue]:
    """The sentences spoken in ``cues``, translated: one cue per sentence, over its span."""
    sentences = spoken_sentences(cues)
    texts = translator.translate([cue.text for cue in sentences], source=source,
                                 target=target, keep=keep)
    return [replace(cue, text=text, words=[])
            for cue, text in zip(sentences, texts, strict=True)]


def dubbed_story(story: Story, cues: list[Cue], language: str) -> Story:
    """The story with each slide narrated by its translated sentences."""
    spoken: list[list[str]] = [[] for _ in story.slides]
    for cue in cues:
        spoken[cue.slide].append(cue.text)
    slides = [Slide(s.kind, s.heading, list(s.lines), spoken[i])
              for i, s in enumerate(story.slides)]
    return replace(story, slides=slides, language=language)


def dub_rate(rate: int, duration: float, max_duration: float) -> int:
    """The speaking rate that brings ``duration`` toward ``max_duration``, at most 1.15x."""
    if duration <= max_duration:
        return rate
    return min(_MAX_RATE, round(rate * min(MAX_SPEEDUP, duration / max_duration)))


def dub_speech(story: Story, translated: list[Cue], config: Config, language: str,
               out_dir: Path) -> Speech:
    """Speak the translated sentences; slides grow to fit, speed-up is capped (the audio is
    normalized by :meth:`Speech.normalize`, or by the reel as it starts)."""
    voice = voice_for(config, language)
    script = dubbed_story(story, translated, language)
    reel = config.reel

    def spoken(options: VoiceOptions) -> Speech:
        return speak(script, options, out_dir, crossfade=reel.crossfade,
                     min_duration=reel.min_duration, max_duration=DUB_MAX_DURATION,
                     language=language)

    speech = spoken(voice)
    duration = speech.timing.duration
    faster = dub_rate(voice.rate, duration, reel.max_duration)
    if faster != voice.rate:
        log.info("%s dub: %.1f s at rate %d; speaking at %d", language, duration,
                 voice.rate, faster)
        speech = spoken(voice.model_copy(update={"rate": faster}))
        duration = speech.timing.duration
    if duration > reel.max_duration:
        log.warning("the %s reel runs %.1f s, over reel.max_duration (%g s): its slides grew "
                    "to fit the translated narration", language, duration, reel.max_duration)
    return speech


def write_subtitles(cues: list[Cue], language: str, out_dir: Path) -> tuple[Path, Path]:
    """Translated captions timed to the original reel."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vtt, srt = out_dir / f"subtitles.{language}.vtt", out_dir / f"subtitles.{language}.srt"
    # each translated sentence is cut for phones again, over the span of the original one
    captions = [part for cue in cues for part in recut(cue)]
    write_text_atomically(vtt, webvtt(captions))
    write_text_atomically(srt, subrip(captions))
    return vtt, srt


@dataclass
class Dub:
    language: str
    reel: Reel
    narration: Narration  # the dubbed narration: its cues and slide timings match the reel
    subtitles: tuple[Path, Path]  # translated VTT and SRT timed to the original reel


def dub(story: Story, narration: Narration, slides: list[Path], config: Config, language: str,
        out_dir: Path, *, translator: Translator | None = None) -> Dub:
    """Everything dubbed for ``language``, written into ``out_dir`` (see :func:`dub_reel`)."""
    from .reel import render_reel

    translator = translator or get_translator(config)
    translator.check(narration.language, language)
    out_dir.mkdir(parents=True, exist_ok=True)
    translated = translate_cues(narration.cues, translator, narration.language, language,
                                keep_terms(story, config))
    subtitles = write_subtitles(translated, language, out_dir)
    speech = dub_speech(story, translated, config, language, out_dir)
    reel = render_reel(slides, speech, config.reel, out_dir / f"reel.{language}.mp4",
                       brand=config.brand)
    dubbed = speech.normalize()
    reel = replace(reel, language=language, captions_vtt=dubbed.vtt, captions_srt=dubbed.srt)
    return Dub(language, reel, dubbed, subtitles)


def dub_reel(story: Story, narration: Narration, slides: list[Path], config: Config,
             language: str, out_dir: Path, *, translator: Translator | None = None) -> Reel:
    """The reel in ``language``: ``slides`` (the original reel's images), translated captions
    and that language's voice, written to ``out_dir/reel.<language>.mp4``.

    ``narration`` is the original reel's narration: its cues are what gets translated, so a
    sentence the original reel dropped for time is not dubbed either.
    """
    return dub(story, narration, slides, config, language, out_dir, translator=translator).reel
