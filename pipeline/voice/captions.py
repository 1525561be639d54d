"""Caption files: WebVTT (browsers, YouTube) and SubRip (everything else), one cue per sentence.

Written by hand rather than with pysubs2: its writers pass cue text through SubStation override
parsing (text in ``{braces}`` disappears) and do not escape ``&``/``<`` for WebVTT, both of which
release notes contain.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..structure import Cue


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in both formats; a cue is one sentence, so one line.
    return " ".join(text.split())


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: & and < start entities and tags; escaping > also keeps "-->" out.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# SubRip has no escapes, and readers (ffmpeg, VLC) drop "<word>" as an unknown HTML tag: a zero
# width space after "<" keeps such text visible and reads the same.
_SRT_TAG_LIKE = re.compile(r"<(?=[A-Za-z/])")


def _srt_text(text: str) -> str:
    return _SRT_TAG_LIKE.sub("<\u200b", _one_line(text))


def webvtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        blocks.append(
            f"{number}\n{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n"
            f"{_vtt_escape(_one_line(cue.text))}"
        )
    return "\n\n".join(blocks) + "\n"


def subrip(cues: list[Cue]) -> str:
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n"
        f"{_srt_text(cue.text)}"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n\n".join(blocks) + "\n"


def write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    os.replace(partial, path)
