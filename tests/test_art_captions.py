"""Burned-in captions: where they land, how big, how fast, and that they never spill."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from factories import sample_facts
from PIL import Image, ImageChops, ImageStat
from test_art import BRAND, sample_story

from pipeline.art import CAPTION_BOTTOM, CAPTION_TOP, SLIDE_SIZE, burn_caption, render_artwork
from pipeline.art.captions import CAPTION_MAX_LINES, CAPTION_MIN_SIZE
from pipeline.art.fonts import Weight, font_chain
from pipeline.art.text import fit_text
from pipeline.errors import InputError

SENTENCE = "Exports are now up to three times faster, and Parquet files are supported too."


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory) -> Image.Image:
    story = sample_story(slides=sample_story().slides[1:2])
    artwork = render_artwork(sample_facts(), story, BRAND, tmp_path_factory.mktemp("cap"))
    with Image.open(artwork.slides[0]) as image:
        return image.convert("RGB")


def changed_box(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(before, after).getbbox()


def test_returns_a_new_rgb_frame(slide: Image.Image) -> None:
    original = slide.tobytes()
    burned = burn_caption(slide, SENTENCE, BRAND)
    assert burned.size == SLIDE_SIZE and burned.mode == "RGB"
    assert burned is not slide
    assert slide.tobytes() == original  # the input is untouched


@pytest.mark.parametrize("text", [
    SENTENCE,
    "Hi!",
    "word " * 200,  # far too long: ellipsized, still inside
    "漢字テスト한국어、リリースノートの高速化と新しいプラグインAPIについて説明します。",
    "مرحبا بالعالم: إصدار جديد 2.0 متاح الآن",
    "🚀 Ship it 👨‍👩‍👧",
])
def test_ink_only_inside_the_caption_zone(slide: Image.Image, text: str) -> None:
    box = changed_box(slide, burn_caption(slide, text, BRAND))
    assert box is not None
    left, top, right, bottom = box
    assert top >= CAPTION_TOP and bottom <= CAPTION_BOTTOM  # above the player's UI (bottom 12%)
    assert left >= 40 and right <= SLIDE_SIZE[0] - 40


def test_caption_is_centred_and_high_contrast(slide: Image.Image) -> None:
    burned = burn_caption(slide, SENTENCE, BRAND)
    left, top, right, bottom = changed_box(slide, burned)  # type: ignore[misc]
    assert abs((left + right) / 2 - SLIDE_SIZE[0] / 2) <= 2
    assert abs((top + bottom) / 2 - (CAPTION_TOP + CAPTION_BOTTOM) / 2) <= 2
    region = burned.crop((left, top, right, bottom)).convert("L")
    darkest, brightest = region.getextrema()
    assert brightest >= 250 and darkest <= 30  # white text on a dark box
    # most of the box is dark: the box is what keeps the text readable on any slide
    assert ImageStat.Stat(region).median[0] < 40


def test_caption_text_is_large_and_at_most_three_lines() -> None:
    chain = font_chain(Weight.BOLD)
    for text in [SENTENCE, "word " * 200, "Hi"]:
        block = fit_text(text, chain, SLIDE_SIZE[0] - 184, 300, max_size=66,
                         min_size=CAPTION_MIN_SIZE, max_lines=CAPTION_MAX_LINES)
        assert block.size >= 56 and len(block.lines) <= 3


def test_text_glyphs_are_tall(slide: Image.Image) -> None:
    """Measure the drawn capitals: at least ~40 px cap height (a 56 px font) on 1920 px."""
    burned = burn_caption(slide, "HHHH", BRAND)
    left, top, right, bottom = changed_box(slide, burned)  # type: ignore[misc]
    white = burned.crop((left, top, right, bottom)).convert("L").point(
        lambda v: 255 if v > 200 else 0)
    glyphs = white.getbbox()
    assert glyphs is not None and glyphs[3] - glyphs[1] >= 40


def test_deterministic(slide: Image.Image) -> None:
    # Speed is measured by bench/bench_pipeline.py, not asserted here: timed tests flake.
    assert burn_caption(slide, SENTENCE, BRAND).tobytes() == burn_caption(
        slide, SENTENCE, BRAND).tobytes()


def test_empty_caption_changes_nothing(slide: Image.Image) -> None:
    assert changed_box(slide, burn_caption(slide, "  \n ", BRAND)) is None


def test_wrong_frame_size_is_one_input_error() -> None:
    with pytest.raises(InputError, match="expected a 1080x1920 slide, got 1920x1080"):
        burn_caption(Image.new("RGB", (1920, 1080)), "hi", BRAND)


def test_rgba_frames_are_accepted(slide: Image.Image) -> None:
    burned = burn_caption(slide.convert("RGBA"), SENTENCE, BRAND)
    assert burned.mode == "RGB"
    assert burned.tobytes() == burn_caption(slide, SENTENCE, BRAND).tobytes()


def test_missing_brand_font_is_one_input_error(slide: Image.Image, tmp_path: Path) -> None:
    brand = BRAND.model_copy(update={"font": tmp_path / "gone.otf"})
    with pytest.raises(InputError, match=r"brand\.font: font file not found"):
        burn_caption(slide, SENTENCE, brand)


def test_threads_burn_the_same_pixels(slide: Image.Image) -> None:
    """The reel burns captions from a thread pool: results must match one-at-a-time burning."""
    cues = [f"{i}: {text}" for i, text in enumerate([SENTENCE, "漢字テスト한국어 🚀",
                                                     "مرحبا بالعالم 2.0"] * 4)]
    serial = [burn_caption(slide, cue, BRAND).tobytes() for cue in cues]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda cue: burn_caption(slide, cue, BRAND).tobytes(), cues))
    assert parallel == serial


PHRASE_WORDS = ("Exports", "are", "three", "times", "faster")


def test_each_highlighted_word_is_drawn_on_a_clean_strip(slide: Image.Image) -> None:
    """Phrase strips share one drawn base: no word's highlight may stay on the next word's
    strip, whatever the order, and a caller drawing on a strip changes no later one."""
    text = " ".join(PHRASE_WORDS)
    forward = [burn_caption(slide, text, BRAND, words=PHRASE_WORDS, spoken=i).tobytes()
               for i in range(len(PHRASE_WORDS))]
    plain = burn_caption(slide, text, BRAND, words=PHRASE_WORDS)
    plain.paste((255, 0, 0), (0, CAPTION_TOP, SLIDE_SIZE[0], CAPTION_BOTTOM))
    backward = [burn_caption(slide, text, BRAND, words=PHRASE_WORDS, spoken=i).tobytes()
                for i in reversed(range(len(PHRASE_WORDS)))]
    assert backward[::-1] == forward
    assert len(set(forward)) == len(PHRASE_WORDS)  # each word highlighted differently
    unhighlighted = burn_caption(slide, text, BRAND, words=PHRASE_WORDS).tobytes()
    assert unhighlighted not in forward


def test_a_caption_is_drawn_over_the_pixels_it_is_given(slide: Image.Image) -> None:
    """The same caption over another picture is drawn over that picture, not a kept one."""
    other = slide.copy()
    other.paste((200, 40, 40), (0, CAPTION_TOP, SLIDE_SIZE[0], SLIDE_SIZE[1]))
    first = burn_caption(slide, SENTENCE, BRAND)
    second = burn_caption(other, SENTENCE, BRAND)
    box = changed_box(slide, first)
    assert box is not None
    # the translucent box lets the red through: the strips differ everywhere inside it
    assert changed_box(first.crop(box), second.crop(box)) == (0, 0, box[2] - box[0],
                                                              box[3] - box[1])


def test_the_highlight_is_on_the_spoken_word_not_on_its_letters_in_an_earlier_one(
        slide: Image.Image) -> None:
    """"a" is also a letter of "Handle": the second word's highlight lies right of "Handle"."""
    text = "Handle a constant"
    words = tuple(text.split())
    plain = burn_caption(slide, text, BRAND, words=words, spoken=-1).convert("L")
    first = burn_caption(slide, text, BRAND, words=words, spoken=0).convert("L")
    second = burn_caption(slide, text, BRAND, words=words, spoken=1).convert("L")
    handle = ImageChops.difference(plain, first).getbbox()
    article = ImageChops.difference(plain, second).getbbox()
    assert handle and article
    assert article[0] > handle[2]  # starts after "Handle" ends
    assert article[2] - article[0] < handle[2] - handle[0]  # one letter, narrower than a word
