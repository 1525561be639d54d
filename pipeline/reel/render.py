"""The reel stage: slides + narration → a 1080x1920 H.264/AAC MP4, in one ffmpeg process."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from ..config import Brand, ReelOptions
from ..errors import InputError, ToolError
from ..structure import Narration, Reel
from ..voice import loudness
from ..voice.timeline import FPS, to_frames
from . import graph
from .encode import (
    ProgressCallback,
    audio_codec_args,
    container_args,
    run_ffmpeg,
    video_codec_args,
)
from .segments import slide_spans
from .stills import prepare_stills


def render_reel(
    slides: list[Path],
    narration: Narration,
    options: ReelOptions,
    out: Path,
    *,
    brand: Brand | None = None,
    progress: ProgressCallback | None = None,
) -> Reel:
    """Render the reel to ``out`` (replaced only once complete).

    Slides follow ``narration.slides``; ``options.crossfade`` must be the crossfade the
    narration was timed for. With ``options.captions`` each sentence is burned into its slide
    while it is spoken. ``progress`` receives the fraction encoded (0..1).
    """
    if len(slides) != len(narration.slides):
        raise InputError(
            f"the reel has {len(slides)} slide images but the narration times "
            f"{len(narration.slides)} slides"
        )
    if not narration.audio.is_file():
        raise InputError(f"narration audio not found: {narration.audio}")
    spans = slide_spans(narration, options.crossfade, captions=options.captions)
    total_frames = to_frames(narration.duration)
    music, music_gain = _music(options, total_frames / FPS)

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.TemporaryDirectory(prefix=".reel-", dir=out.parent)
    except OSError as exc:
        raise InputError(f"cannot write the reel into {out.parent}: {exc.strerror}") from None
    with scratch as tmp:
        plain, captioned = prepare_stills(slides, narration, spans, brand or Brand(), Path(tmp))
        stills = [
            [plain[i] if seg.caption is None else captioned[seg.caption] for seg in span.segments]
            for i, span in enumerate(spans)
        ]
        command = graph.build(spans, stills, narration.audio, sequence_dir=Path(tmp),
                              zoom=options.zoom, music=music, music_gain_db=music_gain,
                              total_frames=total_frames)
        pattern = graph.sequence_pattern(Path(tmp))
        for number, still in enumerate(command.sequence):
            # links, not copies: the slides from the art stage are used as they are
            os.symlink(still.resolve(), pattern % number)
        run_ffmpeg(
            [*command.args, "-filter_complex", ";".join(command.graph),
             "-map", command.video, "-map", command.audio,
             *video_codec_args(options), *audio_codec_args(), *container_args()],
            out, what="rendering the reel", duration=total_frames / FPS, progress=progress,
        )
    return Reel(video=out, duration=total_frames / FPS, language=narration.language,
                captions_vtt=narration.vtt, captions_srt=narration.srt)


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
