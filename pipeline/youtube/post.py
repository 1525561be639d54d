"""The YouTube video a post records: front matter ``youtube_id``/``youtube_url``.

The post's front matter is where the next run looks before uploading, so a re-run for the same
release never spends quota on a second video. The site stage writes these keys (and the
player) when it renders the post; this module only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, PublishError

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")


@dataclass(frozen=True)
class RecordedVideo:
    id: str
    url: str

    def __post_init__(self) -> None:
        # The id goes into an embed URL and the post's HTML: only YouTube's alphabet.
        if not _VIDEO_ID.fullmatch(self.id):
            raise PublishError(f"YouTube returned an unexpected video id {self.id!r}")

    def player(self) -> dict[str, str]:
        """What the post template's player needs."""
        return {"id": self.id, "url": self.url,
                "embed_url": f"https://www.youtube-nocookie.com/embed/{self.id}"}


def _front_matter(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"post not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the post ({exc})") from None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise InputError(f"{path}: not a Jekyll post (no front matter)")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            try:
                data = yaml.safe_load("".join(lines[1:index])) if index > 1 else {}
            except yaml.YAMLError:
                raise InputError(f"{path}: its front matter is not valid YAML") from None
            return data if isinstance(data, dict) else {}
    raise InputError(f"{path}: its front matter has no closing '---'")


def recorded_video(post: Path) -> RecordedVideo | None:
    """The video an earlier run recorded in the post, if any."""
    data = _front_matter(post)
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
