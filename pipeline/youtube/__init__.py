"""Publishing the reel to YouTube, exactly once, through network faults.

:func:`publish_to_youtube` uploads the reel with the resumable protocol (chunks, resume from
what the server holds, bounded backoff) and adds caption tracks, the thumbnail and a playlist
entry. It runs before the post is written: the site stage then records the video in the post
(front matter ``youtube_id``/``youtube_url`` and an embedded player).

Exactly once, in four layers:

1. **The post.** A video recorded in the post's front matter is never uploaded again; the site
   stage keeps these keys when it rebuilds the post, so a re-run of the workflow stops here
   without spending quota.
2. **The upload session.** Within a run, a lost answer to the last chunk is recovered by the
   protocol itself: the status query after the failure returns the created video.
3. **The channel.** If a run died after YouTube created the video but before the post was
   committed, the next run finds it among the channel's latest uploads by a tag unique to the
   release (``releasecast-<hash of repository@tag>``) and adopts it. This costs 3 quota units
   (channels.list, playlistItems.list, videos.list) against 100 for ``search.list``, and the
   uploads playlist lists a new video without the delay of the search index.
4. **Each insert.** A caption track or playlist entry whose answer was lost is looked up before
   it is sent again; the HTTP layer never re-sends such a request by itself
   (:class:`pipeline.youtube.client.OnceHttp`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, PublishError
from ..retry import RetryPolicy
from ..structure import ReleaseFacts, Story
from .config import Transport, YouTubeAuth, YouTubeOptions
from .metadata import VideoMetadata, is_short, render_metadata
from .post import RecordedVideo, recorded_video, watch_url

log = logging.getLogger("releasecast.youtube")

__all__ = [
    "RecordedVideo",
    "ReelUpload",
    "Transport",
    "YouTubeAuth",
    "YouTubeOptions",
    "YouTubeVideo",
    "publish_to_youtube",
    "recorded_video",
]

_AUDIT_HELP = (
    "API projects that have not passed YouTube's compliance audit can only upload private "
    "videos (projects created after 28 July 2020); apply at "
    "https://support.google.com/youtube/contact/yt_api_form, or change the visibility in "
    "YouTube Studio"
)


@dataclass(frozen=True)
class ReelUpload:
    """What to publish: the reel, the release it is about, and the post of an earlier run (it
    may record the video already)."""

    video: Path
    post: Path | None
    facts: ReleaseFacts
    story: Story
    duration: float
    width: int = 1080
    height: int = 1920
    captions: Mapping[str, Path] = field(default_factory=dict)  # language -> VTT/SRT file
    thumbnail: Path | None = None
    post_url: str | None = None  # absolute URL of the post, for the description


@dataclass
class YouTubeVideo:
    id: str
    url: str
    created: bool  # False: an earlier run's video was found (post or channel)
    privacy: str | None = None  # as YouTube reports it (None when not asked)
    warnings: list[str] = field(default_factory=list)

    @property
    def record(self) -> RecordedVideo:
        """What the post records (the site stage writes it)."""
        return RecordedVideo(self.id, self.url)


def publish_to_youtube(
    upload: ReelUpload,
    auth: YouTubeAuth,
    options: YouTubeOptions | None = None,
    *,
    transport: Transport | None = None,
    retry: RetryPolicy | None = None,
    warn: Callable[[str], None] | None = None,
) -> YouTubeVideo:
    """Upload the reel unless this release already has its video (in the post or among the
    channel's uploads); nothing is written here."""
    options = options or YouTubeOptions()
    from .client import YOUTUBE_RETRY

    retry = retry or YOUTUBE_RETRY
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        (warn or log.warning)(message)

    recorded = recorded_video(upload.post) if upload.post is not None else None
    if recorded is not None and upload.post is not None:
        log.info("YouTube: %s already has video %s; not uploading again", upload.post.name,
                 recorded.id)
        return YouTubeVideo(recorded.id, recorded.url, created=False, warnings=warnings)

    _check_files(upload)
    metadata = render_metadata(
        upload.facts, upload.story, post_url=upload.post_url,
        short=is_short(upload.duration, upload.width, upload.height),
        privacy=options.privacy, publish_at=options.publish_at, templates=options.templates,
    )
    try:  # the Google libraries come with the `youtube` extra, imported only when used
        from .client import build_youtube, explain
        from .session import YouTubeSession
    except ImportError as exc:
        raise InputError(f"YouTube upload needs the youtube extra ({exc.name} is missing): "
                         "pip install 'releasecast[youtube]'") from None
    session = YouTubeSession(build_youtube(auth, transport), retry, note, auth.names)
    try:
        existing = session.find_upload(metadata.marker)
        if existing is not None:
            note(f"YouTube: found video {existing['id']} of this release among the channel's "
                 "uploads (an earlier run did not record it); using it instead of uploading")
            resource, created = existing, False
        else:
            resource, created = session.upload(upload.video, metadata, options), True
        video = YouTubeVideo(resource["id"], watch_url(resource["id"]), created,
                             resource.get("status", {}).get("privacyStatus"), warnings)
        if created:
            _check_status(resource, metadata, note)
        session.add_extras(video.id, captions=upload.captions, thumbnail=upload.thumbnail,
                           playlist_id=options.playlist_id, fresh=created)
    except PublishError:
        raise
    except Exception as exc:
        raise explain(exc, session.step, auth.names) from None
    log.info("YouTube: %s %s", "uploaded" if video.created else "recorded", video.url)
    return video


def _check_files(upload: ReelUpload) -> None:
    if not upload.video.is_file():
        raise InputError(f"YouTube: the reel {upload.video} does not exist")
    for lang, path in upload.captions.items():
        if not path.is_file():
            raise InputError(f"YouTube: caption file for {lang!r} not found: {path}")


def _check_status(resource: dict[str, Any], metadata: VideoMetadata,
                  note: Callable[[str], None]) -> None:
    status = resource.get("status", {})
    wanted = "private" if metadata.publish_at else metadata.privacy
    got = status.get("privacyStatus")
    if got and got != wanted:
        note(f"YouTube: video {resource['id']} is {got!r}, not {wanted!r} as requested: "
             + _AUDIT_HELP)
    if status.get("uploadStatus") in ("rejected", "failed"):
        why = status.get("rejectionReason") or status.get("failureReason") or "no reason given"
        note(f"YouTube: video {resource['id']} was {status['uploadStatus']} ({why})")


