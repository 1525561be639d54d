"""Reading audio back for tests: samples decoded by the real ffmpeg, and their level."""

from __future__ import annotations

import array
import math
import subprocess
from pathlib import Path

RATE = 48000


def decode_mono(path: Path) -> array.array:
    """The first audio stream as 48 kHz mono 16-bit samples, decoded by ffmpeg."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE),
         "-f", "s16le", "-"], capture_output=True, check=True).stdout
    samples = array.array("h")
    samples.frombytes(raw)
    return samples


def rms_db(samples: array.array, start: float, end: float) -> float:
    """The level between two times, in dB below full scale (-120 for digital silence)."""
    window = samples[int(start * RATE):int(end * RATE)]
    power = sum(s * s for s in window) / max(1, len(window))
    return 10 * math.log10(power / 32768**2) if power else -120.0


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak, read from the ffmpeg program's own EBU R128 summary
    (a meter outside the process that made the file)."""
    import re

    text = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-af",
         "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=True).stderr
    summary = text[text.rindex("Summary:"):]
    level = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    assert level and peak, summary
    return float(level.group(1)), float(peak.group(1))
