"""Encoder settings every reel shares (and the benchmark's encoder floor reuses), and running
ffmpeg with progress into a file that appears only when complete."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..config import ReelOptions
from ..errors import ToolError
from ..tools import ffmpeg_exe

ProgressCallback = Callable[[float], None]

AUDIO_BITRATE = "160k"
# A keyframe every 2 s: browsers and YouTube's player seek to it.
KEYFRAME_INTERVAL = 60


def video_codec_args(options: ReelOptions) -> list[str]:
    """H.264 High, yuv420p, BT.709 tags: what browsers, phones and YouTube all accept."""
    return [
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(KEYFRAME_INTERVAL),
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
    ]


def audio_codec_args() -> list[str]:
    return ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "48000", "-ac", "2"]


def container_args() -> list[str]:
    # The index (moov) before the media data: playback starts before the download ends.
    return ["-movflags", "+faststart", "-f", "mp4"]


def run_ffmpeg(args: list[str], out: Path, *, what: str, duration: float,
               progress: ProgressCallback | None = None) -> None:
    """Run ``ffmpeg <args> <temp file>`` and move the result to ``out`` only if it succeeded."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
               "-progress", "pipe:1", "-nostats", *args, str(partial)]
    try:
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(
                    command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL
                )
            except OSError as exc:
                raise ToolError(f"{what}: cannot run ffmpeg: {exc.strerror}") from None
            assert proc.stdout is not None
            for line in proc.stdout:
                if progress and line.startswith(b"out_time_us=") and duration > 0:
                    micros = line.split(b"=", 1)[1].strip()
                    if micros.isdigit():
                        progress(min(1.0, int(micros) / 1e6 / duration))
            code = proc.wait()
            if code != 0:
                errors.seek(0)
                tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise ToolError(f"{what} failed (exit {code}): {' | '.join(tail)}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    if progress:
        progress(1.0)
