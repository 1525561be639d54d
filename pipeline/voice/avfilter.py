"""Audio through FFmpeg's filters in-process (PyAV's bundled libavfilter): no ffmpeg program.

The voice stage decodes, resamples, meters (``ebur128``) and limits audio (and the reel's
soundtrack is mixed and shaped, :mod:`pipeline.reel.audio`) with the same filters
the ffmpeg CLI would run, but in this process: each pass costs no process start and no file
in between, and the Action's image needs no ffmpeg package beside PyAV's wheel.
"""

from __future__ import annotations

import contextlib
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.audio.frame import AudioFrame
from av.filter import Graph
from av.filter.context import FilterContext

from ..errors import ToolError

Chain = list[tuple[str, str]]  # (filter, its options), linked in order


@dataclass
class Filtered:
    frames: list[AudioFrame] = field(default_factory=list)  # empty unless kept
    metadata: dict[str, str] = field(default_factory=dict)  # the last frame's, merged
    samples: int = 0


def decoded(path: Path, what: str) -> Iterator[AudioFrame]:
    """The frames of ``path``'s first audio stream (any container and codec PyAV reads)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ToolError(f"{what}: {path.name} has no audio stream")
            stream = container.streams.audio[0]
            yield from container.decode(stream)
    except (av.FFmpegError, OSError) as exc:
        raise ToolError(f"{what}: cannot read {path.name}: {reason(exc)}") from None


def run(frames: Iterable[AudioFrame], chain: Chain, *, what: str, keep: bool = True,
        seconds: float | None = None) -> Filtered:
    """Push ``frames`` through ``chain``; the output frames (when ``keep``) and the metadata
    the filters attached (``ebur128=metadata=1`` writes ``lavfi.r128.*``). With ``seconds``,
    only that much of the input is read."""
    result = Filtered()
    source = iter(frames)
    first = next(source, None)
    if first is None:
        raise ToolError(f"{what}: no audio")
    if seconds:
        chain = [("atrim", f"duration={seconds:.3f}"), *chain]
    try:
        graph = Graph()
        node = graph.add_abuffer(
            format=first.format.name, sample_rate=first.sample_rate, layout=first.layout.name,
            time_base=first.time_base or Fraction(1, first.sample_rate))
        link(graph, node, *chain).link_to(graph.add("abuffersink"))
        graph.configure()

        def drain() -> None:
            for out in pulled(graph):
                if out.metadata:
                    result.metadata.update(out.metadata)
                result.samples += out.samples
                if keep:
                    result.frames.append(out)

        frame: AudioFrame | None = first
        while frame is not None:
            try:
                graph.push(frame)
            except av.EOFError:  # the chain ended early (atrim): the rest is not needed
                break
            drain()
            if seconds and frame.time is not None and frame.time >= seconds:
                break
            frame = next(source, None)
        with contextlib.suppress(av.EOFError):
            graph.push(None)
        drain()
    except av.FFmpegError as exc:
        raise ToolError(f"{what}: {reason(exc)}") from None
    finally:
        close = getattr(source, "close", None)
        if close is not None:  # a decoder stopped early closes its file now
            close()
    return result


def mono_float(path: Path, rate: int, what: str) -> Any:
    """``path``'s first audio stream as one numpy float32 array, mono at ``rate`` (numpy is
    imported here only: the scorers and Whisper that want arrays bring it)."""
    import numpy as np

    mono = run(decoded(path, what),
               [("aresample", str(rate)), ("aformat", "sample_fmts=flt:channel_layouts=mono")],
               what=what)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in mono.frames]).astype(np.float32)


def write_wav(path: Path, frames: list[AudioFrame]) -> None:
    """Write packed signed 16-bit frames (``aformat=sample_fmts=s16``) as a WAV."""
    if not frames:
        raise ToolError(f"writing {path.name}: no audio")
    channels = frames[0].layout.nb_channels
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(frames[0].sample_rate)
        wav.writeframes(pcm16(frames))


def pcm16(frames: list[AudioFrame]) -> bytes:
    """The bytes of packed signed 16-bit frames, one after the other (a plane's buffer may be
    padded past its samples)."""
    return b"".join(bytes(f.planes[0])[: f.samples * f.layout.nb_channels * 2] for f in frames)


def link(graph: Graph, node: FilterContext, *steps: tuple[str, str]) -> FilterContext:
    """``steps`` (filter, options) added to ``graph`` after ``node``, in order; the last one."""
    for name, options in steps:
        step = graph.add(name, options)
        node.link_to(step)
        node = step
    return node


def pulled(graph: Graph) -> Iterator[AudioFrame]:
    """The audio frames ``graph``'s sink has ready now."""
    while True:
        try:
            frame = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return
        if isinstance(frame, AudioFrame):
            yield frame


def reason(exc: BaseException) -> str:
    """An FFmpeg or OS error in a few words, for a one-line message."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
