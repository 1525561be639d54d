"""The site stage alone: a post that real Jekyll builds, with release text kept literal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import jekyll_build, sample_facts
from PIL import Image

from pipeline.config import Config
from pipeline.site import Media, VideoPlacement, post_url, read_settings, write_site
from pipeline.site.post import literal_text, md_inline, read_front_matter
from pipeline.site.scaffold import create_site
from pipeline.site.slug import release_slug
from pipeline.story import write_story
from pipeline.structure import ChangeItem, ChangeKind, Repository
from pipeline.youtube.post import RecordedVideo

HOSTILE_TITLE = 'Release "Zeus": the #1 fix\nfor {{ site.title }} & <b>you</b>'
HOSTILE_ITEMS = [
    ("Liquid stays text: {{ page.title }} and {% include nope.html %}", ChangeKind.FEATURE),
    ("HTML stays text: <script>alert('x')</script> <img src=x onerror=alert(1)>",
     ChangeKind.FEATURE),
    ("Kramdown stays text: {: .danger} and $$x^2$$ and {::comment}", ChangeKind.FIX),
    ("Emoji 🚀🎉, CJK 漢字とかな 한국어, RTL שלום עולם مرحبا", ChangeKind.FIX),
    ("Code keeps braces: `{{ not_liquid }}` and `<tag>`", ChangeKind.OTHER),
    ("# not a heading, > not a quote", ChangeKind.OTHER),
]


@pytest.fixture
def media(tmp_path: Path) -> Media:
    def png(name: str, size: tuple[int, int]) -> Path:
        path = tmp_path / "work" / name
        path.parent.mkdir(exist_ok=True)
        Image.new("RGB", size, "#123456").save(path)
        return path

    return Media(png("cover.png", (1600, 900)), png("card.png", (1200, 630)),
                 [png(f"s{i}.png", (1080, 1920)) for i in range(3)])


def hostile_facts():
    items = [ChangeItem(text, kind, author="ada", pr=7 + i,
                        url=f"https://github.com/acme/widgets/pull/{7 + i}")
             for i, (text, kind) in enumerate(HOSTILE_ITEMS)]
    return sample_facts(name=HOSTILE_TITLE, tag="v2.0.0-rc.1", items=items)


def test_hostile_release_text_survives_a_real_jekyll_build(tmp_path: Path, media: Media) -> None:
    site = create_site(tmp_path / "site")
    facts = hostile_facts()
    config = Config()
    story = write_story(facts, config)
    output = write_site(site, facts, story, config, media)

    proc = jekyll_build(site)
    assert proc.returncode == 0, proc.stderr
    assert "warn" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr

    html = (site / "_site" / output.post_url.lstrip("/")).read_text(encoding="utf-8")
    # Liquid was not evaluated: the braces are there, the site title is not substituted in.
    assert "{{ page.title }}" in html
    assert "{% include nope.html %}" in html
    assert re.search(r"<code[^>]*>\{\{ not_liquid \}\}</code>", html)
    # HTML from the notes is text, never markup.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    assert "<img src=x" not in html
    # Kramdown syntax is inert: no class attribute, no math, no comment swallowing text.
    assert 'class="danger"' not in html
    assert "{: .danger}" in html
    assert "$$x^2$$" in html
    # Scripts from all over the world come out intact.
    for text in ("🚀🎉", "漢字とかな", "한국어", "שלום עולם", "مرحبا"):
        assert text in html
    # The title: quotes, colon, hash, newline and braces survive YAML and the layout.
    title = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert title == ("widgets v2.0.0-rc.1: Release &quot;Zeus&quot;: the #1 fix for "
                     "{{ site.title }} &amp; &lt;b&gt;you&lt;/b&gt;")
    # jekyll-seo-tag got the title (it drops the tags, keeping the words).
    seo_title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert seo_title.startswith(
        "widgets v2.0.0-rc.1: Release “Zeus”: the #1 fix for {{ site.title }}")


def test_front_matter_is_what_jekyll_seo_tag_reads(tmp_path: Path, media: Media) -> None:
    site = create_site(tmp_path / "site")
    facts = sample_facts()
    output = write_site(site, facts, write_story(facts, Config()), Config(), media)
    matter = read_front_matter(site / output.post)
    assert matter["title"] == "widgets v1.2.0: Faster exports"
    assert matter["date"] == "2024-05-14 16:30:00 +0000"
    assert matter["description"].startswith("widgets v1.2.0 is out with 2 new features")
    assert matter["image"] == "/assets/releasecast/widgets-v1-2-0/social-card.png"
    assert matter["render_with_liquid"] is False
    assert "release" in matter["tags"]
    assert output.post == Path("_posts/2024-05-14-widgets-v1-2-0.md")

    proc = jekyll_build(site)
    assert proc.returncode == 0, proc.stderr
    html = (site / "_site/2024/05/14/widgets-v1-2-0.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://example.invalid/assets/releasecast/' \
           'widgets-v1-2-0/social-card.png"' in html
    assert '<meta name="description" content="widgets v1.2.0 is out with' in html


def test_post_sections_thank_first_timers_and_link_everything(tmp_path, media) -> None:
    site = create_site(tmp_path / "site")
    facts = sample_facts()
    output = write_site(site, facts, write_story(facts, Config()), Config(), media)
    text = (site / output.post).read_text(encoding="utf-8")
    for heading in ("## Highlights", "## Breaking changes", "## New features", "## Fixes",
                    "## Contributors", "## By the numbers", "## Links"):
        assert heading in text
    assert "A special welcome to our first-time contributors:\n[@newbie]" in text
    assert "- **14** files changed, **420** lines added, **96** removed" in text
    assert "- **12** commits since v1\\.1\\.0\n" in text
    assert "([#42](https://github.com/acme/widgets/pull/42) by [@grace]" in text
    assert "[Full changelog](https://github.com/acme/widgets/compare/v1.1.0...v1.2.0)" in text


def test_a_rerun_replaces_the_post_and_keeps_the_youtube_record(tmp_path, media) -> None:
    site = create_site(tmp_path / "site")
    facts = sample_facts()
    config = Config()
    first = write_site(site, facts, write_story(facts, config), config, media,
                       VideoPlacement(youtube=RecordedVideo("abc123", "https://youtu.be/abc123")))
    second = write_site(site, facts, write_story(facts, config), config, media)
    assert first.post == second.post
    assert read_front_matter(site / second.post)["youtube_id"] == "abc123"
    assert sorted(p.name for p in (site / "_posts").glob("*.md")) == [second.post.name]
    assert not list(site.glob(".releasecast-*")), "staging directories must not remain"


def test_unsafe_tags_never_escape_the_site(tmp_path: Path, media: Media) -> None:
    site = create_site(tmp_path / "site")
    for tag in ("../../x", "v1/2", "..", "🚀"):
        facts = sample_facts(tag=tag)
        slug = release_slug(facts)
        assert re.fullmatch(r"[a-z0-9-]+", slug), slug
        output = write_site(site, facts, write_story(facts, Config()), Config(), media)
        resolved = (site / output.post).resolve()
        assert resolved.is_relative_to(site.resolve())
    assert not (tmp_path / "x").exists()


def test_a_failure_leaves_nothing_in_the_site(tmp_path: Path, media: Media) -> None:
    site = create_site(tmp_path / "site")
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    media.slides.append(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError):
        write_site(site, sample_facts(), write_story(sample_facts(), Config()), Config(), media)
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_post_url_follows_the_sites_permalink_and_baseurl(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "_config.yml").write_text("baseurl: /blog\npermalink: pretty\n")
    settings = read_settings(site)
    assert post_url(sample_facts(), "widgets-v1-2-0", settings) == \
        "/blog/2024/05/14/widgets-v1-2-0/"


def test_inline_markdown_filters() -> None:
    assert md_inline("a <b> {x} `<b>{x}`") == "a &lt;b&gt; &#123;x&#125; `<b>{x}`"
    assert md_inline("# title") == "\\# title"
    assert md_inline("line one\nline two") == "line one line two"
    assert literal_text("*not bold* [x](y)") == "\\*not bold\\* \\[x\\]\\(y\\)"


def test_repository_without_name_still_gets_a_slug() -> None:
    facts = sample_facts(repository=Repository("x/文字"), tag="版本")
    assert re.fullmatch(r"release-release-[0-9a-f]{10}", release_slug(facts))
