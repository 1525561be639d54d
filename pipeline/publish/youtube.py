"""Publishing the reel to YouTube, exactly once, through network faults.

:func:`publish_to_youtube` uploads the reel with the resumable protocol (chunks, resume from
what the server holds, bounded backoff), adds caption tracks, the thumbnail and a playlist
entry, and records the video in the post (front matter ``youtube_id``/``youtube_url`` and an
embedded player).

Exactly once, in three layers:

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
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import InputError, PublishError
from ..structure import ReleaseFacts, Story
from .youtube_config import (
    ENDPOINT_ENV,
    GOOGLE_TOKEN_URI,
    INPUT_NAMES,
    TOKEN_URI_ENV,
    RetryPolicy,
    Transport,
    YouTubeAuth,
    YouTubeOptions,
    options_from_inputs,
)
from .youtube_metadata import VideoMetadata, is_short, render_metadata
from .youtube_post import RecordedVideo, embed_youtube, recorded_video, watch_url

log = logging.getLogger("releasecast.youtube")

__all__ = [
    "ENDPOINT_ENV",
    "INPUT_NAMES",
    "TOKEN_URI_ENV",
    "RecordedVideo",
    "ReelUpload",
    "RetryPolicy",
    "Transport",
    "YouTubeAuth",
    "YouTubeOptions",
    "YouTubeStep",
    "YouTubeVideo",
    "embed_youtube",
    "options_from_inputs",
    "publish_to_youtube",
    "recorded_video",
    "upload_from_build",
]

_AUDIT_HELP = (
    "API projects that have not passed YouTube's compliance audit can only upload private "
    "videos (projects created after 28 July 2020); apply at "
    "https://support.google.com/youtube/contact/yt_api_form, or change the visibility in "
    "YouTube Studio"
)


@dataclass(frozen=True)
class ReelUpload:
    """What to publish: the reel, the post that records it, and the release it is about."""

    video: Path
    post: Path
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


def upload_from_build(build: Any, *, post_url: str | None = None,
                      video: Path | None = None) -> ReelUpload:
    """The upload for a :class:`pipeline.build.BuildResult` (before its cleanup)."""
    reel = build.reel
    if reel is None:
        raise InputError("YouTube: this build made no reel (reel.enabled is false)")
    captions: dict[str, Path] = {}
    for lang, track in {reel.language: reel, **build.dubs}.items():
        path = track.captions_vtt or track.captions_srt
        if path is not None:
            captions[lang] = path
    covers = [p for p in build.output.images if p.name == "cover.png"]
    return ReelUpload(
        video=video or reel.video, post=build.site / build.output.post, facts=build.facts,
        story=build.story, duration=reel.duration, width=reel.width, height=reel.height,
        captions=captions, thumbnail=build.site / covers[0] if covers else None,
        post_url=post_url,
    )


def publish_to_youtube(
    upload: ReelUpload,
    auth: YouTubeAuth,
    options: YouTubeOptions | None = None,
    *,
    transport: Transport | None = None,
    retry: RetryPolicy | None = None,
    warn: Callable[[str], None] | None = None,
) -> YouTubeVideo:
    """Upload the reel unless this release already has its video; record it in the post."""
    options = options or YouTubeOptions()
    retry = retry or RetryPolicy()
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        (warn or log.warning)(message)

    recorded = recorded_video(upload.post)
    if recorded is not None:
        log.info("YouTube: %s already has video %s; not uploading again", upload.post.name,
                 recorded.id)
        embed_youtube(upload.post, recorded.id, recorded.url)  # a rebuilt post gets its player
        return YouTubeVideo(recorded.id, recorded.url, created=False, warnings=warnings)

    _check_files(upload)
    metadata = render_metadata(
        upload.facts, upload.story, post_url=upload.post_url,
        short=is_short(upload.duration, upload.width, upload.height),
        privacy=options.privacy, publish_at=options.publish_at, templates=options.templates,
    )
    try:  # the Google libraries come with the `youtube` extra, imported only when used
        from .youtube_client import build_youtube, explain
        from .youtube_session import YouTubeSession
    except ImportError as exc:
        raise InputError(f"YouTube upload needs the youtube extra ({exc.name} is missing): "
                         "pip install 'releasecast[youtube]'") from None
    session = YouTubeSession(build_youtube(auth, transport), retry, note)
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
        raise explain(exc, session.step) from None
    embed_youtube(upload.post, video.id, video.url)
    log.info("YouTube: %s %s", "uploaded" if video.created else "recorded", video.url)
    return video


class TextInputs(Protocol):
    """The Action's inputs (:class:`pipeline.runner.Inputs`)."""

    def text(self, name: str) -> str: ...


@dataclass
class YouTubeStep:
    """The YouTube part of a publishing run, configured from the Action's inputs.

    ``publish(build, post_url=...)`` runs between the build and the commit, so the post that
    is committed already records the video; ``video`` holds the result afterwards.
    """

    auth: YouTubeAuth
    options: YouTubeOptions
    transport: Transport = field(default_factory=Transport)
    video: YouTubeVideo | None = None

    @classmethod
    def from_inputs(cls, inputs: TextInputs,
                    env: Mapping[str, str] | None = None) -> YouTubeStep | None:
        """None when no YouTube secret is given (the step is off); an error naming the missing
        input when only some are. ``inputs.text(name)`` is an input's value, "" when unset."""
        env = os.environ if env is None else env
        client_id = inputs.text("youtube-client-id").strip()
        client_secret = inputs.text("youtube-client-secret").strip()
        refresh_token = inputs.text("youtube-refresh-token").strip()
        options = {"privacy": inputs.text("youtube-privacy"),
                   "playlist": inputs.text("youtube-playlist"),
                   "publish_at": inputs.text("youtube-publish-at")}
        if not (client_id or client_secret or refresh_token):
            return None
        auth = YouTubeAuth(client_id, client_secret, refresh_token,  # names what is missing
                           token_uri=env.get(TOKEN_URI_ENV) or GOOGLE_TOKEN_URI)
        return cls(auth, options_from_inputs(**options),
                   Transport(api_endpoint=env.get(ENDPOINT_ENV) or None,
                             ca_certs=env.get("HTTPLIB2_CA_CERTS") or None))

    def secrets(self) -> list[str]:
        """Values to mask in the runner's log."""
        return [self.auth.client_secret, self.auth.refresh_token]

    def publish(self, build: Any, *, post_url: str | None = None,
                warn: Callable[[str], None] | None = None) -> YouTubeVideo:
        self.video = publish_to_youtube(upload_from_build(build, post_url=post_url), self.auth,
                                        self.options, transport=self.transport, warn=warn)
        return self.video

    @property
    def url(self) -> str:
        return self.video.url if self.video else ""


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


