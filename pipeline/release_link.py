"""The short "read the post / watch the video" line releasecast keeps in a release's body.

The line sits between two HTML comments, invisible in the rendered release, so a re-run finds
and replaces it in place (never a second copy) and leaves every other character of the body
as its author wrote it. The same markers are removed from the body before the release notes
are read, so the line never feeds back into the post or into the post's content hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

START = "<!-- releasecast:links -->"
END = "<!-- /releasecast:links -->"
_BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
# A block and the blank lines that separated it from the author's text.
_BLOCK_WITH_GAP = re.compile(r"(?:\r?\n)*" + _BLOCK.pattern + r"[ \t]*", re.S)


def link_line(post_url: str, video_url: str | None = None) -> str:
    """The Markdown line itself: the post, and the video when there is one."""
    line = f"**Release post:** [read it]({post_url})"
    if video_url:
        line += f" · [watch the video]({video_url})"
    return line


def without_links(body: str | None) -> str:
    """The body as its author wrote it: every releasecast block taken out."""
    return _BLOCK_WITH_GAP.sub("", body or "")


def with_links(body: str | None, post_url: str, video_url: str | None = None) -> str:
    """The body with exactly one releasecast block: the first one replaced in place, any
    later copy removed, or a new one appended after a blank line."""
    text = body or ""
    block = f"{START}\n{link_line(post_url, video_url)}\n{END}"
    first = _BLOCK.search(text)
    if first is None:
        return (text.rstrip() + "\n\n" + block) if text.strip() else block
    head, tail = text[:first.start()], text[first.end():]
    return head + block + without_links(tail)


def notes_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A release event as the facts read it: the release's body without its link line (the
    Action and the App both hand their payload through this before reading notes).

    Trailing whitespace goes too: adding the line drops the author's final newline, and a body
    that differed by it alone would be new facts, so the post would be rendered again."""
    release = dict(event.get("release") or {})
    release["body"] = without_links(release.get("body")).rstrip()
    return {**event, "release": release}
