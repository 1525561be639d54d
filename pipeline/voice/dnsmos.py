"""DNSMOS: Microsoft's non-intrusive speech quality model, for the bench and the voice tests.

It predicts how people rate speech (1-5): OVRL (overall), SIG, BAK and P.808. It was trained
for noise suppression, so it compares voices on the same text rather than scoring naturalness
absolutely. The ``speechmos`` wheel (dev extra) ships the ONNX files; audio is decoded by
FFmpeg (in-process, PyAV) to 16 kHz mono and peak-normalized first, as in
``../shared/MEASUREMENTS.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError
from . import avfilter

RATE = 16000


@dataclass(frozen=True)
class Scores:
    ovrl: float
    sig: float
    bak: float
    p808: float


def score(path: Path) -> Scores:
    """DNSMOS of the first audio stream of ``path`` (WAV, MP4...)."""
    # onnxruntime 1.29+ on Linux starts a telemetry thread that looks up a Microsoft host
    # unless told not to: releasecast works offline and sends nothing.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        import numpy as np
        from speechmos import dnsmos
    except ImportError:
        raise ToolError("DNSMOS needs the dev extra: pip install 'releasecast[dev]'") from None
    audio = avfilter.mono_float(path, RATE, f"decoding {path.name}").astype(np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0:
        raise ToolError(f"{path.name} is silent: nothing to score")
    result = dnsmos.run(audio / peak, RATE)
    return Scores(float(result["ovrl_mos"]), float(result["sig_mos"]),
                  float(result["bak_mos"]), float(result["p808_mos"]))
