"""The art stage end to end: real PNGs rendered with the real fonts, inspected pixel by pixel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from factories import sample_facts
from PIL import Image, ImageChops, ImageStat

from pipeline.art import (
    CAPTION_TOP,
    COVER_SIZE,
    SLIDE_SIZE,
    SOCIAL_CARD_SIZE,
    render_artwork,
)
from pipeline.art.fonts import Weight, font_chain
from pipeline.config import Brand, Colors
from pipeline.errors import InputError
from pipeline.structure import Artwork, ReleaseFacts, Slide, SlideKind, Story

BRAND = Brand(name="Acme", colors=Colors(background="#0f172a", foreground="#f8fafc",
                                         accent="#38bdf8", muted="#94a3b8"))
LOGO_COLOUR = (255, 0, 255)


def sample_story(**overrides: object) -> Story:
    """One slide of every kind, with Markdown, emoji and a first-time contributor."""
    story = Story(
        title="Widgets 1.2: faster exports and Parquet support",
        summary="Exports are up to 3x faster, Parquet is supported, and a crash is fixed.",
        highlights=["Parquet export", "Streaming reader"],
        slides=[
            Slide(SlideKind.TITLE, "Widgets 1.2 is here", ["Faster exports and Parquet."]),
            Slide(SlideKind.HIGHLIGHTS, "What's new", [
                "Export to **Parquet** with `widgets export --parquet` 🚀",
                "Streaming reader for large files",
            ]),
            Slide(SlideKind.BREAKING, "Breaking changes", ["Drop Python 3.8 support"]),
            Slide(SlideKind.FIXES, "Fixes", ["Fix crash on empty CSV header"]),
            Slide(SlideKind.CONTRIBUTORS, "Thank you", ["@ada", "@grace", "@newbie (first!)"]),
            Slide(SlideKind.CLOSING, "Update today", ["pip install widgets==1.2.0"]),
        ],
    )
    for key, value in overrides.items():
        setattr(story, key, value)
    return story


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def count_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` of ``colour`` on every channel."""
    bands = []
    for band, value in zip(image.convert("RGB").split(), colour, strict=True):
        bands.append(band.point(lambda v, c=value: 255 if abs(v - c) <= tolerance else 0))
    both = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    return both.histogram()[255]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Artwork, float]:
    out = tmp_path_factory.mktemp("art")
    started = time.perf_counter()
    artwork = render_artwork(sample_facts(), sample_story(), BRAND, out)
    return artwork, time.perf_counter() - started


@pytest.fixture(scope="module")
def logo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wide logo with a transparent margin, in a colour nothing else uses."""
    logo = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    logo.paste((*LOGO_COLOUR, 255), (20, 10, 280, 110))
    path = tmp_path_factory.mktemp("logo") / "logo.png"
    logo.save(path)
    return path


def test_files_sizes_and_modes(rendered: tuple[Artwork, float]) -> None:
    artwork, _ = rendered
    expected = {artwork.cover: COVER_SIZE, artwork.social_card: SOCIAL_CARD_SIZE}
    expected |= {slide: SLIDE_SIZE for slide in artwork.slides}
    assert len(artwork.slides) == 6
    assert [p.name for p in artwork.slides] == [
        "slide-01-title.png", "slide-02-highlights.png", "slide-03-breaking.png",
        "slide-04-fixes.png", "slide-05-contributors.png", "slide-06-closing.png",
    ]
    for path, size in expected.items():
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == size
            assert image.mode == "RGB"


def test_deterministic(rendered: tuple[Artwork, float], tmp_path: Path) -> None:
    artwork, _ = rendered
    again = render_artwork(sample_facts(), sample_story(), BRAND, tmp_path)
    for first, second in [(artwork.social_card, again.social_card),
                          (artwork.slides[1], again.slides[1])]:
        with Image.open(first) as a, Image.open(second) as b:
            assert ImageChops.difference(a, b).getbbox() is None


def test_brand_colours_appear(rendered: tuple[Artwork, float]) -> None:
    artwork, _ = rendered
    for path in [artwork.cover, artwork.social_card, *artwork.slides]:
        with Image.open(path) as image:
            # the background colour (shaded by the gradient and glows) covers much of the image
            area = image.width * image.height
            assert count_near(image, rgb("#0f172a"), 16) > area // 5, f"no bg in {path.name}"
            assert count_near(image, rgb("#38bdf8"), 10) > 500, f"no accent in {path.name}"
            assert count_near(image, rgb("#f8fafc"), 10) > 500, f"no foreground in {path.name}"


def test_other_colours_follow_the_brand(tmp_path: Path) -> None:
    light = Brand(name="Paper", colors=Colors(background="#fafaf9", foreground="#1c1917",
                                              accent="#dc2626", muted="#78716c"))
    story = sample_story(slides=sample_story().slides[1:2])
    artwork = render_artwork(sample_facts(), story, light, tmp_path)
    with Image.open(artwork.social_card) as card:
        assert count_near(card, rgb("#dc2626"), 10) > 2000
        assert count_near(card, rgb("#38bdf8"), 30) == 0  # nothing of the default theme left
        assert sum(card.getpixel((600, 620))) > 3 * 200  # light background


def test_caption_zone_is_calm(rendered: tuple[Artwork, float]) -> None:
    """Below 70 % every slide is the same plain gradient: nothing for a caption to fight."""
    artwork, _ = rendered
    zones = []
    for path in artwork.slides:
        with Image.open(path) as image:
            zones.append(image.crop((0, CAPTION_TOP, SLIDE_SIZE[0], SLIDE_SIZE[1])))
    for zone in zones[1:]:
        assert ImageChops.difference(zones[0], zone).getbbox() is None
    # Smooth: each row is nearly one colour (no text, no shapes).
    for y in range(0, zones[0].height, 40):
        row = zones[0].crop((0, y, SLIDE_SIZE[0], y + 1))
        assert max(ImageStat.Stat(row).stddev) < 6


def test_slide_text_stays_above_the_caption_zone(tmp_path: Path) -> None:
    crowded = Slide(SlideKind.FIXES, "Fixes " * 30, ["A very long fix description " * 11] * 10)
    story = sample_story(slides=[crowded, Slide(SlideKind.FIXES, "Fixes", [])])
    artwork = render_artwork(sample_facts(), story, BRAND, tmp_path)
    with Image.open(artwork.slides[0]) as full, Image.open(artwork.slides[1]) as empty:
        changed = ImageChops.difference(full, empty).getbbox()
    assert changed is not None
    assert changed[3] <= CAPTION_TOP


def test_logo_is_placed_in_the_brand_chip(tmp_path: Path, logo_file: Path) -> None:
    brand = BRAND.model_copy(update={"logo": logo_file})
    artwork = render_artwork(sample_facts(), sample_story(), brand, tmp_path)
    with Image.open(artwork.social_card) as card:
        assert count_near(card, LOGO_COLOUR, 8) > 1000
        # top-left, in the brand chip row, scaled to 60 px high, transparent margin trimmed
        box = _bbox_of(card, LOGO_COLOUR)
        assert box[0] == 64 and box[1] >= 50 and box[3] <= 52 + 60 + 2
        assert box[3] - box[1] == pytest.approx(60, abs=2)
    with Image.open(artwork.slides[-1]) as closing:  # the closing slide shows it large
        box = _bbox_of(closing, LOGO_COLOUR)
        assert box[2] - box[0] >= 400


def _bbox_of(image: Image.Image, colour: tuple[int, int, int]) -> tuple[int, int, int, int]:
    bands = [band.point(lambda v, c=c: 255 if abs(v - c) <= 8 else 0)
             for band, c in zip(image.convert("RGB").split(), colour, strict=True)]
    mask = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    box = mask.getbbox()
    assert box is not None
    return box


def test_missing_logo_is_one_input_error(tmp_path: Path) -> None:
    brand = BRAND.model_copy(update={"logo": tmp_path / "nope.png"})
    with pytest.raises(InputError, match=r"brand\.logo: file not found: .*nope\.png"):
        render_artwork(sample_facts(), sample_story(), brand, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # failed before writing anything


def test_unreadable_logo_is_one_input_error(tmp_path: Path) -> None:
    bogus = tmp_path / "logo.png"
    bogus.write_text("not an image")
    brand = BRAND.model_copy(update={"logo": bogus})
    with pytest.raises(InputError, match=r"brand\.logo: .* is not a PNG or JPEG image"):
        render_artwork(sample_facts(), sample_story(), brand, tmp_path / "out")
    gif = tmp_path / "logo.gif"
    Image.new("RGB", (10, 10)).save(gif)
    with pytest.raises(InputError, match="is GIF, expected a PNG or JPEG"):
        render_artwork(sample_facts(), sample_story(),
                       BRAND.model_copy(update={"logo": gif}), tmp_path / "out")


def test_bad_brand_font_is_one_input_error(tmp_path: Path) -> None:
    missing = BRAND.model_copy(update={"font": tmp_path / "Brand.ttf"})
    with pytest.raises(InputError, match=r"brand\.font: font file not found"):
        render_artwork(sample_facts(), sample_story(), missing, tmp_path / "out")
    broken = tmp_path / "Broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00 definitely not a font")
    with pytest.raises(InputError, match=r"brand\.font: cannot read font .*Broken\.ttf"):
        render_artwork(sample_facts(), sample_story(),
                       BRAND.model_copy(update={"font": broken}), tmp_path / "out")


def test_brand_font_is_used_first(tmp_path: Path) -> None:
    brand_font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")  # fonts-dejavu-core
    assert font_chain(Weight.BOLD, brand_font=brand_font).faces[0].path == brand_font
    plain = render_artwork(sample_facts(), sample_story(slides=[]), BRAND, tmp_path / "a")
    branded = render_artwork(sample_facts(), sample_story(slides=[]),
                             BRAND.model_copy(update={"font": brand_font}), tmp_path / "b")
    with Image.open(plain.social_card) as a, Image.open(branded.social_card) as b:
        assert ImageChops.difference(a, b).getbbox() is not None


def test_hostile_text_still_renders(tmp_path: Path) -> None:
    """Huge, mixed-script, emoji-laden input: every image is produced, nothing raises."""
    facts: ReleaseFacts = sample_facts(tag="release-2024.05.01-rc.1+build.7" * 2)
    facts.repository = type(facts.repository)("o" * 39 + "/" + "r" * 100)
    story = sample_story(
        title="漢字テスト한국어 — リリースノート：高速化と新しいプラグインAPI " * 5,
        summary="שלום עולם (hello) גרסה 2.0 " * 20,
        slides=[Slide(kind, "مرحبا بالعالم 🚀 " * 10, ["x" * 300, "👨‍👩‍👧 " * 40])
                for kind in SlideKind],
    )
    artwork = render_artwork(facts, story, BRAND, tmp_path)
    assert len(artwork.slides) == len(SlideKind)
    for path in artwork.slides:
        with Image.open(path) as image:
            assert image.size == SLIDE_SIZE


def test_unwritable_folder_is_one_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot create the artwork folder"):
        render_artwork(sample_facts(), sample_story(), BRAND, blocker / "art")
