"""The script for the ear: hostile release-note items become sentences a narrator can say."""

from __future__ import annotations

import re
import unicodedata

import pytest
from factories import sample_facts

from pipeline.config import Config, VoiceOptions
from pipeline.story import write_story
from pipeline.story.spoken import ITEM_WORDS, spoken_item, within
from pipeline.structure import ChangeItem, ChangeKind

# What must never be heard: references, addresses, hashes, handles, markup, role syntax.
FORBIDDEN = [
    (r"#\d|\bGH-\d", "issue/PR number"),
    (r"\b\d{4,}\b", "a long reference number"),
    (r"https?:|www\.|\.com\b|\.io/", "URL"),
    (r"\b[0-9a-f]{7,40}\b", "commit hash"),
    (r"@\w", "handle"),
    (r"[`*_~<>\[\]{}|]", "Markdown"),
    (r":\w+:", "role or emoji shortcode"),
    (r"…|\.\.\.", "ellipsis"),
]

LONG = " ".join(
    ["For example, to suppress N803 for a function you now write `# noqa: N803` on the line,"]
    + ["which also applies to methods, classes and every other name in the module"] * 60
) + "."

HOSTILE = [
    "Fix crash on empty CSV header (#58953) by @alice in https://github.com/o/r/pull/58953",
    "number #58953 number #58957",
    "feat: add `--color` option :sparkles: 🎉 (closes #12, #13) 👍🏽",
    "**Breaking**: drop Python 3.8, see [the docs](https://x.y/z) and "
    "[#45](https://github.com/o/r/issues/45)",
    "Bump foo from 1.2.0 to 2.0.0-rc.1 (abc1234def) <https://github.com/o/r/commit/abc1234def>",
    ":pr:`1234` Use :class:`~pkg.io.Reader` for {func}`load_config` (:issue:`77`)",
    "Thanks @bob and @carol for the fix, cc @dependabot[bot]",
    "- [x] Update `antd` to 5.0 <b>now</b> | see GH-991 and owner/repo#12",
    LONG,
]


def assert_speakable(text: str) -> None:
    assert text, "nothing left to say"
    for pattern, what in FORBIDDEN:
        assert not re.search(pattern, text), f"{what} in {text!r}"
    assert not any(unicodedata.category(c) in ("So", "Sk") for c in text), f"emoji in {text!r}"
    assert (text[0].isupper() or text[0].isdigit()) and text.endswith("."), text
    assert text.count(".") == 1 or re.search(r"\d\.\d", text), f"more than a sentence: {text!r}"


@pytest.mark.parametrize("item", HOSTILE)
def test_hostile_items_are_said_as_one_clean_complete_sentence(item):
    said = spoken_item(item)
    assert_speakable(said)
    assert len(said.split()) <= ITEM_WORDS + 2  # within the budget (a whole clause may overrun)


def test_a_long_item_keeps_its_first_complete_clause():
    said = spoken_item(LONG)
    assert said == "For example, to suppress N803 for a function you now write noqa: N803 " \
                   "on the line."
    # Sentences are kept whole while they fit; the rest is left out, never cut.
    text = "First part is short. Second part is a bit longer than that. Third."
    assert within(text, 10) == "First part is short."
    assert within(text, 12) == "First part is short. Second part is a bit longer than that."


def test_names_lexicon_and_versions_are_said_the_way_people_say_them():
    lexicon = {"antd": "ant design", "--color": "the color option", "CLI": "command line"}
    assert spoken_item("Use `--color` in the CLI", lexicon=lexicon) == \
        "Use the color option in the command line."
    assert spoken_item("Update antd and ANTD", lexicon=lexicon) == \
        "Update ant design and ant design."
    assert spoken_item("Thanks @carol and @dave", names={"carol": "Carol King"}) == \
        "Thanks Carol King."
    assert spoken_item("Thanks @bob for the fix, reported by @eve") == "Thanks for the fix."
    assert spoken_item("Released v2.0.0 after 1.9.3 and 2.1.0b2") == \
        "Released version 2.0 after 1.9.3 and 2.1 beta 2."
    assert spoken_item("Call `load_config()` or `fooBar.baz`") == \
        "Call load config or foo bar dot baz."


def test_the_narration_of_a_hostile_release_is_clean():
    facts = sample_facts()
    facts.items = [ChangeItem(text, ChangeKind.FEATURE if n % 2 else ChangeKind.FIX)
                   for n, text in enumerate(HOSTILE)]
    config = Config(voice=VoiceOptions(lexicon={"antd": "ant design"}))
    story = write_story(facts, config)
    spoken = [s for slide in story.slides for s in slide.narration]
    assert len(spoken) >= 8
    for sentence in spoken:
        assert_speakable(sentence)
    assert any("ant design" in s for s in spoken) or len(HOSTILE) > config.reel.max_items * 2
