"""The YouTube video in the post: the site stage renders front matter keys and the embedded
player once, from data, on posts built by real Jekyll; a rebuilt post keeps them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from factories import jekyll_build, sample_facts
from PIL import Image

from pipeline.config import Config
from pipeline.errors import InputError, PublishError
from pipeline.site import Media, VideoPlacement, write_site
from pipeline.site.post import read_front_matter
from pipeline.site.scaffold import create_site
from pipeline.story import write_story
from pipeline.structure import Reel
from pipeline.youtube.post import RecordedVideo, recorded_video

VIDEO_ID = "dQw4w9WgXcQ"
URL = f"https://www.youtube.com/watch?v={VIDEO_ID}"
LOCAL = "/assets/releasecast/widgets-v1-2-0/reel.mp4"


@pytest.fixture
def site_media(tmp_path: Path) -> tuple[Path, Media]:
    """A Jekyll site and the files of a release whose reel is to be placed."""
    work = tmp_path / "work"
    work.mkdir()
    images = []
    for name, size in (("cover.png", (1600, 900)), ("card.png", (1200, 630)),
                       ("s1.png", (1080, 1920))):
        Image.new("RGB", size, "#123456").save(work / name)
        images.append(work / name)
    reel = work / "reel.mp4"
    reel.write_bytes(b"\x00\x00\x00\x18ftypmp42")  # the site stage only copies it
    return create_site(tmp_path / "site"), Media(images[0], images[1], [images[2]],
                                                 Reel(reel, 20.0))


def _write(site: Path, media: Media, placement: VideoPlacement | None = None) -> Path:
    facts = sample_facts()
    output = write_site(site, facts, write_story(facts, Config()), Config(), media, placement)
    return site / output.post


def _block(text: str) -> str:
    return text.split("<!-- releasecast:video -->")[1].split("<!-- /releasecast:video -->")[0]


def test_the_post_records_the_video_and_keeps_the_local_reel(site_media) -> None:
    site, media = site_media
    plain = _write(site, media).read_text(encoding="utf-8")
    post = _write(site, media, VideoPlacement(youtube=RecordedVideo(VIDEO_ID, URL)))
    text = post.read_text(encoding="utf-8")

    matter = read_front_matter(post)
    assert matter["youtube_id"] == VIDEO_ID and matter["youtube_url"] == URL
    block = _block(text)
    assert f'src="https://www.youtube-nocookie.com/embed/{VIDEO_ID}"' in block
    assert "aspect-ratio:9/16" in block and "<video" not in block
    assert f'href="{LOCAL}"' in block
    # the rest of the post is what it is without a YouTube video
    assert text.split("<!-- /releasecast:video -->")[1] == \
        plain.split("<!-- /releasecast:video -->")[1]
    assert recorded_video(post) == RecordedVideo(VIDEO_ID, URL)

    proc = jekyll_build(site)
    assert proc.returncode == 0, proc.stderr
    html = (site / "_site/2024/05/14/widgets-v1-2-0.html").read_text(encoding="utf-8")
    assert re.search(r'<iframe src="https://www\.youtube-nocookie\.com/embed/dQw4w9WgXcQ"'
                     r'[^>]*allowfullscreen', html)
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">Watch on YouTube</a>' in html
    assert f'href="{LOCAL}"' in html


def test_a_rebuilt_post_keeps_the_record_and_its_player(site_media) -> None:
    site, media = site_media
    once = _write(site, media, VideoPlacement(youtube=RecordedVideo(VIDEO_ID, URL)))
    first = once.read_text(encoding="utf-8")
    # A run that does not upload (the CLI, a dry run) renders the same post again.
    again = _write(site, media)
    assert again == once and again.read_text(encoding="utf-8") == first


def test_a_reel_that_is_nowhere_else_leaves_only_the_player(site_media) -> None:
    site, media = site_media
    post = _write(site, media, VideoPlacement(elsewhere={"en": None},
                                              youtube=RecordedVideo(VIDEO_ID, URL)))
    block = _block(post.read_text(encoding="utf-8"))
    assert "youtube-nocookie.com/embed/" in block and ".mp4" not in block
    assert not (site / LOCAL.lstrip("/")).exists()


def test_front_matter_values_are_yaml_safe_and_escaped_in_html(site_media) -> None:
    site, media = site_media
    hostile = "https://example.com/watch?v=abc123&x=1 #not-a-comment: 'quoted' \"too\""
    post = _write(site, media, VideoPlacement(youtube=RecordedVideo("abc123_-XYZ", hostile)))
    text = post.read_text(encoding="utf-8")
    data = yaml.safe_load(text.split("---\n")[1])
    assert data["youtube_id"] == "abc123_-XYZ" and data["youtube_url"] == hostile
    assert 'href="https://example.com/watch?v=abc123&amp;x=1' in _block(text)


def test_bad_posts_and_ids_are_refused(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("No front matter here\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a Jekyll post"):
        recorded_video(post)
    post.write_text("---\ntitle: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no closing"):
        recorded_video(post)
    post.write_text("---\nyoutube_id: 'bad id!'\n---\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a YouTube video id"):
        recorded_video(post)
    post.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert recorded_video(post) is None
    with pytest.raises(PublishError, match="unexpected video id"):
        RecordedVideo('"><script>', URL)
    with pytest.raises(InputError, match="post not found"):
        recorded_video(tmp_path / "missing.md")
