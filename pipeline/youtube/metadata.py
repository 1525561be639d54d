"""The video's title, description, tags and status, from ``youtube_description.txt.j2``.

YouTube refuses metadata outside its documented limits (title 100 characters, description 5000
bytes, no ``<`` or ``>`` in either, tags 500 characters in all), so everything a template or a
release author writes is brought within them here rather than failing the upload.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from ..errors import InputError
from ..story.plain import plain_text, shorten
from ..structure import ReleaseFacts, Story
from ..templating import environment

TEMPLATE = "youtube_description.txt.j2"
TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 5000  # bytes of UTF-8
TAGS_LIMIT = 500
SHORTS_MAX_SECONDS = 60.0
SHORTS_TAG = "#Shorts"
SCIENCE_AND_TECHNOLOGY = "28"
_ANGLES = str.maketrans({"<": "‹", ">": "›"})


@dataclass(frozen=True)
class VideoMetadata:
    title: str
    description: str
    tags: list[str]
    marker: str  # a tag unique to the release: finds an upload whose result was lost
    language: str
    privacy: str = "private"
    publish_at: datetime | None = None
    category_id: str = SCIENCE_AND_TECHNOLOGY
    is_short: bool = False

    def resource(self) -> dict[str, Any]:
        """The ``video`` resource for ``videos.insert`` (parts snippet and status)."""
        status: dict[str, Any] = {
            "privacyStatus": self.privacy,
            "selfDeclaredMadeForKids": False,
            "embeddable": True,
            "license": "youtube",
        }
        if self.publish_at is not None:
            status["privacyStatus"] = "private"  # YouTube publishes it at publishAt
            status["publishAt"] = self.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "snippet": {
                "title": self.title,
                "description": self.description,
                "tags": self.tags,
                "categoryId": self.category_id,
                "defaultLanguage": self.language,
                "defaultAudioLanguage": self.language,
            },
            "status": status,
        }


def release_marker(facts: ReleaseFacts) -> str:
    """A tag that names this release (repository and tag) without showing it to viewers."""
    key = f"{facts.repository.full_name}@{facts.tag}".lower()
    return "releasecast-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def is_short(duration: float, width: int, height: int) -> bool:
    """YouTube treats a vertical (or square) video of at most 60 s as a Short."""
    return duration <= SHORTS_MAX_SECONDS and height >= width


def _plain(text: str) -> str:
    return plain_text(str(text)).translate(_ANGLES)


def _hashtag(text: str) -> str:
    word = re.sub(r"[^\w]", "", str(text))
    return f"#{word}" if word else ""


def render_metadata(
    facts: ReleaseFacts,
    story: Story,
    *,
    post_url: str | None,
    short: bool,
    privacy: str = "private",
    publish_at: datetime | None = None,
    templates: Path | None = None,
) -> VideoMetadata:
    env = environment(templates)
    env.filters.update(plain=_plain, hashtag=_hashtag)
    context = {"facts": facts, "story": story, "post_url": post_url,
               "release_url": facts.url, "is_short": short}
    try:
        module = env.get_template(TEMPLATE).make_module(context)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)  # syntax errors know where they are
        where = f" line {line}" if line else ""
        raise InputError(f"{TEMPLATE}{where}: {exc.message}") from None
    title = str(getattr(module, "title", "") or story.title)
    marker = release_marker(facts)
    return VideoMetadata(
        title=_title(title, short, fallback=facts.title),
        description=_description(str(module), short),
        tags=_tags([marker, *story.tags, facts.repository.name, "release"]),
        marker=marker,
        language=story.language,
        privacy=privacy,
        publish_at=publish_at,
        is_short=short,
    )


def _title(text: str, short: bool, *, fallback: str) -> str:
    title = " ".join(text.translate(_ANGLES).split()) or " ".join(fallback.split())
    if short and SHORTS_TAG.lower() not in title.lower():
        with_tag = f"{title} {SHORTS_TAG}"
        if len(with_tag) <= TITLE_LIMIT:
            return with_tag
    return shorten(title, TITLE_LIMIT)


def _description(text: str, short: bool) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text.translate(_ANGLES)).strip()
    if short and SHORTS_TAG.lower() not in text.lower():
        text = f"{text}\n\n{SHORTS_TAG}"
    data = text.encode("utf-8")
    if len(data) <= DESCRIPTION_LIMIT:
        return text
    ellipsis = "…"
    cut = data[: DESCRIPTION_LIMIT - len(ellipsis.encode())].decode("utf-8", "ignore")
    return cut.rstrip() + ellipsis


def _tags(candidates: list[str]) -> list[str]:
    """Unique tags within YouTube's 500-character budget (a tag with a space counts its
    quotes, and tags are separated by commas); earlier tags win."""
    tags: list[str] = []
    seen: set[str] = set()
    used = 0
    for raw in candidates:
        tag = " ".join(re.sub(r'[<>,"]', " ", str(raw)).split())[:100]
        if not tag or tag.lower() in seen:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + (1 if tags else 0)
        if used + cost > TAGS_LIMIT:
            continue
        tags.append(tag)
        seen.add(tag.lower())
        used += cost
    return tags
