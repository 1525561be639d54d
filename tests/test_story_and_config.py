"""The template writer and the configuration file, as a maintainer meets them."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import sample_facts

from pipeline.config import Config, load_config, parse_config
from pipeline.errors import ConfigError
from pipeline.story import write_story
from pipeline.story.plain import plain_text, speakable
from pipeline.structure import ChangeItem, ChangeKind, SlideKind


def test_a_release_gets_one_slide_per_kind_of_news(facts) -> None:
    story = write_story(facts, Config())
    assert [s.kind for s in story.slides] == [
        SlideKind.TITLE, SlideKind.HIGHLIGHTS, SlideKind.BREAKING, SlideKind.FIXES,
        SlideKind.CONTRIBUTORS, SlideKind.CLOSING]
    assert story.title == "widgets v1.2.0: Faster exports"
    assert story.summary == ("widgets v1.2.0 is out with 2 new features, 1 fix and "
                             "1 breaking change from 4 contributors.")
    highlights = story.slides[1]
    assert highlights.lines == ["Export to Parquet with widgets export --parquet",
                                "Streaming reader for large files"]
    # Every slide is narrated, sentence by sentence, in words a voice can say.
    for slide in story.slides:
        assert slide.narration, slide.kind
        assert all(sentence.endswith((".", "!", "?", "…")) for sentence in slide.narration)
    assert story.slides[0].narration[0] == "Widgets version 1.2 is out."  # said as people say it
    assert "A special welcome to 1 first-time contributor." in story.slides[4].narration


def test_five_thousand_items_give_a_short_reel_script() -> None:
    items = [ChangeItem(f"Fix number {i} in the parser", ChangeKind.FIX) for i in range(5000)]
    story = write_story(sample_facts(items=items), Config())
    fixes = next(s for s in story.slides if s.kind == SlideKind.FIXES)
    assert len(fixes.lines) == 3
    assert sum(len(s.narration) for s in story.slides) < 20


def test_an_empty_release_still_has_a_story() -> None:
    story = write_story(sample_facts(items=[], contributors=[], commits=[], name=""), Config())
    assert story.title == "widgets v1.2.0"
    assert [s.kind for s in story.slides] == [SlideKind.TITLE, SlideKind.CLOSING]
    assert story.summary == "widgets v1.2.0 is out."


def test_users_override_the_narration_template(tmp_path: Path, facts) -> None:
    (tmp_path / "narration.txt.j2").write_text(
        "{% macro title(slide) %}Big news from {{ project }}!\n{% endmacro %}\n"
        "{% macro closing(slide) %}Bye.\n{% endmacro %}\n")
    story = write_story(facts, Config(templates=tmp_path))
    assert story.slides[0].narration == ["Big news from widgets!"]
    assert story.slides[-1].narration == ["Bye."]
    # Kinds the override leaves out get no narration rather than an error.
    assert story.slides[1].narration == []


def test_plain_and_speakable_text() -> None:
    assert plain_text("**Bold** [link](https://x.y) and `code`") == "Bold link and code"
    assert speakable("Upgrade to v2.0.1 (see https://x.y/z) for #12") == \
        "Upgrade to version 2.0.1."  # no URL, no reference number read out


def test_config_defaults_and_paths(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    path = repo / ".github" / "releasecast.yml"
    path.write_text("brand:\n  name: Acme\n  logo: art/logo.png\nreel:\n  zoom: true\n"
                    "languages: [es, pt-BR]\n")
    config = load_config(path)
    assert config.brand.name == "Acme"
    assert config.brand.logo == repo / "art" / "logo.png"
    assert config.reel.zoom is True
    assert config.reel.max_duration == 60
    assert config.languages == ["es", "pt-BR"]
    assert load_config(tmp_path / "absent.yml") == Config()


@pytest.mark.parametrize(("data", "message"), [
    ({"brand": {"colour": "#fff"}}, "brand.colour: unknown key"),
    ({"brand": {"colors": {"accent": "blue"}}},
     "brand.colors.accent: expected a hex colour like '#0f172a', got 'blue'"),
    ({"reel": {"max_duration": 600}},
     "reel.max_duration: Input should be less than or equal to 60"),
    ({"reel": {"zoom": "sometimes"}}, "reel.zoom: Input should be a valid boolean"),
    ({"languages": ["Spanish"]}, "expected language codes like 'es' or 'pt-BR', got 'Spanish'"),
    (["a", "list"], "expected a mapping of options, got list"),
])
def test_config_errors_name_the_key_and_what_was_expected(data, message) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "releasecast.yml")
    assert message in str(info.value)
    assert str(info.value).startswith("releasecast.yml: ")


def test_invalid_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "releasecast.yml"
    path.write_text("brand:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"invalid YAML \(line 3, column 1\)"):
        load_config(path)
    path.write_bytes(b"brand:\n  name: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
