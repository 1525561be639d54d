"""Loudness normalization to -14 LUFS integrated, true peak at most -1 dBTP (48 kHz stereo).

One linear gain for the whole narration keeps speech natural, but it can only reach -14 LUFS
when ``true peak + gain <= target peak``. Synthetic speech has a high peak-to-loudness ratio
(espeak-ng: ~19 dB, while -14 LUFS at -1 dBTP allows 13), so a look-ahead limiter after a first
gain stage tames the rare peaks first. Three in-process passes through FFmpeg's filters (PyAV,
no ffmpeg program): the rough level (``ebur128``, no true peak: fast); gain and limiter while
metering integrated loudness and true peak (again, louder, when frequent peaks made the
limiter lower the speech itself); then the final linear gain, as ffmpeg's
``loudnorm`` in linear mode would compute it (``min(target I - I, target TP - TP)``), with the
stereo upmix and the exact length. A linear gain moves both figures by exactly that gain, so
the result's loudness is known without metering it again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError
from . import avfilter

TARGET_LUFS = -14.0
TARGET_TP = -1.0
TOLERANCE_LU = 1.0
SAMPLE_RATE = 48000
# The limiter's ceiling (sample peak) leaves room for inter-sample peaks under TARGET_TP.
_LIMIT_DBFS = -2.5
# The final gain aims a little under the delivery limit: meters differ by a tenth or two of a dB.
_FINAL_TP = -1.5
# Another limiter pass (louder into it) when the result would be this far under the target;
# speech with many sharp peaks needs two or three, a narration rarely more than one.
_CLOSE_LU = 0.5
_LIMIT_PASSES = 4
# Narration is delivered as stereo (the voice on both channels), so -14 LUFS holds as played.
_UPMIX = "stereo|c0=c0|c1=c0"
# At or below this, the meter heard nothing (its absolute gate is -70 LUFS).
SILENT_LUFS = -70.0


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP


def normalize(source: Path, target: Path, *, samples: int) -> Loudness:
    """Write mono ``source`` to ``target`` (WAV, 48 kHz stereo, exactly ``samples`` long),
    normalized; return its loudness (the meter's figures moved by the final linear gain)."""
    what = "normalizing narration loudness"
    # Mono is metered as dual-mono: the same signal on both channels, as it is delivered.
    speech = avfilter.run(
        avfilter.decoded(source, what),
        [("aformat", "channel_layouts=mono"), ("aresample", str(SAMPLE_RATE)),
         ("ebur128", "metadata=1:dualmono=true"), ("aformat", "sample_fmts=flt")],
        what=what)
    rough = _integrated(speech.metadata)
    if rough <= SILENT_LUFS:
        raise ToolError("the narration is silent: the voice produced no audible speech")
    limit = 10 ** (_LIMIT_DBFS / 20)
    boost = TARGET_LUFS - rough
    for _attempt in range(_LIMIT_PASSES):
        limited = avfilter.run(
            speech.frames,
            [("volume", f"{boost:.3f}dB"),
             ("alimiter", f"limit={limit:.5f}:attack=5:release=50:level=false:latency=true"),
             ("ebur128", "metadata=1:dualmono=true:peak=true"), ("aformat", "sample_fmts=flt")],
            what=what)
        level, peak = _integrated(limited.metadata), _true_peak(limited.metadata)
        gain = min(TARGET_LUFS - level, _FINAL_TP - peak)
        short = TARGET_LUFS - (level + gain)
        if short <= _CLOSE_LU:
            break
        # Frequent peaks: the limiter's gain reduction lowered the speech itself; push harder.
        boost += short
    final = avfilter.run(
        limited.frames,
        [("volume", f"{gain:.3f}dB"), ("pan", _UPMIX),
         ("apad", f"whole_len={samples}"), ("atrim", f"end_sample={samples}"),
         ("aformat", "sample_fmts=s16:channel_layouts=stereo")],
        what=what)
    partial = target.with_name(f".{target.name}.part")
    try:
        avfilter.write_wav(partial, final.frames)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ToolError(f"{what}: cannot write {target.name}: {exc.strerror}") from None
    return Loudness(round(level + gain, 1), round(peak + gain, 1))


def measure(path: Path) -> Loudness:
    """Integrated loudness and true peak of an audio file, by FFmpeg's EBU R128 meter."""
    what = f"measuring loudness of {path.name}"
    metered = avfilter.run(avfilter.decoded(path, what), [("ebur128", "metadata=1:peak=true")],
                           what=what, keep=False)
    return Loudness(round(_integrated(metered.metadata), 1),
                    round(_true_peak(metered.metadata), 1))


def integrated(path: Path, *, seconds: float | None = None) -> float:
    """Integrated loudness only (no true-peak oversampling: much faster), mono as dual-mono;
    of the first ``seconds`` when given. -70 or below means silence."""
    what = f"measuring loudness of {path.name}"
    metered = avfilter.run(avfilter.decoded(path, what),
                           [("ebur128", "metadata=1:dualmono=true")],
                           what=what, keep=False, seconds=seconds)
    return _integrated(metered.metadata)


def _integrated(metadata: dict[str, str]) -> float:
    try:
        level = float(metadata["lavfi.r128.I"])
    except (KeyError, ValueError):
        raise ToolError("measuring loudness: the EBU R128 meter reported nothing") from None
    return level if math.isfinite(level) else -120.0


def _true_peak(metadata: dict[str, str]) -> float:
    """The true peak over the whole input (the meter reports its running maximum), in dBTP."""
    try:
        peak = float(metadata["lavfi.r128.true_peak"])
    except (KeyError, ValueError):
        raise ToolError("measuring loudness: the EBU R128 meter reported no true peak") from None
    return 20 * math.log10(peak) if peak > 0 else -120.0


def check(loudness: Loudness, what: str) -> None:
    """Raise unless the measured loudness meets the delivery target."""
    if (abs(loudness.integrated - TARGET_LUFS) > TOLERANCE_LU
            or loudness.true_peak > TARGET_TP):
        raise ToolError(
            f"{what}: loudness {loudness.integrated:.1f} LUFS / {loudness.true_peak:.1f} dBTP "
            f"misses the target ({TARGET_LUFS:g} ±{TOLERANCE_LU:g} LUFS, <= {TARGET_TP:g} dBTP)"
        )
