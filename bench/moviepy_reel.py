"""The benchmark's moviepy baseline: the reel's timeline as a moviepy user composes it.

The parts and their times are the reel's own (``pipeline.reel.render.plan``: the slides'
scenes from the art stage, their spans, the motion tracks timed from the narration, the
captions); only the composing and the encoding are moviepy 2's, the way its documentation
shows them:

* each slide's **background** (its scene with the animated parts left out) is an
  ``ImageClip`` on screen for the slide's span; every slide after the first enters with
  ``CrossFadeIn`` over the crossfade, on top of the slide before;
* each **animated part** (a list item, the title card's lines, the closing card's link and
  numbers) is an ``ImageClip`` of the part as the art stage draws it, placed at its box with
  ``with_position``, starting at its track's entry with ``CrossFadeIn`` (0.2 s) while the
  position rises the same 28 px into place (the reel's cubic ease-out);
* a **spoken item** is shown emphasised; when the next item starts it steps back: the
  emphasised clip leaves with ``CrossFadeOut`` (0.2 s, an opacity fade) over a clip of the
  stepped-back item, which stays to the slide's end;
* the closing card's **numbers** count up in a ``VideoClip`` whose frame function draws the
  count reached at ``t`` (0.3 s), then hold as an ``ImageClip``;
* each **caption** (every word highlight of ``captions: words`` is its own caption) is an
  ``ImageClip`` of the reel's caption strip at its place and times;
* all of it in one ``CompositeVideoClip`` over a black ``bg_color`` (an opaque background:
  without it moviepy also composes a transparency mask for every frame, which it documents as
  slower), ``with_audio(AudioFileClip(narration))``, ``write_videofile`` with libx264 at the
  reel's preset and crf, AAC at 48 kHz, yuv420p, H.264 High, ``+faststart`` (through
  moviepy's ffmpeg, the binary ``imageio-ffmpeg`` bundles).

moviepy draws and pipes every frame; each frame blits the clips playing then with Pillow, and
a clip with a fade has a mask, which makes moviepy alpha-composite the whole frame.

Differences from the reel, all within a burst of frames: moviepy fades linearly and
continuously where the reel eases (entries) or steps (crossfades, 15 steps a second); an item
being emphasised as it enters is shown emphasised from its first frame. ``reel.zoom`` is not
composed here (the benchmark refuses ``--zoom`` with this job).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from moviepy import (
    AudioFileClip,
    CompositeVideoClip,
    ImageClip,
    VideoClip,
    vfx,
)
from PIL import Image

from pipeline.art import SLIDE_SIZE, Scene, caption_strip
from pipeline.art.scene import HIDDEN, RISE, Look
from pipeline.config import Brand, ReelOptions
from pipeline.reel.cues import captions
from pipeline.reel.motion import BURST, COUNT, Track
from pipeline.reel.render import plan
from pipeline.reel.spans import SlideSpan
from pipeline.structure import Narration
from pipeline.voice.timeline import FPS

EMPHASISED, STEPPED_BACK = 1.0, -1.0


def write_moviepy_reel(slides: list[Path], narration: Narration, options: ReelOptions,
                       brand: Brand, out: Path) -> None:
    """Compose the reel's timeline with moviepy and write it to ``out``."""
    if options.zoom:
        raise ValueError("the moviepy baseline does not compose reel.zoom")
    timeline, painter = plan(slides, narration, options, brand)
    clips: list[VideoClip] = []
    for index, (scene, span) in enumerate(zip(painter.scenes, timeline.spans, strict=True)):
        tracks = timeline.motions[index].tracks
        background = ImageClip(_array(scene.render({key: HIDDEN for key in tracks})))
        background = background.with_start(span.start / FPS).with_end(span.end / FPS)
        if span.fade_in:
            background = background.with_effects([vfx.CrossFadeIn(span.fade_in / FPS)])
        clips.append(background)
        for key, track in tracks.items():
            clips += _part_clips(scene, key, track, span, tracks)
    for caption in captions(narration.cues, timeline.spans, options.captions):
        slide = next(i for i, span in enumerate(timeline.spans) if caption.start < span.end)
        strip = caption_strip(painter.scenes[slide].base, caption.text, brand,
                              language=narration.language, words=caption.words,
                              spoken=caption.spoken)
        if strip is None:
            continue
        picture, at = strip
        clips.append(ImageClip(_array(picture)).with_position(at)
                     .with_start(caption.start / FPS).with_end(caption.end / FPS))

    video = CompositeVideoClip(clips, size=SLIDE_SIZE, bg_color=(0, 0, 0))
    video = video.with_duration(timeline.total / FPS)
    audio = AudioFileClip(str(narration.audio))
    video = video.with_audio(audio.with_duration(min(audio.duration, video.duration)))
    video.write_videofile(
        str(out), fps=FPS, codec="libx264", preset=options.preset, audio_codec="aac",
        audio_fps=48000, pixel_format="yuv420p", logger=None,
        ffmpeg_params=["-crf", str(options.crf), "-profile:v", "high",
                       "-movflags", "+faststart"],
    )
    video.close()
    audio.close()


def _part_clips(scene: Scene, key: str, track: Track, span: SlideSpan,
                tracks: dict[str, Track]) -> list[VideoClip]:
    """One animated part's clips: entering, emphasised, stepped back, counting."""
    part = next(p for p in scene.parts if p.key == key)
    others = {other: HIDDEN for other in tracks if other != key}

    def drawn(look: Look) -> Image.Image:
        return scene.render({**others, key: look}, box=part.box)

    enter = span.start if track.enter is None else track.enter
    left, top = part.box[0], part.box[1]
    burst = BURST / FPS

    def rising(t: float) -> tuple[int, int]:
        return left, top + round(RISE * (1 - _ease(t / burst)))

    stepped_back = track.spoken[1] if track.spoken is not None else None
    look = Look(emphasis=EMPHASISED) if track.spoken is not None else Look()
    end = span.end if stepped_back is None else min(span.end, stepped_back + BURST)
    clips: list[VideoClip] = []
    if stepped_back is not None:  # under the emphasised clip, which fades out over it
        clips.append(ImageClip(_array(drawn(Look(emphasis=STEPPED_BACK))))
                     .with_position((left, top))
                     .with_start(stepped_back / FPS).with_end(span.end / FPS))
    if track.count is not None:
        count_end = min(end, track.count + COUNT)

        def counting(t: float) -> np.ndarray:
            return _array(drawn(Look(emphasis=look.emphasis,
                                     count=_ease((t + 1 / FPS) * FPS / COUNT))))

        clips.append(VideoClip(counting).with_start(track.count / FPS)
                     .with_end(count_end / FPS).with_position(rising)
                     .with_effects([vfx.CrossFadeIn(burst)]))
        clips.append(ImageClip(_array(drawn(look))).with_position((left, top))
                     .with_start(count_end / FPS).with_end(end / FPS))
        return clips
    entering = (ImageClip(_array(drawn(look))).with_start(enter / FPS).with_end(end / FPS)
                .with_position(rising))
    effects = [vfx.CrossFadeIn(burst)] if track.enter is not None else []
    if stepped_back is not None:
        effects.append(vfx.CrossFadeOut(burst))
    clips.append(entering.with_effects(effects) if effects else entering)
    return clips


def _ease(t: float) -> float:
    """The reel's cubic ease-out (fast start, gentle landing), clamped to 0..1."""
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))
