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
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from ..errors import InputError, PublishError
from ..structure import ReleaseFacts, Story
from .youtube_client import (
    CHUNK_GRANULARITY,
    GOOGLE_TOKEN_URI,
    RetryPolicy,
    Transport,
    YouTubeAuth,
    api_error,
    build_youtube,
    call,
    explain,
    upload_resumable,
)
from .youtube_client import ReplayableFileUpload as _Upload
from .youtube_metadata import PRIVACY_STATUSES, VideoMetadata, is_short, render_metadata
from .youtube_post import RecordedVideo, embed_youtube, recorded_video, watch_url

log = logging.getLogger("releasecast.youtube")

__all__ = [
    "INPUT_NAMES",
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

THUMBNAIL_LIMIT = 2 * 1024 * 1024  # bytes: YouTube's limit for custom thumbnails
RECENT_UPLOADS = 50  # how far back the channel is searched for an unrecorded upload
CAPTION_TRACK_NAME = "Narration"
_VERIFY_HELP = "verify the channel at https://www.youtube.com/verify"
_AUDIT_HELP = (
    "API projects that have not passed YouTube's compliance audit can only upload private "
    "videos (projects created after 28 July 2020); apply at "
    "https://support.google.com/youtube/contact/yt_api_form, or change the visibility in "
    "YouTube Studio"
)


@dataclass(frozen=True)
class YouTubeOptions:
    privacy: str = "private"
    publish_at: datetime | None = None  # schedule: private until then, then public
    playlist_id: str | None = None
    notify_subscribers: bool = True
    chunk_size: int = 8 * 1024 * 1024  # bytes per request; a multiple of 256 KiB
    templates: Path | None = None  # directory overriding youtube_description.txt.j2

    def __post_init__(self) -> None:
        if self.privacy not in PRIVACY_STATUSES:
            raise InputError(f"youtube-privacy: expected one of {', '.join(PRIVACY_STATUSES)}, "
                             f"got {self.privacy!r}")
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_GRANULARITY:
            raise InputError(f"YouTube chunk size must be a positive multiple of 256 KiB "
                             f"({CHUNK_GRANULARITY} bytes), got {self.chunk_size}")
        if self.publish_at is not None:
            if self.publish_at.tzinfo is None:
                raise InputError("youtube-publish-at: give a time zone, e.g. "
                                 "2025-06-01T09:00:00Z")
            if self.publish_at <= datetime.now(UTC):
                raise InputError(f"youtube-publish-at: {self.publish_at.isoformat()} is in the "
                                 "past; give a future time or leave it empty")


def options_from_inputs(privacy: str = "", playlist: str = "", publish_at: str = "",
                        **extra: Any) -> YouTubeOptions:
    """Options from the Action's text inputs (empty means the default).

    ``playlist`` may be a playlist id or its URL (``...playlist?list=PL...``).
    """
    when = None
    if publish_at.strip():
        try:
            when = datetime.fromisoformat(publish_at.strip())
        except ValueError:
            raise InputError(f"youtube-publish-at: expected an ISO 8601 time such as "
                             f"2025-06-01T09:00:00Z, got {publish_at!r}") from None
    playlist = playlist.strip()
    if playlist.startswith(("http://", "https://")):
        playlist = parse_qs(urlsplit(playlist).query).get("list", [""])[0]
        if not playlist:
            raise InputError("youtube-playlist: the URL has no list=... parameter")
    return YouTubeOptions(privacy=privacy.strip().lower() or "private", publish_at=when,
                          playlist_id=playlist or None, **extra)


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
    youtube = build_youtube(auth, transport or Transport())
    session = _Session(youtube, retry, note)
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
        session.add_extras(video.id, upload, options, fresh=created)
    except PublishError:
        raise
    except Exception as exc:
        raise explain(exc, session.step) from None
    embed_youtube(upload.post, video.id, video.url)
    log.info("YouTube: %s %s", "uploaded" if video.created else "recorded", video.url)
    return video


SECRET_INPUTS = ("youtube-client-id", "youtube-client-secret", "youtube-refresh-token")
INPUT_NAMES = (*SECRET_INPUTS, "youtube-privacy", "youtube-playlist", "youtube-publish-at")
# Advanced, for tests and proxies: another API endpoint and token URI. A private CA bundle is
# given with httplib2's own HTTPLIB2_CA_CERTS.
ENDPOINT_ENV = "RELEASECAST_YOUTUBE_API_ENDPOINT"
TOKEN_URI_ENV = "RELEASECAST_YOUTUBE_TOKEN_URI"


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
    def from_inputs(cls, text: Callable[[str], str],
                    env: Mapping[str, str] | None = None) -> YouTubeStep | None:
        """None when no YouTube secret is given (the step is off); an error naming the missing
        input when only some are. ``text(name)`` returns an input's value, "" when unset."""
        import os

        env = os.environ if env is None else env
        values = {name: text(name).strip() for name in INPUT_NAMES}
        secrets = [values[name] for name in SECRET_INPUTS]
        if not any(secrets):
            return None
        token_uri = env.get(TOKEN_URI_ENV) or GOOGLE_TOKEN_URI
        auth = YouTubeAuth(*secrets, token_uri=token_uri)  # names what is missing
        options = options_from_inputs(privacy=values["youtube-privacy"],
                                      playlist=values["youtube-playlist"],
                                      publish_at=values["youtube-publish-at"])
        return cls(auth, options, Transport(api_endpoint=env.get(ENDPOINT_ENV) or None,
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


class _Session:
    """The calls of one publication, each under the retry policy; ``step`` names the current
    one so an error can say what was being done."""

    def __init__(self, youtube: Any, retry: RetryPolicy, note: Callable[[str], None]) -> None:
        self.youtube = youtube
        self.retry = retry
        self.note = note
        self.step = "connecting"

    def _call(self, what: str, request: Callable[[], Any],
              already_done: Callable[[], Any] | None = None) -> Any:
        self.step = what
        return call(lambda: request().execute(num_retries=0), what=what, policy=self.retry,
                    already_done=already_done)

    def find_upload(self, marker: str) -> dict[str, Any] | None:
        """The channel's recent upload tagged with ``marker``, if there is one."""
        channels = self._call("looking up the channel", lambda: self.youtube.channels().list(
            part="contentDetails", mine=True))
        items = channels.get("items") or []
        if not items:
            raise PublishError("YouTube: the Google account of the refresh token has no "
                               "channel; create one at https://www.youtube.com/create_channel")
        uploads = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
        listing = self._call("listing recent uploads", lambda: self.youtube.playlistItems().list(
            part="contentDetails", playlistId=uploads, maxResults=RECENT_UPLOADS))
        ids = [i["contentDetails"]["videoId"] for i in listing.get("items", [])]
        if not ids:
            return None
        videos = self._call("reading recent uploads", lambda: self.youtube.videos().list(
            part="snippet,status", id=",".join(ids)))
        for video in videos.get("items", []):
            if marker in video.get("snippet", {}).get("tags", []):
                return video
        return None

    def upload(self, path: Path, metadata: VideoMetadata, options: YouTubeOptions
               ) -> dict[str, Any]:
        media = _Upload(str(path), mimetype="video/mp4", chunksize=options.chunk_size,
                        resumable=True)
        request = self.youtube.videos().insert(
            part="snippet,status", body=metadata.resource(),
            notifySubscribers=options.notify_subscribers, media_body=media)
        size = path.stat().st_size
        self.step = "upload"
        log.info("YouTube: uploading %s (%.1f MiB) as %r, %s", path.name, size / 2**20,
                 metadata.title, "scheduled " + metadata.resource()["status"]["publishAt"]
                 if metadata.publish_at else metadata.privacy)

        def progress(sent: int, total: int) -> None:
            log.info("YouTube: %d of %d bytes stored (%.0f %%)", sent, total, 100 * sent / total)

        return upload_resumable(request, policy=self.retry, on_progress=progress)

    def add_extras(self, video_id: str, upload: ReelUpload, options: YouTubeOptions, *,
                   fresh: bool) -> None:
        """Captions, thumbnail, playlist. Their failures are warnings: the video is up.

        For an adopted video (``fresh`` false) an earlier run may have done some of this, so
        what exists is looked up first; inserts retried after an ambiguous failure check too.
        """
        self._try(lambda: self.add_captions(video_id, upload.captions, fresh))
        if upload.thumbnail is not None:
            self._try(lambda: self.set_thumbnail(video_id, upload.thumbnail))
        if options.playlist_id:
            self._try(lambda: self.add_to_playlist(video_id, options.playlist_id, fresh))

    def _try(self, action: Callable[[], None]) -> None:
        try:
            action()
        except PublishError as exc:
            self.note(str(exc))
        except Exception as exc:
            if _is_unverified_thumbnail(exc):
                self.note("YouTube: the custom thumbnail was refused (403): channels may set "
                          f"custom thumbnails once verified; {_VERIFY_HELP}. The video is "
                          "published with YouTube's automatic thumbnail")
            else:
                self.note(str(explain(exc, self.step)))

    def caption_languages(self, video_id: str) -> set[str]:
        listing = self._call("listing caption tracks", lambda: self.youtube.captions().list(
            part="snippet", videoId=video_id))
        return {i["snippet"]["language"] for i in listing.get("items", [])
                if i.get("snippet", {}).get("name") == CAPTION_TRACK_NAME}

    def add_captions(self, video_id: str, captions: Mapping[str, Path], fresh: bool) -> None:
        existing = set() if fresh or not captions else self.caption_languages(video_id)
        for lang, path in captions.items():
            if lang in existing:
                continue
            mimetype = "text/vtt" if path.suffix.lower() == ".vtt" else "application/x-subrip"
            body = {"snippet": {"videoId": video_id, "language": lang,
                                "name": CAPTION_TRACK_NAME, "isDraft": False}}

            def done(lang: str = lang) -> bool | None:
                return True if lang in self.caption_languages(video_id) else None

            self._call(f"adding {lang} captions", lambda body=body, path=path, mimetype=mimetype:
                       self.youtube.captions().insert(part="snippet", body=body,
                                                      media_body=MediaFileUpload(
                                                          str(path), mimetype=mimetype)),
                       already_done=done)

    def set_thumbnail(self, video_id: str, image: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = _thumbnail_file(image, Path(tmp))
            mimetype = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
            # thumbnails.set replaces the thumbnail: repeating it is harmless
            self._call("setting the thumbnail", lambda: self.youtube.thumbnails().set(
                videoId=video_id, media_body=MediaFileUpload(str(path), mimetype=mimetype)))

    def add_to_playlist(self, video_id: str, playlist_id: str, fresh: bool) -> None:
        def present() -> bool | None:
            listing = self._call("checking the playlist", lambda: self.youtube.playlistItems()
                                 .list(part="id", playlistId=playlist_id, videoId=video_id))
            return True if listing.get("items") else None

        if not fresh and present():
            return
        body = {"snippet": {"playlistId": playlist_id,
                            "resourceId": {"kind": "youtube#video", "videoId": video_id}}}
        self._call(f"adding the video to playlist {playlist_id}",
                   lambda: self.youtube.playlistItems().insert(part="snippet", body=body),
                   already_done=present)


def _is_unverified_thumbnail(exc: BaseException) -> bool:
    return isinstance(exc, HttpError) and api_error(exc).status == 403 and \
        api_error(exc).reason == "forbidden"


def _thumbnail_file(image: Path, tmp: Path) -> Path:
    """The image itself when YouTube takes it, else a JPEG of it within 2 MB."""
    if image.stat().st_size <= THUMBNAIL_LIMIT and image.suffix.lower() in (".png", ".jpg",
                                                                            ".jpeg"):
        return image
    from PIL import Image

    target = tmp / "thumbnail.jpg"
    with Image.open(image) as source:
        picture = source.convert("RGB")
        picture.thumbnail((1280, 1280))
        for quality in (90, 80, 70, 60):
            picture.save(target, "JPEG", quality=quality, optimize=True)
            if target.stat().st_size <= THUMBNAIL_LIMIT:
                return target
    raise PublishError(f"YouTube: the thumbnail {image.name} cannot be brought under 2 MB")

