"""Mono 16-bit PCM clips in memory: read a backend's WAV, trim its silent edges, write WAVs.

Sentences are short (a few seconds at 22-24 kHz), so plain :mod:`array` arithmetic is fast
enough and keeps the voice stage free of numpy.
"""

from __future__ import annotations

import array
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError

# A sample this far below full scale counts as silence (-50 dBFS): espeak-ng's quiet breaths
# and dither stay below it, the onset of any voiced sound is well above.
_SILENCE = int(32767 * 10 ** (-50 / 20))
# Kept around the speech when trimming, so a soft consonant's tail is not clipped.
_GUARD_S = 0.015


@dataclass
class Clip:
    samples: array.array  # signed 16-bit, mono
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def read_clip(path: Path, rate: int | None = None) -> Clip:
    """Read a WAV as mono 16-bit; anything else (stereo, float, other rate, another format) is
    decoded and resampled by FFmpeg in-process (PyAV)."""
    try:
        with wave.open(str(path), "rb") as wav:
            simple = wav.getnchannels() == 1 and wav.getsampwidth() == 2
            if simple and rate in (None, wav.getframerate()):
                return Clip(_int16(wav.readframes(wav.getnframes())), wav.getframerate())
    except (wave.Error, EOFError):
        pass  # not plain PCM: let FFmpeg decode it
    except OSError as exc:
        raise ToolError(f"cannot read synthesized audio {path.name}: {exc.strerror}") from None
    from . import avfilter  # FFmpeg (~18 MB) only for what plain WAV reading cannot do

    target = rate or 24000
    what = f"decoding synthesized audio {path.name}"
    decoded = avfilter.run(
        avfilter.decoded(path, what),
        [("aresample", str(target)), ("aformat", "sample_fmts=s16:channel_layouts=mono")],
        what=what)
    return Clip(_int16(avfilter.pcm16(decoded.frames)), target)


def _int16(data: bytes) -> array.array:
    samples = array.array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    if sys.byteorder == "big":  # WAV and s16le are little-endian
        samples.byteswap()
    return samples


def trim_silence(clip: Clip) -> Clip:
    """Cut the leading and trailing silence, so a clip's span is exactly its speech."""
    return trimmed(clip)[0]


def trimmed(clip: Clip) -> tuple[Clip, float]:
    """The clip without its leading and trailing silence, and the seconds cut at its start."""
    edges = speech_edges(clip.samples)
    if edges is None:
        return Clip(array.array("h"), clip.rate), 0.0
    guard = int(_GUARD_S * clip.rate)
    first = max(0, edges[0] - guard)
    last = min(len(clip.samples), edges[1] + 1 + guard)
    return Clip(clip.samples[first:last], clip.rate), first / clip.rate


def silence(seconds: float, rate: int) -> array.array:
    return array.array("h", bytes(2 * round(seconds * rate)))


def speech_edges(samples: array.array) -> tuple[int, int] | None:
    """Indices of the first and last sample above the silence threshold (None: all silent)."""
    first = next((i for i, s in enumerate(samples) if abs(s) > _SILENCE), None)
    if first is None:
        return None
    last = next(i for i in range(len(samples) - 1, first - 1, -1) if abs(samples[i]) > _SILENCE)
    return first, last


def write_wav(path: Path, clip: Clip) -> None:
    samples = clip.samples
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.rate)
        wav.writeframes(samples.tobytes())
