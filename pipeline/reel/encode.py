"""Encoding the reel: its distinct frames with their own timestamps (PyAV, libx264), its audio
(the ffmpeg CLI), then both muxed into an MP4 that appears only when complete.

Settings follow YouTube's recommended upload encoding where they apply: H.264 High, yuv420p
(BT.709, TV range, tagged), progressive, closed GOPs, AAC-LC 48 kHz stereo, MP4 with the index
(moov) first and no edit list. Two choices keep the file free of an edit list:

* no B-frames: with them the first frame is shown after a decoding delay, which MP4 expresses
  with an edit list (or with negative composition offsets, which not every player reads); for
  a reel that is still most of the time they save next to nothing;
* the AAC encoder's priming samples (1024, 21 ms) stay in the file, and the narration is
  started that many samples early to compensate, so the voice is heard exactly where the
  captions and the motion were timed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace
from PIL import Image

from ..config import ReelOptions
from ..errors import ToolError
from ..tools import ffmpeg_exe

ProgressCallback = Callable[[float], None]

FPS = 30
TIME_BASE = Fraction(1, FPS)
AUDIO_BITRATE = "160k"
SAMPLE_RATE = 48000
AAC_PRIMING = 1024  # samples the AAC encoder puts before the first real one
# At most this many encoded frames between keyframes; every slide also starts on one.
KEYFRAME_INTERVAL = 60


def video_codec_args(options: ReelOptions) -> list[str]:
    """The same encoder settings for the ffmpeg CLI (the benchmark's encoder floor)."""
    return [
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(KEYFRAME_INTERVAL), "-bf", "0",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
    ]


def audio_codec_args() -> list[str]:
    return ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", AUDIO_BITRATE,
            "-ar", str(SAMPLE_RATE), "-ac", "2"]


def container_args() -> list[str]:
    # The index (moov) before the media data: playback starts before the download ends.
    return ["-movflags", "+faststart", "-use_editlist", "0", "-f", "mp4"]


class VideoWriter:
    """H.264 frames into an MP4 (video only): ``write(image, frame_number)`` for each frame
    that differs from the one before; each is shown until the next one's number."""

    def __init__(self, path: Path, options: ReelOptions, size: tuple[int, int]) -> None:
        self._container = av.open(str(path), "w", format="mp4",
                                  options={"use_editlist": "0"})
        stream = self._container.add_stream("libx264", rate=FPS, options={
            "preset": options.preset, "crf": str(options.crf), "profile": "high",
            "x264-params": f"bframes=0:keyint={KEYFRAME_INTERVAL}:open-gop=0",
        })
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        context = stream.codec_context
        context.time_base = TIME_BASE
        context.colorspace = Colorspace.ITU709
        context.color_range = ColorRange.MPEG
        context.color_primaries = 1  # BT.709
        context.color_trc = 1
        self._stream = stream
        self.frames = 0

    def write(self, frame: av.VideoFrame, number: int, *, keyframe: bool = False) -> None:
        """Encode ``frame`` (a :meth:`Canvas.frame`) to be shown from frame ``number`` on."""
        frame.pts = number
        frame.time_base = TIME_BASE
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        with contextlib.suppress(av.FFmpegError, OSError):
            self._container.close()


def _to_yuv(image: Image.Image) -> np.ndarray:
    """RGB to BT.709 TV-range 4:2:0, as one array: Y rows, then U, then V (PyAV's layout)."""
    return av.VideoFrame.from_image(image).reformat(
        format="yuv420p", src_colorspace=Colorspace.ITU709, dst_colorspace=Colorspace.ITU709,
        src_color_range=ColorRange.JPEG, dst_color_range=ColorRange.MPEG, threads=1,
    ).to_ndarray()


class Canvas:
    """The picture being encoded, kept as 4:2:0: a change to part of it converts only that
    part (converting a whole 1080x1920 picture costs more than drawing a caption)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.width, self.height = size
        self._yuv = np.zeros((self.height * 3 // 2, self.width), np.uint8)

    def _planes(self, array: np.ndarray, width: int, height: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        flat = array.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        return (flat[:luma].reshape(height, width),
                flat[luma:luma + chroma].reshape(height // 2, width // 2),
                flat[luma + chroma:luma + 2 * chroma].reshape(height // 2, width // 2))

    def replace(self, image: Image.Image) -> None:
        self._yuv = _to_yuv(image)

    def update(self, region: Image.Image, left: int, top: int) -> None:
        """``region`` drawn at (``left``, ``top``): both even, its size even (4:2:0 blocks)."""
        width, height = region.size
        parts = self._planes(_to_yuv(region), width, height)
        for plane, part, scale in zip(self._planes(self._yuv, self.width, self.height), parts,
                                      (1, 2, 2), strict=True):
            y, x = top // scale, left // scale
            plane[y:y + part.shape[0], x:x + part.shape[1]] = part

    def frame(self) -> av.VideoFrame:
        """The picture as a new frame for :class:`VideoWriter` (a copy: the canvas moves on)."""
        frame = av.VideoFrame.from_ndarray(self._yuv, format="yuv420p")
        frame.colorspace = Colorspace.ITU709
        frame.color_range = ColorRange.MPEG
        return frame


def start_audio(args: list[str], graph: list[str], mapped: str, out: Path, seconds: float
                ) -> subprocess.Popen[bytes]:
    """Encode the soundtrack in the background (ffmpeg runs beside the Python frame loop).

    ``args``: inputs; ``graph``: filters ending in ``mapped`` (an input stream or a label).
    """
    chain = [*graph]
    label = mapped if mapped.startswith("[") else f"[{mapped}]"
    # Start AAC_PRIMING samples early (see the module's docstring), then fill to the end.
    samples = round(seconds * SAMPLE_RATE)
    chain.append(f"{label}aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,"
                 f"atrim=start_sample={AAC_PRIMING},apad=whole_len={samples - AAC_PRIMING},"
                 f"atrim=end_sample={samples - AAC_PRIMING}[soundtrack]")
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args,
               "-filter_complex", ";".join(chain), "-map", "[soundtrack]",
               # raw ADTS: no container to record the encoder delay in, so the mux copies
               # the packets from time 0 and writes no edit list for them
               *audio_codec_args(), "-f", "adts", str(out)]
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=tempfile.TemporaryFile())
    except OSError as exc:
        raise ToolError(f"encoding the reel's audio: cannot run ffmpeg: {exc.strerror}") from None


def finish_audio(proc: subprocess.Popen[bytes]) -> None:
    code = proc.wait()
    if code != 0:
        raise ToolError(f"encoding the reel's audio failed (exit {code}): {_errors(proc)}")


def _errors(proc: subprocess.Popen[bytes]) -> str:
    stream = proc.stderr
    if stream is None:
        return ""
    stream.seek(0)
    lines = stream.read().decode("utf-8", "replace").strip().splitlines()[-3:]
    stream.close()
    return " | ".join(lines)


def mux(video: Path, audio: Path, out: Path) -> None:
    """Video and audio as they are into ``out`` (moov first, no edit list), atomically."""
    run_ffmpeg(["-i", str(video), "-i", str(audio), "-map", "0:v", "-map", "1:a",
                "-c", "copy", *container_args()], out, what="writing the reel")


def run_ffmpeg(args: list[str], out: Path, *, what: str) -> None:
    """Run ``ffmpeg <args> <temp file>`` and move the result to ``out`` only if it succeeded."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args,
               str(partial)]
    try:
        try:
            done = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise ToolError(f"{what}: cannot run ffmpeg: {exc.strerror}") from None
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise ToolError(f"{what} failed (exit {done.returncode}): {' | '.join(tail)}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
