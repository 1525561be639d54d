"""Site stage: the post and its assets land in the Jekyll site, all at once or not at all.

Everything is first written to a staging directory inside the site (same filesystem, hidden
from Jekyll by its leading dot), then renamed into place; a failure removes the staging
directory and leaves the site as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import Config
from ..errors import InputError
from ..structure import Reel, ReleaseFacts, SiteOutput, Story
from ..youtube.post import RecordedVideo, recorded_video
from .post import post_date, post_filename, read_front_matter, render_post
from .slug import release_slug

# Front matter that records the YouTube upload: a re-run for the same release keeps it, or
# the next run would upload a second video.
PRESERVED_KEYS = ("youtube_id", "youtube_url")


@dataclass
class Media:
    """Files made by the earlier stages, still in the work directory."""

    cover: Path
    social_card: Path
    slides: list[Path]
    reel: Reel | None = None
    dubs: dict[str, Reel] = field(default_factory=dict)


@dataclass(frozen=True)
class VideoPlacement:
    """Where the reels are, decided before the post is written (:mod:`pipeline.blog`).

    ``elsewhere`` maps a language to the URL its reel is served from instead of the site (a
    release asset), or to None when it is nowhere a reader can get it; a language not in it
    is committed beside the post. ``youtube`` is the reel's YouTube video, when it has one.
    """

    elsewhere: Mapping[str, str | None] = field(default_factory=dict)
    youtube: RecordedVideo | None = None


@dataclass(frozen=True)
class SiteSettings:
    baseurl: str = ""
    permalink: str = "date"
    url: str = ""  # the site's origin (``https://blog.example.org``), when configured

    def absolute(self, relative: str) -> str:
        """A site URL (``/news/2024/...``) with the site's origin, when it has one."""
        if not relative or relative.startswith(("http://", "https://")) or not self.url:
            return relative
        return self.url + relative


def read_settings(site: Path) -> SiteSettings:
    """``url``, ``baseurl`` and ``permalink`` from the site's ``_config.yml``, when it has
    one."""
    path = site / "_config.yml"
    if not path.is_file():
        return SiteSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        raise InputError(f"{path}: cannot read the site's Jekyll configuration") from None
    if not isinstance(data, dict):
        return SiteSettings()
    baseurl = str(data.get("baseurl") or "").rstrip("/")
    return SiteSettings(baseurl=baseurl, permalink=str(data.get("permalink") or "date"),
                        url=str(data.get("url") or "").rstrip("/"))


_PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def post_url(facts: ReleaseFacts, slug: str, settings: SiteSettings) -> str:
    """The post's URL under Jekyll's permalink rules (built-in styles and placeholders)."""
    date = post_date(facts)
    pattern = _PERMALINK_STYLES.get(settings.permalink, settings.permalink)
    values = {
        ":categories": "", ":year": f"{date:%Y}", ":month": f"{date:%m}", ":day": f"{date:%d}",
        ":i_month": str(date.month), ":i_day": str(date.day), ":y_day": f"{date:%j}",
        ":short_year": f"{date:%y}", ":output_ext": ".html", ":title": slug, ":slug": slug,
    }
    for key in sorted(values, key=len, reverse=True):
        pattern = pattern.replace(key, values[key])
    while "//" in pattern:
        pattern = pattern.replace("//", "/")
    return settings.baseurl + pattern


def check_site(site: Path) -> None:
    """Fail early, in one line, when the site cannot receive the post."""
    if site.exists() and not site.is_dir():
        raise InputError(f"site path {site} is not a directory")
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"site directory {site} cannot be created: {exc.strerror}") from None
    if not site.is_dir():
        raise InputError(f"site path {site} is not a directory")
    if not os.access(site, os.W_OK | os.X_OK):
        raise InputError(f"site directory {site} is not writable")


def _language_label(code: str) -> str:
    labels = {"en": "English", "es": "Español", "ca": "Català", "fr": "Français",
              "de": "Deutsch", "pt": "Português", "it": "Italiano", "ja": "日本語", "zh": "中文"}
    return labels.get(code.split("-")[0], code)


def write_site(
    site: Path,
    facts: ReleaseFacts,
    story: Story,
    config: Config,
    media: Media,
    placement: VideoPlacement | None = None,
    *,
    front_matter: dict[str, Any] | None = None,
) -> SiteOutput:
    """Place the post and its assets into ``site``; returns paths relative to the site.

    The post is rendered once, here, with every reel where ``placement`` says it is;
    ``front_matter`` adds the caller's keys to the post's.
    """
    check_site(site)
    placement = placement or VideoPlacement()
    settings = read_settings(site)
    slug = release_slug(facts)
    assets_rel = Path(config.output.assets_dir) / slug
    posts_rel = Path(config.output.posts_dir)
    post_rel = posts_rel / post_filename(facts, slug)
    asset_url = f"{settings.baseurl}/{assets_rel.as_posix()}"

    staging = Path(tempfile.mkdtemp(prefix=".releasecast-staging-", dir=site))
    try:
        staged_assets = staging / "assets"
        staged_assets.mkdir()
        placed: list[str] = []

        def stage(src: Path, name: str) -> str:
            shutil.copyfile(src, staged_assets / name)
            placed.append(name)
            return f"{asset_url}/{name}"

        images = {"cover": stage(media.cover, "cover.png"),
                  "social_card": stage(media.social_card, "social-card.png"),
                  "slides": [stage(p, f"slide-{i:02d}.png") for i, p in enumerate(media.slides, 1)]}
        reels = {story.language: media.reel, **media.dubs} if media.reel else {}
        tracks = []
        urls: dict[str, str | None] = {}
        for lang, reel in reels.items():
            if reel.captions_vtt:
                tracks.append({"lang": lang, "label": _language_label(lang),
                               "url": stage(reel.captions_vtt, f"reel.{lang}.vtt")})
            if reel.captions_srt:
                stage(reel.captions_srt, f"reel.{lang}.srt")
            name = "reel.mp4" if lang == story.language else f"reel.{lang}.mp4"
            urls[lang] = (placement.elsewhere[lang] if lang in placement.elsewhere
                          else stage(reel.video, name))
        main_url = urls.get(story.language)
        video = None
        if main_url:
            video = {"url": main_url, "poster": images["slides"][0] if images["slides"]
                     else images["cover"], "tracks": tracks}

        extra: dict[str, Any] = {}
        youtube = placement.youtube
        if youtube is None:
            for old in [site / post_rel, *posts_for(site / posts_rel, slug)]:
                previous = read_front_matter(old)
                kept = {k: previous[k] for k in PRESERVED_KEYS if k in previous}
                if kept:
                    extra, youtube = kept, _recorded(old)
                    break
        if youtube is not None:
            extra = {"youtube_id": youtube.id, "youtube_url": youtube.url}
        extra = {**extra, **(front_matter or {})}
        text = render_post(facts, story, config, images=images, video=video,
                           extra_front_matter=extra, youtube=youtube.player() if youtube else None)
        (staging / "post.md").write_text(text, encoding="utf-8")

        _move_into_place(staging, site, assets_rel, post_rel, slug)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    main_name = "reel.mp4"
    return SiteOutput(
        post=post_rel,
        post_url=post_url(facts, slug, settings),
        assets=[assets_rel / name for name in placed],
        video=assets_rel / main_name if main_name in placed else None,
        images=[assets_rel / name for name in placed if name.endswith(".png")],
    )


def _recorded(post: Path) -> RecordedVideo | None:
    """The video an earlier run recorded in ``post``; a malformed record is kept as it is
    (the publishing step reports it) but gets no player."""
    try:
        return recorded_video(post)
    except InputError:
        return None


def posts_for(posts_dir: Path, slug: str) -> list[Path]:
    """Posts of this release under any date: ``YYYY-MM-DD-<slug>.md``, oldest first."""
    pattern = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}-{re.escape(slug)}\.md")
    if not posts_dir.is_dir():
        return []
    return sorted(p for p in posts_dir.iterdir() if pattern.fullmatch(p.name))


def _move_into_place(staging: Path, site: Path, assets_rel: Path, post_rel: Path,
                     slug: str) -> None:
    """Two renames; the old assets are kept aside until the new ones are in place."""
    assets_dir = site / assets_rel
    assets_dir.parent.mkdir(parents=True, exist_ok=True)
    (site / post_rel).parent.mkdir(parents=True, exist_ok=True)
    old = staging / "previous-assets"
    if assets_dir.exists():
        os.replace(assets_dir, old)
    try:
        os.replace(staging / "assets", assets_dir)
    except OSError:
        if old.exists():
            os.replace(old, assets_dir)
        raise
    os.replace(staging / "post.md", site / post_rel)
    # A re-run after the release's date changed leaves no stale twin post behind.
    for stale in posts_for((site / post_rel).parent, slug):
        if stale.name != post_rel.name:
            stale.unlink()
