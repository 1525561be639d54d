"""The reel stage: slides + narration → a 1080x1920 H.264/AAC MP4.

One path for every reel (the main one and each dubbed one): the timeline is walked frame by
frame as keys (:mod:`.frames`), each distinct picture is drawn once with Pillow and encoded
once; with ``reel.frame_rate: variable`` it is held until the next change, with ``constant``
it is repeated at 30 fps. The soundtrack is encoded meanwhile, into the same file.
"""

from __future__ import annotations

import contextlib
import ctypes
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from PIL import Image, ImageOps, UnidentifiedImageError

from ..art import SLIDE_SIZE, Scene, load_scene
from ..config import Brand, ReelOptions
from ..errors import InputError
from ..structure import Narration, Reel
from ..voice.narrate import Speech
from ..voice.timeline import FPS, to_frames
from .audio import Soundtrack, soundtrack
from .cues import captions
from .encode import ProgressCallback, ReelWriter
from .frames import Painter, Timeline
from .motion import slide_motion
from .spans import slide_spans

# Frames drawn (and converted to 4:2:0) ahead of the encoder: Pillow, swscale and x264 release
# the GIL, so drawing the next frames overlaps encoding this one.
_AHEAD = 4


def render_reel(
    slides: list[Path],
    narration: Narration | Speech,
    options: ReelOptions,
    out: Path,
    *,
    brand: Brand | None = None,
    progress: ProgressCallback | None = None,
) -> Reel:
    """Render the reel to ``out`` (replaced only once complete).

    Slides follow the narration's slide timings; ``options.crossfade`` must be the crossfade
    the narration was timed for. A slide drawn by the art stage moves with the narration (its
    ``.scene.json``); any other image is shown still. A :class:`~pipeline.voice.narrate.Speech`
    is normalized by the reel's audio thread while the first pictures are drawn and encoded
    (:meth:`Speech.normalize` returns the narration afterwards). ``progress`` receives the
    fraction rendered (0..1).
    """
    speech, timing = ((narration, narration.timing) if isinstance(narration, Speech)
                      else (None, narration))
    if len(slides) != len(timing.slides):
        raise InputError(
            f"the reel has {len(slides)} slide images but the narration times "
            f"{len(timing.slides)} slides"
        )
    if speech is None and not timing.audio.is_file():
        raise InputError(f"narration audio not found: {timing.audio}")
    seconds = to_frames(timing.duration) / FPS
    track = soundtrack(timing.audio, options, seconds)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the reel into {out.parent}: {exc.strerror}") from None
    # The soundtrack is encoded from now on, while the slides' scenes are loaded
    audio = track.frames() if speech is None else _normalized_first(speech, track)
    writer = ReelWriter(out, options, SLIDE_SIZE, audio)
    try:
        timeline, painter = plan(slides, timing, options, brand or Brand())
    except BaseException:
        writer.abort()
        raise
    try:
        _encode(timeline, painter, writer, constant=options.frame_rate == "constant",
                progress=progress)
    finally:
        painter.close()
        del painter
        _return_freed_memory()
    if progress:
        progress(1.0)
    return Reel(video=out, duration=seconds, language=timing.language,
                captions_vtt=timing.vtt, captions_srt=timing.srt)


def _return_freed_memory() -> None:
    """Hand the memory the reel freed back to the system. glibc keeps what a thread frees in
    that thread's arena (the drawing, audio and encoder threads each have one), so a process
    that renders several reels (the dubs) grew by ~60 MB a reel: 553 MB after three, 430 with
    this. A no-op where the C library has no ``malloc_trim`` (musl, macOS)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _normalized_first(speech: Speech, track: Soundtrack) -> Iterator[AudioFrame]:
    """The soundtrack once the narration it mixes is normalized (run by the audio thread)."""
    speech.normalize()
    yield from track.frames()


def plan(slides: list[Path], narration: Narration, options: ReelOptions, brand: Brand
         ) -> tuple[Timeline, Painter]:
    """The reel's timeline and the painter of its frames (checked: one clear error line)."""
    spans = slide_spans(narration, options.crossfade)
    scenes = [_scene(path, index) for index, path in enumerate(slides)]
    motions = [
        slide_motion(scene, span, [cue for cue in narration.cues if cue.slide == index])
        for index, (scene, span) in enumerate(zip(scenes, spans, strict=True))
    ]
    timeline = Timeline(spans, motions, captions(narration.cues, spans, options.captions),
                        zoom=options.zoom)
    return timeline, Painter(scenes, spans, brand, narration.language)


def _encode(timeline: Timeline, painter: Painter, writer: ReelWriter, *, constant: bool,
            progress: ProgressCallback | None) -> None:
    """Draw in a helper thread (a few frames ahead), encode here."""
    drawn: queue.Queue[tuple[int, av.VideoFrame, bool] | BaseException | None] = queue.Queue(
        _AHEAD)
    stop = threading.Event()

    def draw() -> None:
        try:
            for frame, key, starts in timeline.changes():
                if stop.is_set():
                    return
                drawn.put((frame, painter.paint(key), starts))
            drawn.put(None)
        except BaseException as exc:  # handed to the encoding thread, which raises it
            drawn.put(exc)

    def emit(frame: int, picture: av.VideoFrame, keyframe: bool) -> None:
        writer.write(picture, frame, keyframe=keyframe)
        if progress and frame % 30 == 0:
            progress(min(0.99, frame / timeline.total))

    helper = threading.Thread(target=draw, name="reel-frames", daemon=True)
    helper.start()
    try:
        last: tuple[int, av.VideoFrame] | None = None
        while (item := drawn.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            frame, image, starts = item
            if constant and last is not None:
                for repeat in range(last[0] + 1, frame):
                    emit(repeat, last[1], False)
            emit(frame, image, starts)
            if last is not None:
                painter.canvas.recycle(last[1])  # encoded (and repeated) for the last time
            last = (frame, image)
        # The last picture is held to the end: one more frame marks where the reel ends.
        if last is not None:
            for repeat in range(last[0] + 1, timeline.total):
                if constant or repeat == timeline.total - 1:
                    emit(repeat, last[1], False)
        writer.close()
    except BaseException:
        stop.set()
        while helper.is_alive():  # unblock the helper if it waits on a full queue
            with contextlib.suppress(queue.Empty):
                drawn.get(timeout=0.1)
        writer.abort()
        raise


def _scene(path: Path, index: int) -> Scene:
    """The slide's scene from the art stage, or the image itself as a still."""
    scene = load_scene(path)
    if scene is not None:
        return scene
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.convert("RGB") if opened.mode != "RGB" else opened.copy()
    except FileNotFoundError:
        raise InputError(f"slide {index + 1}: image not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"slide {index + 1}: cannot read image {path}: {exc}") from None
    if image.size != SLIDE_SIZE:  # cover 1080x1920 (centre crop) whatever its size
        image = ImageOps.fit(image, SLIDE_SIZE, Image.Resampling.LANCZOS)
    return Scene(image)

