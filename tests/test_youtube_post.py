"""Recording a YouTube video in the post: front matter keys and the embedded player, on posts
made by the real site stage and built by real Jekyll."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from factories import jekyll_build, sample_facts
from PIL import Image

from pipeline.config import Config
from pipeline.errors import InputError, PublishError
from pipeline.publish.youtube_post import embed_youtube, recorded_video
from pipeline.site import Media, write_site
from pipeline.site.post import read_front_matter
from pipeline.site.scaffold import create_site
from pipeline.story import write_story
from pipeline.structure import Reel

VIDEO_ID = "dQw4w9WgXcQ"
URL = f"https://www.youtube.com/watch?v={VIDEO_ID}"


@pytest.fixture
def site_post(tmp_path: Path) -> tuple[Path, Path, Media]:
    """A Jekyll site with a release post whose video block plays the local reel."""
    work = tmp_path / "work"
    work.mkdir()
    images = []
    for name, size in (("cover.png", (1600, 900)), ("card.png", (1200, 630)),
                       ("s1.png", (1080, 1920))):
        Image.new("RGB", size, "#123456").save(work / name)
        images.append(work / name)
    reel = work / "reel.mp4"
    reel.write_bytes(b"\x00\x00\x00\x18ftypmp42")  # the site stage only copies it
    media = Media(images[0], images[1], [images[2]], Reel(reel, 20.0))
    site = create_site(tmp_path / "site")
    facts = sample_facts()
    output = write_site(site, facts, write_story(facts, Config()), Config(), media)
    return site, site / output.post, media


def _front_matter_lines(text: str) -> list[str]:
    return text.split("---\n")[1].splitlines()


def test_embed_records_the_video_and_keeps_the_local_reel(site_post) -> None:
    site, post, _ = site_post
    before = post.read_text(encoding="utf-8")
    embed_youtube(post, VIDEO_ID, URL)
    text = post.read_text(encoding="utf-8")

    matter = read_front_matter(post)
    assert matter["youtube_id"] == VIDEO_ID and matter["youtube_url"] == URL
    # every other front matter line is exactly as the site stage wrote it
    assert _front_matter_lines(text)[:-2] == _front_matter_lines(before)
    block = text.split("<!-- releasecast:video -->")[1].split("<!-- /releasecast:video -->")[0]
    assert f'src="https://www.youtube-nocookie.com/embed/{VIDEO_ID}"' in block
    assert "aspect-ratio:9/16" in block and "<video" not in block
    assert 'href="/assets/releasecast/widgets-v1-2-0/reel.mp4"' in block
    # the rest of the post is untouched
    assert text.split("<!-- /releasecast:video -->")[1] == \
        before.split("<!-- /releasecast:video -->")[1]
    assert recorded_video(post).id == VIDEO_ID

    proc = jekyll_build(site)
    assert proc.returncode == 0, proc.stderr
    html = (site / "_site/2024/05/14/widgets-v1-2-0.html").read_text(encoding="utf-8")
    assert re.search(r'<iframe src="https://www\.youtube-nocookie\.com/embed/dQw4w9WgXcQ"'
                     r'[^>]*allowfullscreen', html)
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">Watch on YouTube</a>' in html
    assert 'href="/assets/releasecast/widgets-v1-2-0/reel.mp4"' in html


def test_embed_is_idempotent_and_survives_a_rebuilt_post(site_post) -> None:
    site, post, media = site_post
    embed_youtube(post, VIDEO_ID, URL)
    once = post.read_text(encoding="utf-8")
    embed_youtube(post, VIDEO_ID, URL)
    assert post.read_text(encoding="utf-8") == once

    # A re-run of the site stage keeps the record but renders the local player again;
    # embedding once more gives the same post as before.
    facts = sample_facts()
    write_site(site, facts, write_story(facts, Config()), Config(), media)
    assert recorded_video(post).id == VIDEO_ID
    embed_youtube(post, VIDEO_ID, URL)
    assert post.read_text(encoding="utf-8") == once


def test_front_matter_values_are_yaml_safe_and_replace_old_ones(tmp_path: Path) -> None:
    post = tmp_path / "2024-01-01-x.md"
    post.write_text("---\ntitle: 'x: \"y\"'\nyoutube_id: oldoldold\nyoutube_url: >-\n"
                    "  https://old.example\n  /folded\ntags: [a]\n---\nBody\n",
                    encoding="utf-8")
    hostile = "https://example.com/watch?v=abc123&x=1 #not-a-comment: 'quoted' \"too\""
    embed_youtube(post, "abc123_-XYZ", hostile)
    text = post.read_text(encoding="utf-8")
    data = yaml.safe_load(text.split("---\n")[1])
    assert data == {"title": 'x: "y"', "youtube_id": "abc123_-XYZ", "youtube_url": hostile,
                    "tags": ["a"]}
    assert "old.example" not in text and "/folded" not in text
    assert text.endswith("<!-- /releasecast:video -->\n")  # no markers: the block is appended
    assert "Body\n\n<!-- releasecast:video -->" in text
    assert 'href="https://example.com/watch?v=abc123&amp;x=1' in text


def test_bad_posts_and_ids_are_refused(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("No front matter here\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a Jekyll post"):
        embed_youtube(post, VIDEO_ID, URL)
    post.write_text("---\ntitle: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no closing"):
        recorded_video(post)
    post.write_text("---\nyoutube_id: 'bad id!'\n---\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a YouTube video id"):
        recorded_video(post)
    post.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert recorded_video(post) is None
    with pytest.raises(PublishError, match="unexpected video id"):
        embed_youtube(post, '"><script>', URL)
    assert post.read_text(encoding="utf-8") == "---\ntitle: x\n---\n"
    with pytest.raises(InputError, match="post not found"):
        recorded_video(tmp_path / "missing.md")
