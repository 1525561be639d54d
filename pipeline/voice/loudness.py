"""Loudness normalization to -14 LUFS integrated, true peak at most -1 dBTP (48 kHz stereo).

ffmpeg's ``loudnorm`` in linear mode applies one gain to the whole file, which keeps speech
natural, but it only can when ``measured true peak + gain <= target peak``. Synthetic speech
has a high peak-to-loudness ratio (espeak-ng: ~19 dB, while -14 LUFS at -1 dBTP allows 13), so
loudnorm would silently fall back to its dynamic mode and miss the target by ~2 LU. A
look-ahead limiter applied after a first gain stage tames the rare peaks first; then the two
classic loudnorm passes (measure, apply linearly) land within a few tenths of the target.

The result is measured again with the ``ebur128`` filter (an independent meter) and returned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError
from ..tools import ffmpeg_exe, run_tool

TARGET_LUFS = -14.0
TARGET_TP = -1.0
TOLERANCE_LU = 1.0
SAMPLE_RATE = 48000
# The limiter's ceiling (sample peak) leaves room for inter-sample peaks under TARGET_TP.
_LIMIT_DBFS = -2.5
# loudnorm aims a little under the delivery limit: meters differ by a tenth or two of a dB.
_LOUDNORM_TP = -1.5
# Speech with pauses has a small loudness range; a wide LRA target keeps loudnorm linear.
_LRA = 20.0
# Narration is delivered as stereo (the voice on both channels), so -14 LUFS holds as played.
_UPMIX = "pan=stereo|c0=c0|c1=c0"


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP


def normalize(source: Path, target: Path, *, samples: int) -> Loudness:
    """Write mono ``source`` to ``target`` (WAV, 48 kHz stereo, exactly ``samples`` long),
    normalized; return the loudness measured on ``target``."""
    # Mono is measured as dual-mono: the same signal on both channels, as it is delivered.
    rough = integrated(source)
    if rough <= -70:
        raise ToolError("the narration is silent: the voice produced no audible speech")
    limit = 10 ** (_LIMIT_DBFS / 20)
    pre = (f"volume={TARGET_LUFS - rough:.3f}dB,"
           f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false:latency=true")
    stats = _loudnorm_stats(source, pre)
    apply = (
        f"{pre},loudnorm=I={TARGET_LUFS}:TP={_LOUDNORM_TP}:LRA={_LRA}:dual_mono=true:linear=true"
        f":measured_I={stats['input_i']}:measured_TP={stats['input_tp']}"
        f":measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}"
        f":offset={stats['target_offset']},{_UPMIX},"
        f"aresample={SAMPLE_RATE},apad=whole_len={samples},atrim=end_sample={samples}"
    )
    run_tool(
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i", str(source), "-af", apply,
         "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav", str(target)],
        what="normalizing narration loudness",
    )
    return measure(target)


def _loudnorm_stats(source: Path, chain: str) -> dict[str, float]:
    proc = run_tool(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(source), "-af",
         f"{chain},loudnorm=I={TARGET_LUFS}:TP={_LOUDNORM_TP}:LRA={_LRA}:dual_mono=true"
         ":print_format=json",
         "-f", "null", "-"],
        what="measuring narration loudness",
    )
    text = proc.stderr.decode("utf-8", "replace")
    start = text.rfind("{")
    try:
        stats = json.loads(text[start: text.rfind("}") + 1])
        return {key: float(stats[key]) for key in
                ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")}
    except (ValueError, KeyError):
        raise ToolError("measuring narration loudness: ffmpeg printed no loudnorm stats") from None


_SUMMARY_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf) LUFS", re.MULTILINE)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf) dBFS", re.MULTILINE)


def measure(path: Path) -> Loudness:
    """Integrated loudness and true peak of an audio file, by ffmpeg's EBU R128 meter."""
    summary = _ebur128(path, "peak=true")
    level, peak = _SUMMARY_I.search(summary), _SUMMARY_PEAK.search(summary)
    if not level or not peak:
        raise ToolError(f"measuring loudness of {path.name}: no EBU R128 summary from ffmpeg")
    return Loudness(float(level.group(1)), float(peak.group(1)))


def integrated(path: Path, *, seconds: float | None = None) -> float:
    """Integrated loudness only (no true-peak oversampling: much faster), mono as dual-mono;
    of the first ``seconds`` when given. -70 or below means silence."""
    level = _SUMMARY_I.search(_ebur128(path, "dualmono=true", seconds))
    if not level:
        raise ToolError(f"measuring loudness of {path.name}: no EBU R128 summary from ffmpeg")
    return float(level.group(1)) if level.group(1) != "-inf" else -120.0


def _ebur128(path: Path, options: str, seconds: float | None = None) -> str:
    limit = ["-t", f"{seconds:.3f}"] if seconds else []
    proc = run_tool(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *limit, "-i", str(path), "-map", "0:a:0",
         "-af", f"ebur128={options}:framelog=verbose", "-f", "null", "-"],
        what=f"measuring loudness of {path.name}",
    )
    text = proc.stderr.decode("utf-8", "replace")
    return text[text.rfind("Summary:"):] if "Summary:" in text else ""


def check(loudness: Loudness, what: str) -> None:
    """Raise unless the measured loudness meets the delivery target."""
    if (abs(loudness.integrated - TARGET_LUFS) > TOLERANCE_LU
            or loudness.true_peak > TARGET_TP):
        raise ToolError(
            f"{what}: loudness {loudness.integrated:.1f} LUFS / {loudness.true_peak:.1f} dBTP "
            f"misses the target ({TARGET_LUFS:g} ±{TOLERANCE_LU:g} LUFS, <= {TARGET_TP:g} dBTP)"
        )
