"""The reel's soundtrack: the normalized narration as is, or mixed with looped background
music that a ``sidechaincompress`` keyed by the voice ducks whenever someone speaks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ReelOptions
from ..errors import InputError, ToolError
from ..voice import loudness
from .encode import SAMPLE_RATE


@dataclass
class Soundtrack:
    args: list[str] = field(default_factory=list)  # ffmpeg inputs
    graph: list[str] = field(default_factory=list)  # filters
    output: str = ""  # the stream or label the graph ends in


def soundtrack(narration: Path, options: ReelOptions, seconds: float) -> Soundtrack:
    music, gain_db = _music(options, seconds)
    track = Soundtrack(["-i", str(narration)])
    if music is None:
        track.output = "0:a"
        return track
    track.args += ["-stream_loop", "-1", "-i", str(music)]
    samples = round(seconds * SAMPLE_RATE)
    fade = min(1.5, seconds / 4)
    common = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    track.graph = [
        f"[0:a]{common},asplit=2[voice][key]",
        f"[1:a]{common},volume={gain_db:.2f}dB,atrim=end_sample={samples},"
        f"afade=t=out:st={seconds - fade:.3f}:d={fade:.3f}[bed]",
        # Ducks the bed ~15 dB within 20 ms of the voice starting, back up over ~0.4 s.
        "[bed][key]sidechaincompress=threshold=0.01:ratio=12:attack=20:release=400[ducked]",
        "[voice][ducked]amix=inputs=2:duration=first:normalize=0,"
        "alimiter=limit=0.84:level=false:latency=true[mixed]",
    ]
    track.output = "[mixed]"
    return track


def _music(options: ReelOptions, seconds: float) -> tuple[Path | None, float]:
    """The music file and the gain that puts it ``music_volume`` under the -14 LUFS voice."""
    if options.music is None or options.music_volume <= 0:
        return None, 0.0
    if not options.music.is_file():
        raise InputError(f"reel.music: file not found: {options.music}")
    try:
        level = loudness.integrated(options.music, seconds=seconds)
    except ToolError:
        raise InputError(f"reel.music: cannot read audio from {options.music}") from None
    if level <= -70:
        return None, 0.0  # silent music: nothing to mix
    return options.music, loudness.TARGET_LUFS - level + 20 * math.log10(options.music_volume)
