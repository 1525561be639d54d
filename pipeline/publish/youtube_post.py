"""Recording the upload in the Jekyll post: front matter keys and an embedded player.

The post's front matter is where the next run looks before uploading (``youtube_id``), so the
keys are edited in place, line by line, leaving every other line as the site stage wrote it,
and the whole file is replaced atomically.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, PublishError

VIDEO_START = "<!-- releasecast:video -->"
VIDEO_END = "<!-- /releasecast:video -->"
KEYS = ("youtube_id", "youtube_url")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
_LOCAL_VIDEO = re.compile(r"""(?:src|href)\s*=\s*["']([^"'<>]+?\.(?:mp4|webm|mov|m4v))["']""",
                          re.I)
_MARKDOWN_VIDEO_LINK = re.compile(r"\]\(([^()\s]+?\.(?:mp4|webm|mov|m4v))\)", re.I)


@dataclass(frozen=True)
class RecordedVideo:
    id: str
    url: str


@dataclass
class _Post:
    path: Path
    head: list[str]  # front matter lines, without the --- fences
    body: str  # everything after the closing fence

    @property
    def data(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load("".join(self.head)) if self.head else {}
        except yaml.YAMLError:
            raise InputError(f"{self.path}: its front matter is not valid YAML") from None
        return data if isinstance(data, dict) else {}

    def text(self) -> str:
        return "---\n" + "".join(self.head) + "---\n" + self.body


def _read(path: Path) -> _Post:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"post not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the post ({exc})") from None
    return _parse(path, text)


def _parse(path: Path, text: str) -> _Post:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise InputError(f"{path}: not a Jekyll post (no front matter)")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            head = [line if line.endswith("\n") else line + "\n" for line in lines[1:index]]
            return _Post(path, head, "".join(lines[index + 1:]))
    raise InputError(f"{path}: its front matter has no closing '---'")


def recorded_video(post: Path) -> RecordedVideo | None:
    """The video an earlier run recorded in the post, if any."""
    data = _read(post).data
    video_id = data.get("youtube_id")
    if video_id in (None, ""):
        return None
    if not isinstance(video_id, str) or not _VIDEO_ID.fullmatch(video_id):
        raise InputError(f"{post}: youtube_id {video_id!r} is not a YouTube video id; fix or "
                         "remove it (removing it uploads the video again)")
    url = data.get("youtube_url")
    return RecordedVideo(video_id, url if isinstance(url, str) and url else watch_url(video_id))


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def _set_keys(head: list[str], values: dict[str, str]) -> list[str]:
    """Replace top-level ``key:`` entries (and their continuation lines), append new ones."""
    kept: list[str] = []
    skipping = False
    for line in head:
        key = line.split(":", 1)[0].strip() if not line[:1].isspace() else None
        if key is not None:
            skipping = key in values
        elif skipping:
            continue  # an indented continuation of a key being replaced
        if not skipping:
            kept.append(line)
    dumped = yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1_000_000,
                            default_flow_style=False)
    return [*kept, dumped]


def _player(video_id: str, url: str, title: str, local: str | None) -> str:
    """A responsive 9:16 player (the box keeps its shape at any width) and plain links."""
    src = f"https://www.youtube-nocookie.com/embed/{video_id}"
    links = [f'<a href="{html.escape(url)}">Watch on YouTube</a>']
    if local:
        links.append(f'<a class="releasecast-local-video" href="{html.escape(local)}">'
                     "Download the reel (MP4)</a>")
    return (
        '<div class="releasecast-youtube" style="position:relative;width:100%;max-width:360px;'
        'aspect-ratio:9/16;margin:0 auto">\n'
        f'  <iframe src="{src}" title="{html.escape(title)}" loading="lazy" '
        'style="position:absolute;top:0;left:0;width:100%;height:100%;border:0" '
        'allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; '
        'picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" '
        "allowfullscreen></iframe>\n"
        "</div>\n"
        f'<p class="releasecast-video-links">{" · ".join(links)}</p>\n'
    )


def _local_video(block: str) -> str | None:
    found = _LOCAL_VIDEO.search(block) or _MARKDOWN_VIDEO_LINK.search(block)
    return html.unescape(found.group(1)) if found else None


def embed_youtube(post_path: Path, video_id: str, url: str) -> None:
    """Record the video in the post's front matter and embed its player in the video block.

    The block between ``<!-- releasecast:video -->`` and ``<!-- /releasecast:video -->``
    becomes the player plus a link to the local reel when the block had one (a post without
    the markers gets the block appended). Running it again changes nothing.
    """
    if not _VIDEO_ID.fullmatch(video_id):
        raise PublishError(f"YouTube returned an unexpected video id {video_id!r}")
    post = _read(post_path)
    original = post.text()
    title = str(post.data.get("title") or "Release video")
    post.head = _set_keys(post.head, {"youtube_id": video_id, "youtube_url": url})
    start = post.body.find(VIDEO_START)
    end = post.body.find(VIDEO_END, start + len(VIDEO_START)) if start >= 0 else -1
    if start >= 0 and end >= 0:
        block = post.body[start + len(VIDEO_START):end]
        player = _player(video_id, url, title, _local_video(block))
        post.body = (post.body[:start] + VIDEO_START + "\n" + player + post.body[end:])
    else:
        player = _player(video_id, url, title, None)
        post.body = post.body.rstrip("\n") + f"\n\n{VIDEO_START}\n{player}{VIDEO_END}\n"
    text = post.text()
    check = _parse(post_path, text).data
    if check.get("youtube_id") != video_id or check.get("youtube_url") != url:
        raise PublishError(f"{post_path}: could not record the YouTube video in its front matter")
    if text != original:
        _replace(post_path, text)


def _replace(path: Path, text: str) -> None:
    """Write next to the post, then rename over it: readers see the old or the new file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
