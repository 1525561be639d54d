"""Encoding the reel: its distinct frames with their own timestamps (libx264) and its
soundtrack (AAC), muxed into one MP4 as they are encoded, all in this process (PyAV's FFmpeg;
no ffmpeg program), under a temporary name that becomes the reel only once complete.

Settings follow YouTube's recommended upload encoding where they apply: H.264 High, yuv420p
(BT.709, TV range, tagged), progressive, closed GOPs, AAC-LC 48 kHz stereo, MP4 with the index
(moov) first and no edit list. Two choices keep the file free of an edit list:

* no B-frames: with them the first frame is shown after a decoding delay, which MP4 expresses
  with an edit list (or with negative composition offsets, which not every player reads); for
  a reel that is still most of the time they save next to nothing;
* the AAC encoder's priming samples (1024, 21 ms) stay in the file (its packets are timed from
  0, not from -1024), and the soundtrack is started that many samples early to compensate
  (:mod:`.audio`), so the voice is heard exactly where the captions and the motion were timed.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.video.reformatter import ColorRange, Colorspace
from PIL import Image

from ..config import ReelOptions
from ..errors import ToolError

ProgressCallback = Callable[[float], None]

FPS = 30
TIME_BASE = Fraction(1, FPS)
AUDIO_BITRATE = 160_000
SAMPLE_RATE = 48000
AAC_FRAME = 1024  # samples per AAC frame
AAC_PRIMING = 1024  # samples the AAC encoder puts before the first real one
# At most this many encoded frames between keyframes; every slide also starts on one.
KEYFRAME_INTERVAL = 60
X264_PARAMS = f"bframes=0:keyint={KEYFRAME_INTERVAL}:open-gop=0"
# The default preset, tuned for a picture that is still but for a part moving a few pixels or a
# crossfade: full-pixel motion search (subme=0) and no weighted prediction for fades (weightp=0)
# take ~20 % off x264's CPU for the demo reel, with the same SSIM against a CFR `medium` encode
# and a file no larger (bench/). Not with `zoom`: there everything moves, and full-pixel motion
# search made the file 23 % larger (10.2 MB against 8.3). Other presets are as x264 has them.
_STILL_PARAMS = {"superfast": "subme=0:weightp=0"}
# FFmpeg's "fast" AAC coder: a third of the default "twoloop"'s CPU (0.5 s against 1.4 s
# for a 40 s reel); at 160 kb/s narration and music sound the same.
AAC_OPTIONS = {"profile": "aac_low", "aac_coder": "fast"}
CONTAINER_OPTIONS = {"movflags": "+faststart", "use_editlist": "0"}
# How far the soundtrack is muxed ahead of the pictures written so far.
_AUDIO_LEAD = 1.0


def x264_params(options: ReelOptions) -> str:
    """The x264 options of the reel (and of the benchmark's floor) for ``options``."""
    extra = None if options.zoom else _STILL_PARAMS.get(options.preset)
    return f"{X264_PARAMS}:{extra}" if extra else X264_PARAMS


def video_codec_args(options: ReelOptions) -> list[str]:
    """The same encoder settings for the ffmpeg CLI (the benchmark's encoder floor)."""
    return [
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-x264-params", x264_params(options),
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
    ]


def audio_codec_args() -> list[str]:
    return ["-c:a", "aac", "-profile:a", AAC_OPTIONS["profile"], "-aac_coder",
            AAC_OPTIONS["aac_coder"], "-b:a", str(AUDIO_BITRATE), "-ar", str(SAMPLE_RATE),
            "-ac", "2"]


def container_args() -> list[str]:
    return [arg for name, value in CONTAINER_OPTIONS.items() for arg in (f"-{name}", value)
            ] + ["-f", "mp4"]


class ReelWriter:
    """The reel's MP4: ``write(frame, number)`` for each picture that differs from the one
    before (each is shown until the next one's number); a helper thread encodes the
    soundtrack from the start (it needs no picture), and the frame loop muxes its packets
    beside the pictures; ``close()`` finishes the file and moves it to ``out``."""

    def __init__(self, out: Path, options: ReelOptions, size: tuple[int, int],
                 soundtrack: Iterator[AudioFrame]) -> None:
        self._out = out
        self._partial = out.with_name(f".{out.name}.partial")
        self._helper: threading.Thread | None = None
        try:
            self._container = av.open(str(self._partial), "w", format="mp4",
                                      options=CONTAINER_OPTIONS)
        except (av.FFmpegError, OSError) as exc:
            raise ToolError(f"writing the reel: {exc}") from None
        try:
            self._video = self._add_video(options, size)
            self._audio = self._container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo",
                                                     options=dict(AAC_OPTIONS))
            self._audio.codec_context.bit_rate = AUDIO_BITRATE
            self._container.start_encoding()  # both encoders open before two threads use them
        except BaseException:
            self.abort()
            raise
        self.frames = 0
        # Encoded audio waiting to be muxed (a 60 s soundtrack is ~1.2 MB): the helper only
        # appends, the frame loop only takes from the left, which a deque allows unlocked.
        self._packets: collections.deque[tuple[float, av.Packet]] = collections.deque()
        self._stop = False
        self._failed: BaseException | None = None
        self._helper = threading.Thread(target=self._encode_audio, args=(soundtrack,),
                                        name="reel-audio", daemon=True)
        self._helper.start()

    def _add_video(self, options: ReelOptions, size: tuple[int, int]) -> av.VideoStream:
        stream = self._container.add_stream("libx264", rate=FPS, options={
            "preset": options.preset, "crf": str(options.crf), "profile": "high",
            "x264-params": x264_params(options),
        })
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        context = stream.codec_context
        context.time_base = TIME_BASE
        # x264's frame threads, as the ffmpeg program uses (PyAV asks for slice threads, which
        # split each frame and wait for it): ~5 % less time, same pictures, a few frames of
        # latency that the final flush takes back.
        context.thread_type = "FRAME"
        context.colorspace = Colorspace.ITU709
        context.color_range = ColorRange.MPEG
        context.color_primaries = 1  # BT.709
        context.color_trc = 1
        return stream

    def write(self, frame: av.VideoFrame, number: int, *, keyframe: bool = False) -> None:
        """Encode ``frame`` (a :meth:`Canvas.frame`) to be shown from frame ``number`` on."""
        if self._failed is not None:
            raise self._failed
        frame.pts = number
        frame.time_base = TIME_BASE
        # set either way: a reused frame keeps what it was given last time
        frame.pict_type = (av.video.frame.PictureType.I if keyframe
                           else av.video.frame.PictureType.NONE)
        for packet in self._video.encode(frame):
            self._container.mux(packet)
        self._mux_audio(until=number / FPS + _AUDIO_LEAD)
        self.frames += 1

    def close(self) -> None:
        for packet in self._video.encode(None):
            self._container.mux(packet)
        if self._helper is not None:
            self._helper.join()
        if self._failed is not None:
            raise self._failed
        self._mux_audio(until=float("inf"))
        try:
            self._container.close()
            os.replace(self._partial, self._out)
        except (av.FFmpegError, OSError) as exc:
            raise ToolError(f"writing the reel: {exc}") from None
        finally:
            self._partial.unlink(missing_ok=True)

    def abort(self) -> None:
        self._stop = True
        if self._helper is not None:
            self._helper.join()
        with contextlib.suppress(av.FFmpegError, OSError):
            self._container.close()
        self._partial.unlink(missing_ok=True)

    def _mux_audio(self, *, until: float) -> None:
        """The soundtrack's packets up to ``until`` seconds, interleaved with the pictures
        (a player reading the file front to back needs little of either buffered)."""
        packets = self._packets
        while packets and packets[0][0] <= until:
            self._container.mux(packets.popleft()[1])

    def _encode_audio(self, soundtrack: Iterator[AudioFrame]) -> None:
        samples = 0
        try:
            for frame in itertools.chain(soundtrack, [None]):
                if self._stop:
                    return
                if frame is not None:
                    frame.pts, frame.time_base = samples, Fraction(1, SAMPLE_RATE)
                    samples += frame.samples
                for packet in self._audio.encode(frame):
                    # timed from 0: the priming samples are part of the soundtrack
                    packet.pts = packet.dts = (packet.pts or 0) + AAC_PRIMING
                    self._packets.append((packet.pts / SAMPLE_RATE, packet))
        except BaseException as exc:  # raised by the frame loop at its next write, or close
            self._failed = exc if isinstance(exc, ToolError) else ToolError(
                f"encoding the reel's audio failed: {exc}")
        finally:
            close = getattr(soundtrack, "close", None)
            if close is not None:
                close()


def to_yuv(image: Image.Image) -> np.ndarray:
    """RGB to BT.709 TV-range 4:2:0, as one array: Y rows, then U, then V (PyAV's layout)."""
    return av.VideoFrame.from_image(image).reformat(
        format="yuv420p", src_colorspace=Colorspace.ITU709, dst_colorspace=Colorspace.ITU709,
        src_color_range=ColorRange.JPEG, dst_color_range=ColorRange.MPEG, threads=1,
    ).to_ndarray()


class Canvas:
    """The picture being encoded, kept as 4:2:0: a change to part of it converts only that
    part (converting a whole 1080x1920 picture costs more than drawing a caption).

    Its frames are reused: a frame handed back with :meth:`recycle` once encoded (the encoder
    copies what it is given) is filled again, which costs a fifth of a new one (1.3 ms, most
    of it the kernel handing out and clearing 3 MB of fresh pages)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.width, self.height = size
        self._yuv = np.zeros((self.height * 3 // 2, self.width), np.uint8)
        self._free: queue.SimpleQueue[av.VideoFrame] = queue.SimpleQueue()

    def _planes(self, array: np.ndarray, width: int, height: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        flat = array.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        return (flat[:luma].reshape(height, width),
                flat[luma:luma + chroma].reshape(height // 2, width // 2),
                flat[luma + chroma:luma + 2 * chroma].reshape(height // 2, width // 2))

    def replace(self, image: Image.Image) -> None:
        self._yuv = to_yuv(image)

    def place(self, yuv: np.ndarray) -> None:
        """A picture already converted (:func:`to_yuv`), kept as it is by the caller."""
        self._yuv = yuv.copy()

    def blend(self, a: np.ndarray, b: np.ndarray, amount: float) -> None:
        """``a`` and ``b`` (:func:`to_yuv` pictures) mixed, ``amount`` of ``b``: the planes
        as one grey image for Pillow's blend (C, without the GIL), no copy in."""
        size = (self.width, self.height * 3 // 2)
        first, second = (Image.frombuffer("L", size, plane, "raw", "L", 0, 1) for plane in (a, b))
        mixed = Image.blend(first, second, amount)
        self._yuv = np.asarray(mixed).copy()

    def update(self, region: Image.Image, left: int, top: int) -> None:
        """``region`` drawn at (``left``, ``top``): both even, its size even (4:2:0 blocks)."""
        width, height = region.size
        parts = self._planes(to_yuv(region), width, height)
        for plane, part, scale in zip(self._planes(self._yuv, self.width, self.height), parts,
                                      (1, 2, 2), strict=True):
            y, x = top // scale, left // scale
            plane[y:y + part.shape[0], x:x + part.shape[1]] = part

    def frame(self) -> av.VideoFrame:
        """The picture as a frame for :class:`ReelWriter` (a copy: the canvas moves on)."""
        try:
            frame = self._free.get_nowait()
            frame.make_writable()  # copies first, should anything else still hold its data
        except queue.Empty:
            frame = av.VideoFrame(self.width, self.height, "yuv420p")
            frame.colorspace = Colorspace.ITU709
            frame.color_range = ColorRange.MPEG
        for plane, part in zip(frame.planes, self._planes(self._yuv, self.width, self.height),
                               strict=True):
            rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
            rows[:, :plane.width] = part
        return frame

    def recycle(self, frame: av.VideoFrame) -> None:
        """``frame`` (from :meth:`frame`) is encoded and no longer needed: fill it next."""
        self._free.put(frame)

    def close(self) -> None:
        """Let go of the frames kept for reuse."""
        while not self._free.empty():
            self._free.get_nowait()
