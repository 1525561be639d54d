"""The request to publish a release, as the Action's inputs and the App's ``app:`` section
(``Config.app``) both say it. Plain data with its validation; :mod:`pipeline.plan` decides what
it means for one event. Depends on nothing else in the package, so the config can hold it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

if TYPE_CHECKING:
    from .youtube.config import YouTubeOptions

PublishMode = Literal["push", "pull-request"]
VideoStorage = Literal["repository", "release-asset", "none"]
PRIVACY_STATUSES = ("private", "unlisted", "public")  # YouTube's privacyStatus values

OWNER_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class YouTubeRequest(BaseModel):
    """Upload the reel to YouTube: how it is shown. The credentials are the shell's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    privacy: str = "private"
    playlist: str | None = None  # a playlist id, or its URL (...playlist?list=PL...)
    publish_at: datetime | None = None  # schedule: private until then, then public

    @field_validator("privacy", mode="before")
    @classmethod
    def _privacy(cls, value: Any) -> Any:
        text = str(value or "").strip().lower() or "private"
        if text not in PRIVACY_STATUSES:
            raise ValueError(f"expected one of {', '.join(PRIVACY_STATUSES)}, got {value!r}")
        return text

    @field_validator("playlist", mode="before")
    @classmethod
    def _playlist(cls, value: Any) -> Any:
        text = str(value or "").strip()
        if text.startswith(("http://", "https://")):
            text = parse_qs(urlsplit(text).query).get("list", [""])[0]
            if not text:
                raise ValueError("the URL has no list=... parameter")
        return text or None

    @field_validator("publish_at", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        if value is None or isinstance(value, datetime):
            when = value
        elif not str(value).strip():
            return None
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError(f"expected an ISO 8601 time such as 2025-06-01T09:00:00Z, "
                                 f"got {value!r}") from None
        if when is None:
            return None
        if when.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2025-06-01T09:00:00Z")
        if when <= datetime.now(UTC):
            raise ValueError(f"{when.isoformat()} is in the past; give a future time or "
                             "leave it empty")
        return when

    def options(self) -> YouTubeOptions:
        from .youtube.config import YouTubeOptions

        return YouTubeOptions(privacy=self.privacy, publish_at=self.publish_at,
                              playlist_id=self.playlist)


class PublishRequest(BaseModel):
    """"Publish this release": the Action's inputs and the App's ``app:`` section, alike."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blog_repository: str | None = None  # OWNER/NAME; default: the released repository
    blog_branch: str | None = None  # default: the Pages branch, else the remote's default
    blog_remote_url: str | None = None  # default: <server>/<blog_repository>.git
    site_path: str = "."  # the Jekyll site inside the blog repository
    publish_mode: PublishMode = "push"
    video_storage: VideoStorage = "repository"
    include_prereleases: bool = False  # or the config's top-level include_prereleases
    dry_run: bool = False  # build, but commit, push and upload nothing
    youtube: YouTubeRequest | None = None  # absent: no upload
    create_site: bool = False  # start a blank Jekyll site where site_path has none
    release_link: bool = False  # keep a link to the post and video in the release's body
    request_pages_build: bool = False  # ask the Pages API to build the site after a push
    pages_workflow: str | None = None  # a workflow file to dispatch after a push (Pages)

    @field_validator("blog_repository", "blog_branch", "blog_remote_url", "pages_workflow",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("blog_repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not OWNER_NAME.fullmatch(value):
            raise ValueError(f"expected OWNER/NAME, got {value!r}")
        return value

    @field_validator("blog_remote_url")
    @classmethod
    def _remote(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A local path or file:// remote is for a workflow author's own machine and tests;
        # where the request comes from a repository (the App), only HTTP(S) remotes are taken.
        local_ok = bool((info.context or {}).get("local_remotes"))
        if value is not None and not local_ok and urlsplit(value).scheme not in ("https",
                                                                                 "http"):
            raise ValueError(f"expected an https:// Git URL, got {value!r}")
        return value

    @field_validator("site_path", mode="before")
    @classmethod
    def _inside(cls, value: Any) -> Any:
        text = str(value or "").strip() or "."
        path = PurePosixPath(text)
        if path.is_absolute() or ".." in path.parts or "\\" in text:
            raise ValueError(f"expected a path inside the blog repository, got {text!r}")
        return text
