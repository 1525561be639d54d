"""Bring your own narration: a recorded voice-over becomes the reel's narration.

openai-whisper (the optional ``whisper`` extra) transcribes the recording into timed segments;
they become the reel's caption cues, are shared out over the story's slides (in proportion to
how much the story says on each slide, each boundary moved into the nearest pause), and are
translated for dubbed reels like any narration. The audio is normalized the same way as
synthesized narration (-14 LUFS, 48 kHz stereo).

``model`` is a Whisper model name (``base``, ``small``... downloaded by whisper into its cache
on first use) or the path of a checkpoint file, which works offline.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ConfigError, InputError
from ..structure import Cue, Narration, SlideTiming, Story
from . import avfilter, loudness
from .captions import recut, subrip, webvtt, write_text_atomically
from .pcm import read_clip, write_wav
from .timeline import FPS, crossfade_frames, to_frames

DEFAULT_MODEL = "base"
MIN_SLIDE = 1.5  # seconds a slide is shown at least, crossfades included
# A boundary may move this far (as a share of the reel) toward a pause in the speech.
SNAP_WINDOW = 0.08


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


def load_whisper(model: str):
    try:
        import whisper
    except ImportError:
        raise ConfigError(
            "transcribing a recorded narration needs openai-whisper: "
            "pip install 'releasecast[whisper]' (or scripts/install-whisper.sh)"
        ) from None
    if (os.sep in model or model.endswith((".pt", ".pth"))) and not Path(model).is_file():
        raise InputError(f"whisper model not found: {model}")
    try:
        return whisper.load_model(model, device="cpu")
    except RuntimeError as exc:  # unknown name or an unreadable checkpoint
        raise InputError(f"cannot load whisper model {model!r}: {str(exc).splitlines()[0]}") \
            from None


# Whisper's models hear 16 kHz mono.
WHISPER_RATE = 16000
# whisper's own schedule: greedy first, sampling at rising temperatures when a window's
# decoding looks like a loop or a hallucination
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def transcribe(recording: Path, *, model: str = DEFAULT_MODEL, language: str | None = None,
               temperature: float | tuple[float, ...] = TEMPERATURES,
               ) -> tuple[list[Segment], str]:
    """Timed segments of speech in ``recording``, and the language spoken."""
    if not recording.is_file():
        raise InputError(f"narration recording not found: {recording}")
    whisper_model = load_whisper(model)
    # Decoded here (PyAV), not by Whisper, which would run the ffmpeg program for it.
    audio = avfilter.mono_float(recording, WHISPER_RATE, f"decoding {recording.name}")
    result = whisper_model.transcribe(
        audio, language=language, fp16=False, verbose=None, temperature=temperature,
        condition_on_previous_text=False,  # a hallucination must not feed the next window
    )
    segments = [Segment(float(s["start"]), float(s["end"]), " ".join(s["text"].split()))
                for s in result.get("segments", [])]
    return [s for s in segments if s.text and s.end > s.start], result.get("language") or "en"


def _weights(story: Story) -> list[float]:
    """How much of the reel each slide deserves: the words the story narrates on it."""
    words = [sum(len(sentence.split()) for sentence in slide.narration) for slide in story.slides]
    return [max(1, w) for w in words]


def slide_bounds(segments: list[Segment], weights: list[float], duration: float,
                 crossfade: float) -> list[int]:
    """Frame where each crossfade into the next slide begins: at the story's proportions,
    moved into the nearest pause between segments, every slide at least MIN_SLIDE long."""
    fade = crossfade_frames(crossfade)
    total = to_frames(duration)
    minimum = max(to_frames(MIN_SLIDE), 2 * fade + 1)
    if len(weights) * minimum > total:
        raise InputError(f"the recording ({duration:.1f} s) is too short for "
                         f"{len(weights)} slides")
    pauses = [(a.end + b.start) / 2 for a, b in itertools.pairwise(segments)]
    bounds: list[int] = []
    share = 0.0
    for index, weight in enumerate(weights[:-1]):
        share += weight / sum(weights)
        wanted = share * duration
        near = [p for p in pauses if abs(p - wanted) <= SNAP_WINDOW * duration]
        at = min(near, key=lambda p: abs(p - wanted)) if near else wanted
        frame = to_frames(at) - fade // 2  # the crossfade is centred on the pause
        low = (bounds[-1] if bounds else 0) + minimum - (fade if bounds else 0)
        high = total - (len(weights) - 1 - index) * minimum - fade
        bounds.append(min(max(frame, low), high))
    return bounds


def timed_cues(segments: list[Segment], bounds: list[int], total: int,
               crossfade: float) -> tuple[list[SlideTiming], list[Cue]]:
    """Slide timings and one cue per segment, each kept inside its slide's visible time."""
    fade = crossfade_frames(crossfade)
    starts = [0, *bounds]
    ends = [b + fade for b in bounds] + [total]
    slides = [SlideTiming(s / FPS, e / FPS) for s, e in zip(starts, ends, strict=True)]
    cues = []
    for segment in segments:
        middle = (segment.start + segment.end) / 2
        index = sum(1 for b in bounds if to_frames(middle) >= b + fade / 2)
        visible_from = (starts[index] + (fade if index else 0)) / FPS
        visible_to = (ends[index] - (fade if index < len(bounds) else 0)) / FPS
        start, end = max(segment.start, visible_from), min(segment.end, visible_to)
        if end - start >= 0.1:
            cues.append(Cue(round(start, 3), round(end, 3), segment.text, index))
    return slides, cues


def narration_from_recording(recording: Path, story: Story, out_dir: Path, *,
                             crossfade: float = 0.5, model: str = DEFAULT_MODEL,
                             language: str | None = None,
                             temperature: float | tuple[float, ...] = TEMPERATURES) -> Narration:
    """The reel's narration from a recorded voice-over (see the module's description)."""
    segments, spoken = transcribe(recording, model=model, language=language,
                                  temperature=temperature)
    if not segments:
        raise InputError(f"no speech found in {recording.name}")
    language = language or spoken
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".recording-", dir=out_dir) as tmp:
        mono = Path(tmp) / "mono.wav"
        write_wav(mono, read_clip(recording, loudness.SAMPLE_RATE))
        seconds = _wav_seconds(mono)
        total = math.ceil(seconds * FPS - 1e-6)
        duration = total / FPS
        bounds = slide_bounds(segments, _weights(story), duration, crossfade)
        slides, cues = timed_cues(segments, bounds, total, crossfade)
        # a Whisper segment can run for many seconds: cut it for phones over its own span
        cues = [part for number, cue in enumerate(cues)
                for part in recut(replace(cue, sentence=number))]
        normalized = Path(tmp) / "narration.wav"
        measured = loudness.normalize(mono, normalized,
                                      samples=round(duration * loudness.SAMPLE_RATE))
        audio = out_dir / f"narration.{language}.wav"
        vtt, srt = out_dir / f"captions.{language}.vtt", out_dir / f"captions.{language}.srt"
        write_text_atomically(vtt, webvtt(cues))
        write_text_atomically(srt, subrip(cues))
        os.replace(normalized, audio)
    return Narration(audio=audio, duration=duration, cues=cues, slides=slides, vtt=vtt,
                     srt=srt, language=language, loudness_lufs=measured.integrated,
                     true_peak_dbtp=measured.true_peak)


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()
