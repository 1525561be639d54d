"""Fonts, fallback, bidi and fitting, checked on real renderings with the installed fonts."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw

from pipeline.art import fonts
from pipeline.art.bidi import embedding_levels, visual_order, visual_runs
from pipeline.art.fonts import FontChain, FontFace, Weight, font_chain
from pipeline.art.line import draw_line, line_width, pieces
from pipeline.art.text import ELLIPSIS, TextBlock, draw_block, fit_paragraphs, fit_text, wrap
from pipeline.errors import ToolError

WHITE = (255, 255, 255)
INK = (20, 20, 20)
CJK = "漢字テスト한국어"


@pytest.fixture(scope="module")
def heavy() -> FontChain:
    return font_chain(Weight.HEAVY)


@pytest.fixture(scope="module")
def regular() -> FontChain:
    return font_chain(Weight.REGULAR)


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    background = Image.new(image.mode, image.size, WHITE)
    return ImageChops.difference(image, background).getbbox()


def render_block(block: TextBlock, width: int, height: int, margin: int = 50
                 ) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Draw a block in a box at (margin, margin) on a larger white canvas."""
    canvas = Image.new("RGB", (width + 2 * margin, height + 2 * margin), WHITE)
    draw_block(canvas, block, margin, margin, width, fill=INK)
    return canvas, (margin, margin, margin + width, margin + height)


def assert_inside(inner: tuple[int, int, int, int] | None, outer: tuple[int, int, int, int]
                  ) -> None:
    assert inner is not None, "nothing was drawn"
    assert outer[0] <= inner[0] and outer[1] <= inner[1], (inner, outer)
    assert inner[2] <= outer[2] and inner[3] <= outer[3], (inner, outer)


# --- fitting -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "width", "height"), [
    ("Widgets 1.2: faster exports, Parquet support and a streaming reader " * 3, 900, 300),
    ("A bullet line that is exactly as long as a very wordy changelog entry can be. " * 4
     + "x" * 0, 700, 200),
    ("Supercalifragilisticexpialidocious" * 2 + "antidisestablishment" * 0 + "y" * 12, 500, 200),
    (CJK * 12, 600, 220),
    ("مرحبا بالعالم: إصدار جديد 2.0 " * 8, 700, 260),
    ("👨‍👩‍👧 🚀 ❤️ emoji " * 12, 600, 200),
])
def test_fitted_text_lies_inside_its_box(heavy: FontChain, text: str, width: int,
                                         height: int) -> None:
    block = fit_text(text, heavy, width, height, max_size=96, min_size=24, max_lines=4)
    assert block.height <= height and block.width <= width
    canvas, box = render_block(block, width, height)
    assert_inside(ink_box(canvas), box)


def test_300_character_bullet(regular: FontChain) -> None:
    bullet = ("Fix a crash when the exporter meets an empty CSV header and the streaming reader "
              "was configured with a custom dialect, which previously raised an obscure error "
              "deep inside the parser instead of a clear message naming the file, the line and "
              "the column that was wrong; it now reports all three and skips the row safely.")
    assert len(bullet) >= 300
    block = fit_text(bullet, regular, 800, 260, max_size=52, min_size=28, max_lines=4)
    assert 28 <= block.size < 52
    assert len(block.lines) <= 4
    canvas, box = render_block(block, 800, 260)
    assert_inside(ink_box(canvas), box)


def test_single_80_character_word_is_broken_not_clipped(heavy: FontChain) -> None:
    word = "".join(chr(ord("a") + i % 26) for i in range(80))
    block = fit_text(word, heavy, 400, 400, max_size=100, min_size=30)
    assert block.size == 30  # shrunk as far as allowed before breaking the word
    assert len(block.lines) > 1
    assert "".join(block.lines) == word  # every character kept, in order
    canvas, box = render_block(block, 400, 400)
    assert_inside(ink_box(canvas), box)


def test_shorter_text_gets_a_larger_size(heavy: FontChain) -> None:
    short = fit_text("Widgets 1.2", heavy, 900, 300, max_size=120, min_size=30)
    long = fit_text("Widgets 1.2 brings faster exports and Parquet " * 3, heavy, 900, 300,
                    max_size=120, min_size=30)
    assert short.size == 120
    assert long.size < short.size
    assert long.truncated is False


def test_too_long_ends_in_an_ellipsis(regular: FontChain) -> None:
    text = "word " * 500
    block = fit_text(text, regular, 600, 200, max_size=40, min_size=30, max_lines=3)
    assert block.size == 30
    assert block.truncated
    assert len(block.lines) <= 3
    assert block.lines[-1].endswith(ELLIPSIS)
    canvas, box = render_block(block, 600, 200)
    assert_inside(ink_box(canvas), box)


def test_paragraphs_share_one_size_and_fit(regular: FontChain) -> None:
    texts = ["Short", "A much longer paragraph that needs to wrap onto more lines " * 2, "Mid"]
    blocks = fit_paragraphs(texts, regular, 700, 600, max_size=60, min_size=20, gap=0.5)
    assert len({b.size for b in blocks}) == 1
    total = sum(b.height for b in blocks) + 0.5 * blocks[0].size * 2
    assert total <= 600


def test_paragraphs_that_cannot_fit_are_dropped_with_a_marker(regular: FontChain) -> None:
    blocks = fit_paragraphs(["line " * 40] * 20, regular, 500, 300, max_size=40, min_size=30,
                            max_lines=2, gap=0.3)
    assert 0 < len(blocks) < 20
    assert blocks[-1].truncated and blocks[-1].lines[-1].endswith(ELLIPSIS)
    assert sum(b.height for b in blocks) + 0.3 * 30 * (len(blocks) - 1) <= 300


def test_cjk_wraps_between_characters_and_keeps_punctuation(regular: FontChain) -> None:
    text = "新しいプラグインAPIで、ビルドが速くなりました。" * 3

    def fits(line: str) -> bool:
        return line_width(line, regular, 40) <= 400

    lines = wrap(text, fits, break_words=False)
    assert lines is not None and len(lines) > 2
    assert "".join(lines) == text  # no spaces invented, nothing lost
    for line in lines[1:]:
        assert line[0] not in "、。"  # kinsoku: closing punctuation never starts a line


def test_latin_wraps_only_at_spaces(regular: FontChain) -> None:
    lines = wrap("alpha beta gamma delta", lambda s: len(s) <= 11, break_words=False)
    assert lines == ["alpha beta", "gamma delta"]
    assert wrap("unbreakable", lambda s: len(s) <= 5, break_words=False) is None
    assert wrap("unbreakable", lambda s: len(s) <= 5, break_words=True) == ["unbre", "akabl",
                                                                             "e"]


# --- fallback ----------------------------------------------------------------------------------

def test_chain_order_and_coverage(heavy: FontChain) -> None:
    names = [face.path.name for face in heavy.faces]
    assert any("DejaVu" in n for n in names)
    assert heavy.face_for("a") == heavy.faces[0]
    assert "CJK" in heavy.face_for("漢").path.name
    assert "Emoji" in heavy.face_for("🚀").path.name
    assert "DejaVu" in heavy.face_for("ש").path.name  # Lato has no Hebrew
    # ❤ is in DejaVu, but followed by VS16 it asks for emoji presentation
    runs = list(heavy.segments("I ❤️ it"))
    assert any("Emoji" in face.path.name and "❤" in text for face, text in runs)


def test_cjk_renders_real_glyphs_not_tofu(heavy: FontChain) -> None:
    """Each CJK character differs from the main face's .notdef box and from each other."""
    size = 64
    main = FontChain((heavy.faces[0],))  # Lato alone: no CJK, so every glyph is .notdef

    def render(text: str, chain: FontChain) -> Image.Image:
        image = Image.new("RGB", (size * 2 * len(text) + 40, size * 2), WHITE)
        draw_line(image, text, chain, size, 20, size * 1.4, INK)
        return image

    fallback, tofu = render(CJK, heavy), render(CJK, main)
    assert ink_box(fallback) is not None
    assert ImageChops.difference(fallback, tofu).getbbox() is not None
    glyphs = [render(char, heavy).tobytes() for char in CJK]
    boxes = [render(char, main).tobytes() for char in CJK]
    assert len(set(glyphs)) == len(CJK)  # tofu boxes would all look alike
    assert len(set(boxes)) == 1  # ...as the main face's .notdef indeed does
    assert not set(glyphs) & set(boxes)


def test_emoji_renders_in_colour(regular: FontChain) -> None:
    image = Image.new("RGB", (400, 160), WHITE)
    draw_line(image, "ok 🚀👨‍👩‍👧", regular, 64, 10, 110, INK)
    assert ink_box(image) is not None
    colourful = [p for p in image.getdata() if max(p) - min(p) > 60]
    assert len(colourful) > 500  # the bitmap emoji brought its own colours
    # the ZWJ family stays one glyph: same width as a single emoji
    family = line_width("👨‍👩‍👧", regular, 64)
    assert family == pytest.approx(line_width("🚀", regular, 64), rel=0.05)


def test_missing_fonts_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts._chain.cache_clear()
    monkeypatch.setattr(fonts, "_find", lambda *args: None)
    try:
        with pytest.raises(ToolError, match="fonts-dejavu-core"):
            font_chain(Weight.BOLD)
    finally:
        monkeypatch.undo()
        fonts._chain.cache_clear()


def test_cjk_face_follows_the_language() -> None:
    ja = font_chain(Weight.REGULAR, language="ja").face_for("漢")
    zh = font_chain(Weight.REGULAR, language="zh-TW").face_for("漢")
    ko = font_chain(Weight.REGULAR, language="ko").face_for("漢")
    assert (ja.index, zh.index, ko.index) == (0, 3, 1)


# --- right to left -----------------------------------------------------------------------------

def test_bidi_levels_and_order() -> None:
    text = "abc אבג def"
    levels = embedding_levels(text)
    assert levels[:4] == [0] * 4 and levels[4:7] == [1] * 3 and levels[8:] == [0] * 3
    order = visual_order(levels)
    assert "".join(text[i] for i in order) == "abc גבא def"
    # a right-to-left paragraph: the Latin word keeps its order, the sentence is reversed
    rtl = "שלום world"
    assert "".join(rtl[i] for i in visual_order(embedding_levels(rtl))) == "world םולש"


def test_runs_split_by_font_and_direction(heavy: FontChain) -> None:
    text = "v2 שלום 🚀"
    faces = []
    for face, run in heavy.segments(text):
        faces += [face] * len(run)
    runs = visual_runs(text, faces.__getitem__)
    assert [text[r.start : r.end] for r in runs] == ["v2 ", "שלום", " ", "🚀"]
    assert [r.rtl for r in runs] == [False, True, False, False]


@pytest.mark.parametrize("raqm", [True, False])
def test_hebrew_reads_right_to_left(raqm: bool, regular: FontChain) -> None:
    """Our line drawing equals the reversed string drawn glyph by glyph with no reordering."""
    if raqm and not fonts.RAQM_AVAILABLE:
        pytest.skip("libraqm not available")
    dejavu = next(f for f in regular.faces if "DejaVu" in f.path.name)
    chain = FontChain((dejavu,))
    expected = Image.new("RGB", (500, 120), WHITE)
    basic = dejavu.font(60, raqm=False)
    ImageDraw.Draw(expected).text((10, 90), "םולש", font=basic, fill=INK, anchor="ls")
    fonts.use_raqm(raqm)
    try:
        image = Image.new("RGB", (500, 120), WHITE)
        draw_line(image, "שלום", chain, 60, 10, 90, INK)
        assert {p.direction for p in pieces("שלום", chain)} == ({"rtl"} if raqm else {None})
    finally:
        fonts.use_raqm(fonts.RAQM_AVAILABLE)
    difference = ImageChops.difference(image, expected).convert("L")
    assert sum(difference.histogram()[40:]) < 60  # same glyphs in the same places


def test_arabic_and_mixed_lines_produce_ink(heavy: FontChain) -> None:
    for text in ["مرحبا بالعالم 123 release", "release שלום (hello) 2.0", "😀 مرحبا"]:
        block = fit_text(text, heavy, 700, 200, max_size=60, min_size=20)
        canvas, box = render_block(block, 700, 200)
        assert_inside(ink_box(canvas), box)
    assert fit_text("مرحبا بالعالم", heavy, 700, 200, max_size=60, min_size=20).rtl


def test_basic_layout_path_renders(heavy: FontChain) -> None:
    """Without libraqm (Pillow's basic engine) every script still draws inside its box."""
    fonts.use_raqm(False)
    try:
        for text in [CJK, "مرحبا بالعالم", "emoji 🚀", "שלום (עולם)"]:
            block = fit_text(text, heavy, 600, 200, max_size=60, min_size=20)
            canvas, box = render_block(block, 600, 200)
            assert_inside(ink_box(canvas), box)
    finally:
        fonts.use_raqm(fonts.RAQM_AVAILABLE)


def test_font_face_cmap_is_exact() -> None:
    emoji = next(f for f in font_chain(Weight.BOLD).faces if f.strike)
    assert isinstance(emoji, FontFace) and emoji.strike == fonts.EMOJI_STRIKE
    assert emoji.covers("🚀") and not emoji.covers("漢")
