"""Finding and running external programs: git and espeak-ng for the pipeline; ffmpeg and
ffprobe only for the tests and the bench (the pipeline's media work is in-process, PyAV)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

from .errors import ToolError


@cache
def ffmpeg_exe() -> str:
    """ffmpeg from PATH, else the binary shipped by the imageio-ffmpeg wheel."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # any failure means "not available"
        raise ToolError(
            "ffmpeg not found: install it (scripts/install-system-deps.sh)"
            " or `pip install imageio-ffmpeg`"
        ) from None


@cache
def ffprobe_exe() -> str:
    found = shutil.which("ffprobe")
    if not found:
        raise ToolError("ffprobe not found: install ffmpeg (scripts/install-system-deps.sh)")
    return found


def run_tool(args: list[str], *, what: str, cwd: Path | None = None, input: bytes | None = None,
             timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a program; on failure raise ToolError with the last lines of its stderr."""
    try:
        proc = subprocess.run(  # nosec B603 - an argument list, never a shell string
            args, cwd=cwd, input=input, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise ToolError(f"{what}: program not found: {args[0]}") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what}: timed out after {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ToolError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return proc


def probe(path: Path) -> dict:
    """ffprobe's JSON description of a media file (format and streams)."""
    proc = run_tool(
        [ffprobe_exe(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         str(path)],
        what=f"ffprobe {path.name}",
    )
    return json.loads(proc.stdout)
