"""Slides as scenes: every moment of an animation fits and reads, and the reel can rebuild the
scene a PNG was drawn from. Pixels of real renders with the real fonts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import segno
from factories import sample_facts
from PIL import Image, ImageChops
from test_art import BRAND, sample_story

from pipeline.art import CAPTION_TOP, SLIDE_SIZE, load_scene, render_artwork
from pipeline.art.scene import RISE, Look
from pipeline.art.slides import MARGIN, SlideFacts, slide_scene
from pipeline.art.style import Style
from pipeline.structure import Slide, SlideKind

W, H = SLIDE_SIZE
LINES = {
    "latin": ["Export to Parquet with the new command", "Streaming reader for large files"],
    "cjk": ["导出速度提高了三倍，并支持流式读取大文件", "修复空白标题导致的崩溃"],
    "rtl": ["תמיכה בייצוא לקבצי פרקט מהירים", "קורא זורם לקבצים גדולים במיוחד"],
}


def luma(image: Image.Image) -> Image.Image:
    return image.convert("L")


def ink_box(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(luma(before), luma(after)).point(
        lambda v: 255 if v > 24 else 0).getbbox()


def contrast_spread(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How far the brightest text pixels stand from the box's typical (backdrop) pixel."""
    levels = sorted(luma(image.crop(box)).getdata())
    return levels[int(len(levels) * 0.995)] - levels[len(levels) // 2]


@pytest.mark.parametrize("script", sorted(LINES))
def test_every_moment_of_an_entry_fits_the_safe_area_and_reads(script):
    language = {"latin": "en", "cjk": "zh", "rtl": "he"}[script]
    style = Style.from_brand(BRAND, "widgets", language)
    slide = Slide(SlideKind.HIGHLIGHTS, "What's new", LINES[script])
    scene = slide_scene(slide, 1, 6, sample_facts(), style)
    assert scene.keys == ["item:0", "item:1"]
    hidden = {key: Look(opacity=0.0) for key in scene.keys}
    empty = scene.render(hidden)
    final = scene.render()
    for key in scene.keys:
        others = {k: v for k, v in hidden.items() if k != key}
        for step in range(1, 9):  # the reel's 8-frame entry, eased
            progress = 1 - (1 - step / 8) ** 3
            look = Look(opacity=progress, rise=round(RISE * (1 - progress)), emphasis=1.0)
            moment = scene.render({**others, key: look})
            box = ink_box(empty, moment)
            assert box is not None
            left, top, right, bottom = box
            assert left >= MARGIN - 2 and right <= W - MARGIN + 2, (script, key, step, box)
            assert top > 500 and bottom < CAPTION_TOP - 20, (script, key, step, box)
            if step >= 4:  # half way through the entry the line already reads
                assert contrast_spread(moment, box) > 100, (script, key, step)
        # emphasised and stepped back, the line still reads
        for emphasis in (1.0, -1.0, -0.5):
            moment = scene.render({**others, key: Look(emphasis=emphasis)})
            box = ink_box(empty, moment)
            assert box is not None and contrast_spread(moment, box) > 80, (script, emphasis)
    assert ink_box(final, scene.render({key: Look() for key in scene.keys})) is None


def test_said_lines_step_back_and_the_spoken_one_stands_out():
    style = Style.from_brand(BRAND, "widgets", "en")
    scene = slide_scene(Slide(SlideKind.FIXES, "Fixes", LINES["latin"]), 3, 6, sample_facts(),
                        style)
    spoken = scene.render({"item:0": Look(emphasis=-1.0), "item:1": Look(emphasis=1.0)})
    rest = scene.render()
    first, second = (part.box for part in scene.parts)
    assert ImageChops.difference(luma(spoken.crop(first)), luma(rest.crop(first))).getbbox()
    area = (first[2] - first[0]) * (first[3] - first[1])
    said = sum(luma(spoken.crop(first)).getdata()) / area
    at_rest = sum(luma(rest.crop(first)).getdata()) / area
    assert said < at_rest  # dimmer once said
    # the spoken line's panel takes the accent's blue
    r, _, b = spoken.crop(second).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    r0, _, b0 = rest.crop(second).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert b - r > b0 - r0


def test_numbers_count_up_to_the_release_figures():
    style = Style.from_brand(BRAND, "widgets", "en")
    facts = SlideFacts(tag="v1.2.0", repository="acme/widgets", link="https://example.org/p",
                       commits=17, files=13, insertions=138, deletions=13)
    scene = slide_scene(Slide(SlideKind.CLOSING, "widgets v1.2.0"), 5, 6, facts, style)
    assert scene.keys == ["numbers", "link"]
    numbers = scene.parts[0].box
    start = scene.render({"numbers": Look(count=0.0)}).crop(numbers)
    middle = scene.render({"numbers": Look(count=0.5)}).crop(numbers)
    end = scene.render().crop(numbers)
    assert ImageChops.difference(start, middle).getbbox()
    assert ImageChops.difference(middle, end).getbbox()
    # without counted figures there are no numbers to show
    bare = slide_scene(Slide(SlideKind.CLOSING, "widgets v1.2.0"), 5, 6,
                       SlideFacts(tag="v1.2.0", repository="acme/widgets", link="x"), style)
    assert bare.keys == ["link"]


def test_the_qr_code_holds_the_link():
    """Read the code back module by module from the pixels and compare with segno's matrix."""
    link = "https://blog.example.org/2024/05/01/widgets-v1-2-0.html"
    style = Style.from_brand(BRAND, "widgets", "en")
    facts = SlideFacts(tag="v1.2.0", repository="acme/widgets", link=link, commits=3)
    image = luma(slide_scene(Slide(SlideKind.CLOSING, "Read more"), 5, 6, facts, style).render())
    # the white tile on the left of the link panel (the link's text is to its right)
    white = image.point(lambda v: 255 if v > 235 else 0)
    left, top, right, bottom = white.crop((0, 900, 380, CAPTION_TOP)).getbbox()
    top, bottom = top + 900, bottom + 900
    matrix = [list(row) for row in segno.make(link, error="m", micro=False).matrix]
    modules = len(matrix) + 4  # two modules of quiet zone around
    size = (right - left) / modules
    assert size >= 3  # whole pixels per module, large enough to scan from a phone
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            centre = (round(left + (x + 2.5) * size), round(top + (y + 2.5) * size))
            assert (image.getpixel(centre) < 100) == bool(dark), (x, y)


def test_the_reel_rebuilds_the_scene_of_each_slide(tmp_path: Path):
    artwork = render_artwork(sample_facts(), sample_story(), BRAND, tmp_path,
                             link="https://blog.example.org/post.html")
    for path in artwork.slides:
        source = json.loads(path.with_name(path.stem + ".scene.json").read_text())
        assert source["facts"]["link"] == "https://blog.example.org/post.html"
        scene = load_scene(path)
        assert scene is not None
        with Image.open(path) as drawn:
            assert ImageChops.difference(scene.render(), drawn.convert("RGB")).getbbox() is None
    # a slide replaced after the art stage is no longer that scene
    edited = artwork.slides[1]
    Image.new("RGB", SLIDE_SIZE, (9, 9, 9)).save(edited)
    assert load_scene(edited) is None
    assert load_scene(tmp_path / "nothing.png") is None
    assert not list(tmp_path.glob(".*")), "no partial files left"


def test_the_closing_card_links_the_post_when_the_site_names_its_url(tmp_path: Path):
    from pipeline.build import post_link
    from pipeline.site import post_url, read_settings
    from pipeline.site.slug import release_slug

    facts = sample_facts()
    site = tmp_path / "site"
    site.mkdir()
    assert post_link(facts, site) is None  # no _config.yml: the release page it is
    (site / "_config.yml").write_text("url: https://blog.example.org\nbaseurl: /news\n")
    link = post_link(facts, site)
    assert link == "https://blog.example.org" + post_url(facts, release_slug(facts),
                                                         read_settings(site))
    assert link is not None and link.startswith("https://blog.example.org/news/")
    (site / "_config.yml").write_text('url: "https://example.invalid"\n')  # a placeholder
    assert post_link(facts, site) is None


def test_the_reel_rebuilds_each_scene_with_the_part_boxes_the_art_stage_measured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import pipeline.art

    artwork = render_artwork(sample_facts(), sample_story(), BRAND, tmp_path)
    drawn = {path: load_scene(path) for path in artwork.slides}  # this process's own scenes
    monkeypatch.setattr(pipeline.art, "_SCENES", {})  # as in a reel run by another process
    for path, scene in drawn.items():
        assert scene is not None
        boxes = {part.key: part.box for part in scene.parts}
        source = path.with_name(path.stem + ".scene.json")
        stored = json.loads(source.read_text())
        assert {key: tuple(box) for key, box in stored["boxes"].items()} == boxes
        rebuilt = load_scene(path)
        assert rebuilt is not None and rebuilt is not scene
        assert {part.key: part.box for part in rebuilt.parts} == boxes
        with Image.open(path) as png:
            assert ImageChops.difference(rebuilt.render(), png.convert("RGB")).getbbox() is None
        # a scene file without boxes (an older art stage): measured by drawing, the same
        del stored["boxes"]
        source.write_text(json.dumps(stored))
        pipeline.art._SCENES.clear()
        measured = load_scene(path)
        assert measured is not None
        assert {part.key: part.box for part in measured.parts} == boxes
    # boxes that cannot be a part's: the slide is shown as the still it is
    path = next(path for path, scene in drawn.items() if scene is not None and scene.parts)
    source = path.with_name(path.stem + ".scene.json")
    stored = json.loads(source.read_text())
    stored["boxes"] = {drawn[path].parts[0].key: [0, 0, W + 1, 10]}  # type: ignore[union-attr]
    source.write_text(json.dumps(stored))
    pipeline.art._SCENES.clear()
    assert load_scene(path) is None
