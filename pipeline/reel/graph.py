"""One ffmpeg command for the whole reel: inputs and a filter graph built from the timeline.

Picture: the stills come in as one image sequence (``still-0000.png``... in order of first
use), so ffmpeg decodes each once, when it is first needed, converts it to yuv420p once and
repeats it with ``loop`` (``-loop 1 -i`` would decode the PNG again for every frame). One input
per still measured the same speed but ~110 MB more memory: ffmpeg decodes the first frame of
every input before it starts.

A slide is cut into pieces: its *head* (the crossfade in), *main* part and *tail* (the
crossfade out). Mains are concatenated with the crossfades in between, and ``xfade`` only ever
sees the two short pieces it blends: running whole slides through a chain of ``xfade`` filters
measured ~45 % slower.

Zoom (optional): the finished picture runs through one ``zoompan`` at 15 fps, then ``fps=30``
doubles the frames. Slides zoom in and out in turn (1 → 1.05 on the first slide, back to 1 on
the second...), so the zoom is continuous everywhere, crossfades included, and one filter serves
the whole reel. (A ``zoompan`` per piece measured ~165 MB more memory: each one buffers
frames it drew ahead of need.)

Audio: the normalized narration as is, or mixed with looped background music that a
``sidechaincompress`` keyed by the voice ducks whenever someone speaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..voice.timeline import FPS
from .segments import SlideSpan

WIDTH, HEIGHT = 1080, 1920
SAMPLE_RATE = 48000
ZOOM = 0.05  # each slide zooms by 5 %, in or out
_ZOOM_FPS = 15
# RGB stills to the colour matrix players assume for HD video (the stream is tagged to match).
_TO_YUV = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"


@dataclass(frozen=True)
class Piece:
    still: Path
    frames: int


@dataclass
class Command:
    args: list[str] = field(default_factory=list)  # input options and inputs
    graph: list[str] = field(default_factory=list)
    video: str = ""
    audio: str = ""
    sequence: list[Path] = field(default_factory=list)  # the stills, in image-sequence order
    _inputs: int = 0

    def add_input(self, *args: str) -> int:
        self.args += list(args)
        self._inputs += 1
        return self._inputs - 1


def slide_pieces(span: SlideSpan, stills: list[Path], fade_in: int) -> tuple[
        list[Piece], list[Piece], list[Piece]]:
    """Cut a slide's still segments at its crossfades: (head, main, tail) pieces."""
    cuts = (fade_in, span.frames - span.fade_out)
    head: list[Piece] = []
    main: list[Piece] = []
    tail: list[Piece] = []
    offset = 0
    for segment, still in zip(span.segments, stills, strict=True):
        end = offset + segment.frames
        for part, low, high in ((head, 0, cuts[0]), (main, cuts[0], cuts[1]),
                                (tail, cuts[1], span.frames)):
            first, last = max(offset, low), min(end, high)
            if last > first:
                part.append(Piece(still, last - first))
        offset = end
    return head, main, tail


def sequence_pattern(folder: Path) -> str:
    """The image2 pattern of the still sequence in ``folder`` ("%" in the path escaped)."""
    return str(folder).replace("%", "%%") + "/still-%04d.png"


def build(spans: list[SlideSpan], stills: list[list[Path]], narration_audio: Path, *,
          sequence_dir: Path, zoom: bool, music: Path | None = None,
          music_gain_db: float = 0.0, total_frames: int) -> Command:
    """``stills[i]``: the still of each segment of slide ``i``, in order. The caller puts
    ``command.sequence[k]`` at ``sequence_pattern(sequence_dir) % k`` before running it."""
    command = Command()
    pieces = [
        slide_pieces(span, slide_stills, spans[i - 1].fade_out if i else 0)
        for i, (span, slide_stills) in enumerate(zip(spans, stills, strict=True))
    ]
    uses: dict[Path, int] = {}
    for head, main, tail in pieces:
        for piece in (*head, *main, *tail):
            uses[piece.still] = uses.get(piece.still, 0) + 1
    labels = _decode_stills(command, uses, sequence_dir)

    def render(piece: Piece) -> str:
        source = labels[piece.still].pop()
        label = f"p{len(command.graph)}"
        command.graph.append(
            f"[{source}]loop=loop={piece.frames - 1}:size=1:start=0,setpts=N/{FPS}/TB[{label}]"
        )
        return label

    def joined(parts: list[Piece]) -> str:
        rendered = [render(piece) for piece in parts]
        if len(rendered) == 1:
            return rendered[0]
        label = f"j{len(command.graph)}"
        command.graph.append(
            "".join(f"[{r}]" for r in rendered) + f"concat=n={len(rendered)}:v=1:a=0[{label}]"
        )
        return label

    timeline: list[str] = []
    for index, (_, main, tail) in enumerate(pieces):
        timeline += [render(piece) for piece in main]
        if tail:
            fade = spans[index].fade_out
            label = f"x{index}"
            command.graph.append(
                f"[{joined(tail)}][{joined(pieces[index + 1][0])}]"
                f"xfade=transition=fade:duration={fade / FPS:.6f}:offset=0[{label}]"
            )
            timeline.append(label)
    zoomed = f"{_zoom(spans, total_frames)}," if zoom else ""
    command.graph.append(
        "".join(f"[{label}]" for label in timeline)
        + f"concat=n={len(timeline)}:v=1:a=0,{zoomed}trim=end_frame={total_frames}[vout]"
    )
    command.video = "[vout]"
    _audio(command, narration_audio, music, music_gain_db, total_frames)
    return command


def _decode_stills(command: Command, uses: dict[Path, int], folder: Path
                   ) -> dict[Path, list[str]]:
    """Frame k of the sequence is still k; each goes to as many branches as it has pieces."""
    command.sequence = list(uses)  # dicts keep insertion order: the order of first use
    index = command.add_input("-f", "image2", "-pattern_type", "sequence", "-start_number", "0",
                              "-framerate", str(FPS), "-i", sequence_pattern(folder))
    count = len(command.sequence)
    command.graph.append(f"[{index}:v]{_TO_YUV},split={count}"
                         + "".join(f"[q{k}]" for k in range(count)))
    labels: dict[Path, list[str]] = {}
    for number, still in enumerate(command.sequence):
        names = [f"s{number}_{k}" for k in range(uses[still])]
        split = f",split={len(names)}" if len(names) > 1 else ""
        command.graph.append(f"[q{number}]trim=start_frame={number}:end_frame={number + 1}"
                             f"{split}" + "".join(f"[{n}]" for n in names))
        labels[still] = names
    return labels


def _zoom(spans: list[SlideSpan], total_frames: int) -> str:
    """zoompan over the whole picture: the zoom rises across even slides and falls across odd
    ones, switching direction in the middle of each crossfade."""
    edges = [0.0] + [
        (span.start + spans[i - 1].fade_out / 2) / FPS for i, span in enumerate(spans) if i
    ] + [total_frames / FPS]
    time = f"(on/{_ZOOM_FPS})"

    def progress(index: int) -> str:  # 0 → 1 across slide `index` (1 → 0 for odd slides)
        low, high = edges[index], edges[index + 1]
        rise = f"({time}-{low:.4f})/{high - low:.4f}"
        return rise if index % 2 == 0 else f"(1-{rise})"

    expression = progress(len(spans) - 1)
    for index in reversed(range(len(spans) - 1)):
        expression = f"if(lt({time},{edges[index + 1]:.4f}),{progress(index)},{expression})"
    return (
        f"fps={_ZOOM_FPS},zoompan=z='1+{ZOOM}*clip({expression},0,1)'"
        f":x='(iw-iw/zoom)/2':y='(ih-ih/zoom)/2':d=1:s={WIDTH}x{HEIGHT}:fps={_ZOOM_FPS},"
        f"fps={FPS},tpad=stop_mode=clone:stop=2"
    )


def _audio(command: Command, narration: Path, music: Path | None, music_gain_db: float,
           total_frames: int) -> None:
    voice = command.add_input("-i", str(narration))
    if music is None:
        command.audio = f"{voice}:a"
        return
    bed = command.add_input("-stream_loop", "-1", "-i", str(music))
    samples = total_frames * SAMPLE_RATE // FPS
    seconds = total_frames / FPS
    fade = min(1.5, seconds / 4)
    common = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    command.graph += [
        f"[{voice}:a]{common},asplit=2[voice][key]",
        f"[{bed}:a]{common},volume={music_gain_db:.2f}dB,atrim=end_sample={samples},"
        f"afade=t=out:st={seconds - fade:.3f}:d={fade:.3f}[bed]",
        # Ducks the bed ~15 dB within 20 ms of the voice starting, back up over ~0.4 s.
        "[bed][key]sidechaincompress=threshold=0.01:ratio=12:attack=20:release=400[ducked]",
        "[voice][ducked]amix=inputs=2:duration=first:normalize=0,"
        "alimiter=limit=0.84:level=false:latency=true[aout]",
    ]
    command.audio = "[aout]"
