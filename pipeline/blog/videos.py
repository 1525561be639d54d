"""Where each reel goes, decided before the post is written.

Videos are kept out of Git when they must be: GitHub warns at 50 MiB and refuses files over
100 MiB, so a reel at or over ``max_video_bytes`` is never committed. With ``release-asset``
storage every reel goes to the release's assets and the post links there; with ``none`` the
post has no video and the reel stays in the work directory (for an upload elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable

from ..build import Rendered
from ..github_api import GitHubApi
from ..plan import VideoStorage

MAX_COMMITTED_VIDEO_BYTES = 50 * 1024 * 1024


def reel_name(language: str, original: str) -> str:
    """The reel's file name in the site (and, prefixed by the slug, as a release asset)."""
    return "reel.mp4" if language == original else f"reel.{language}.mp4"


def place_reels(rendered: Rendered, storage: VideoStorage, *, api: GitHubApi | None,
                dry_run: bool, note: Callable[[str], None],
                max_bytes: int = MAX_COMMITTED_VIDEO_BYTES,
                storage_setting: str = "video_storage") -> dict[str, str | None]:
    """Reels that are not committed beside the post: language -> the URL they are served
    from (a release asset), or None when they are nowhere (see
    :class:`pipeline.site.VideoPlacement`). Uploads happen here. ``storage_setting`` names
    the setting in the caller's terms."""
    facts = rendered.facts
    elsewhere: dict[str, str | None] = {}
    for language, reel in rendered.reels.items():
        name = reel_name(language, rendered.story.language)
        size = reel.video.stat().st_size
        to_asset = storage == "release-asset"
        if storage == "repository" and size >= max_bytes:
            note(f"{name} is {size / 2**20:.1f} MiB, too large to commit "
                 f"(limit {max_bytes / 2**20:.1f} MiB)"
                 + ("; uploading it as a release asset instead" if api else
                    f"; it is left out of the post (set {storage_setting} to release-asset)"))
            to_asset = api is not None
        elif storage == "repository":
            continue
        if to_asset and dry_run:
            note(f"dry run: {name} would be uploaded to release {facts.tag}")
            continue  # the dry run's post shows it beside the post instead
        if not to_asset:
            elsewhere[language] = None
            continue
        assert api is not None  # the plan asks for a token when storage needs the API
        elsewhere[language] = api.upload_release_asset(
            facts.repository.full_name, facts.tag, reel.video, f"{rendered.slug}-{name}",
            label=f"releasecast reel ({name.removesuffix('.mp4')})")
    return elsewhere
