"""The API calls of one publication: the duplicate check, the upload, and the extras."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from ..errors import PublishError
from ..retry import RetryPolicy
from .client import ReplayableFileUpload as _Upload
from .client import api_error, call, explain, upload_resumable
from .config import CredentialNames, YouTubeOptions
from .metadata import VideoMetadata

log = logging.getLogger("releasecast.youtube")

THUMBNAIL_LIMIT = 2 * 1024 * 1024  # bytes: YouTube's limit for custom thumbnails
RECENT_UPLOADS = 50  # how far back the channel is searched for an unrecorded upload
CAPTION_TRACK_NAME = "Narration"
_VERIFY_HELP = "verify the channel at https://www.youtube.com/verify"


class YouTubeSession:
    """The calls of one publication, each under the retry policy; ``step`` names the current
    one so an error can say what was being done."""

    def __init__(self, youtube: Any, retry: RetryPolicy, note: Callable[[str], None],
                 names: CredentialNames | None = None) -> None:
        self.youtube = youtube
        self.retry = retry
        self.note = note
        self.names = names or CredentialNames()
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

    def add_extras(self, video_id: str, *, captions: Mapping[str, Path],
                   thumbnail: Path | None, playlist_id: str | None, fresh: bool) -> None:
        """Captions, thumbnail, playlist. Their failures are warnings: the video is up.

        For an adopted video (``fresh`` false) an earlier run may have done some of this, so
        what exists is looked up first; inserts retried after an ambiguous failure check too.
        """
        self._try(lambda: self.add_captions(video_id, captions, fresh))
        if thumbnail is not None:
            self._try(lambda: self.set_thumbnail(video_id, thumbnail))
        if playlist_id:
            self._try(lambda: self.add_to_playlist(video_id, playlist_id, fresh))

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
                self.note(str(explain(exc, self.step, self.names)))

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

            def insert(body: dict[str, Any] = body, path: Path = path,
                       mimetype: str = mimetype) -> Any:
                return self.youtube.captions().insert(
                    part="snippet", body=body,
                    media_body=MediaFileUpload(str(path), mimetype=mimetype))

            self._call(f"adding {lang} captions", insert, already_done=done)

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

