"""The reel's soundtrack: the normalized narration as is, or mixed with looped background
music that a ``sidechaincompress`` keyed by the voice ducks whenever someone speaks.

Filtered in this process by FFmpeg's own filters (PyAV's libavfilter), no ffmpeg program: the
frames come out ready for the AAC encoder, 48 kHz stereo, shifted for its priming samples
(see :mod:`.encode`) and exactly as long as the reel.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.filter import Graph
from av.filter.context import FilterContext

from ..config import ReelOptions
from ..errors import InputError, ToolError
from ..voice import avfilter, loudness
from .encode import AAC_FRAME, AAC_PRIMING, SAMPLE_RATE

_WHAT = "encoding the reel's audio failed"
_COMMON = f"sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


@dataclass(frozen=True)
class Soundtrack:
    narration: Path
    seconds: float
    music: Path | None = None
    gain_db: float = 0.0  # the music's, to sit ``music_volume`` under the voice

    def frames(self) -> Iterator[AudioFrame]:
        """The soundtrack in AAC_FRAME-sample frames (checked now: a file that cannot be
        read is one clear error here, before any frame is drawn)."""
        voice = _Input(self.narration)
        music = None
        try:
            if self.music is not None:
                music = _Input(self.music, loop=True)
            graph, sources = self._graph(voice, music)
        except BaseException as exc:
            voice.close()
            if music is not None:
                music.close()
            if isinstance(exc, av.FFmpegError):
                raise ToolError(f"{_WHAT}: {avfilter.reason(exc)}") from None
            raise
        return _run(graph, sources, [voice] if music is None else [voice, music])

    def _graph(self, voice: _Input, music: _Input | None) -> tuple[Graph, list[FilterContext]]:
        samples = round(self.seconds * SAMPLE_RATE)
        graph = Graph()
        sources = [_source(graph, voice)]
        node = avfilter.link(graph, sources[0], ("aresample", str(SAMPLE_RATE)),
                             ("aformat", _COMMON))
        if music is not None:
            fade = min(1.5, self.seconds / 4)
            split = graph.add("asplit", "2")
            node.link_to(split)
            sources.append(_source(graph, music))
            bed = avfilter.link(graph, sources[1], ("aresample", str(SAMPLE_RATE)),
                                ("aformat", _COMMON), ("volume", f"{self.gain_db:.2f}dB"),
                                ("atrim", f"end_sample={samples}"),
                                ("afade", f"t=out:st={self.seconds - fade:.3f}:d={fade:.3f}"))
            # Ducks the bed ~15 dB within 20 ms of the voice starting, back up over ~0.4 s.
            duck = graph.add("sidechaincompress", "threshold=0.01:ratio=12:attack=20:release=400")
            bed.link_to(duck, 0, 0)
            split.link_to(duck, 1, 1)
            mix = graph.add("amix", "inputs=2:duration=first:normalize=0")
            split.link_to(mix, 0, 0)
            duck.link_to(mix, 0, 1)
            node = avfilter.link(graph, mix, ("alimiter", "limit=0.84:level=false:latency=true"))
        # AAC_PRIMING samples early (the encoder puts as many before the first real one), then
        # filled to the end: the voice is heard where the captions and the motion were timed.
        node = avfilter.link(graph, node, ("atrim", f"start_sample={AAC_PRIMING}"),
                             ("apad", f"whole_len={samples - AAC_PRIMING}"),
                             ("atrim", f"end_sample={samples - AAC_PRIMING}"))
        node.link_to(graph.add("abuffersink"))
        graph.configure()
        graph.set_audio_frame_size(AAC_FRAME)
        return graph, sources


def soundtrack(narration: Path, options: ReelOptions, seconds: float) -> Soundtrack:
    music, gain_db = _music(options, seconds)
    return Soundtrack(narration, seconds, music, gain_db)


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


class _Input:
    """An audio file's decoded frames, timed by their samples (a loop goes on seamlessly)."""

    def __init__(self, path: Path, *, loop: bool = False) -> None:
        self.path, self.loop, self.samples = path, loop, 0
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError) as exc:
            raise ToolError(f"{_WHAT}: cannot read {path.name}: {avfilter.reason(exc)}") from None
        if not self._container.streams.audio:
            self._container.close()
            raise ToolError(f"{_WHAT}: {path.name} has no audio stream")
        stream = self._container.streams.audio[0]
        self.format, self.rate = stream.format.name, stream.sample_rate
        self.layout = stream.layout.name

    def frames(self) -> Iterator[AudioFrame]:
        stream = self._container.streams.audio[0]
        while True:
            found = False
            for frame in self._container.decode(stream):
                found = True
                frame.pts, frame.time_base = self.samples, Fraction(1, self.rate)
                self.samples += frame.samples
                yield frame
            if not (self.loop and found):
                return
            self._container.seek(0)

    def close(self) -> None:
        self._container.close()


def _source(graph: Graph, audio: _Input) -> FilterContext:
    return graph.add_abuffer(format=audio.format, sample_rate=audio.rate, layout=audio.layout,
                             time_base=Fraction(1, audio.rate))


def _run(graph: Graph, sources: list[FilterContext], inputs: list[_Input]
         ) -> Iterator[AudioFrame]:
    """Push the narration frame by frame, the music (when mixed) up to the same time (the
    ducking needs both at once), and hand on whatever comes out."""
    streams = [audio.frames() for audio in inputs]
    voice = inputs[0]
    try:
        for frame in streams[0]:
            _push(sources[0], frame)
            for source, audio, stream in zip(sources[1:], inputs[1:], streams[1:], strict=True):
                while audio.samples / audio.rate < voice.samples / voice.rate:
                    music = next(stream, None)
                    if music is None:
                        break
                    _push(source, music)
            yield from avfilter.pulled(graph)
        for source in sources:
            _push(source, None)
        yield from avfilter.pulled(graph)
    except av.FFmpegError as exc:
        raise ToolError(f"{_WHAT}: {avfilter.reason(exc)}") from None
    finally:
        for audio in inputs:
            audio.close()


def _push(source: FilterContext, frame: AudioFrame | None) -> None:
    with contextlib.suppress(av.EOFError):  # that input's chain needs no more (atrim)
        source.push(frame)

