"""The release's own language: detected from the notes, fixed phrases translated, a voice of
that language (never a voice reading a script in another language)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config, StoryOptions, parse_config
from pipeline.errors import ConfigError, ReleasecastError
from pipeline.facts.collect import collect_facts
from pipeline.story import write_story
from pipeline.story.i18n import LOCALE_DIR, detect, translations
from pipeline.templating import environment
from pipeline.voice import narrate
from pipeline.voice.backends import get_backend
from pipeline.voice.captions import MAX_LINE_CHARS_CJK
from pipeline.voice.words import is_cjk

FIXTURES = Path(__file__).parent / "fixtures" / "voice"
# A fixed phrase of each language's narration, from its catalogue.
HEARD = {"zh": "发布了", "es": "ya está aquí", "ja": "リリースされました"}


def facts_for(language: str):
    body = (FIXTURES / f"{language}.md").read_text(encoding="utf-8")
    event = {"action": "published",
             "release": {"tag_name": "v2.4.0", "name": "", "body": body, "draft": False,
                         "prerelease": False, "published_at": "2026-01-01T00:00:00Z",
                         "html_url": "https://github.com/acme/widgets/releases/tag/v2.4.0"},
             "repository": {"full_name": "acme/widgets", "description": "",
                            "html_url": "https://github.com/acme/widgets"}}
    return collect_facts(event=event)


@pytest.mark.parametrize("language", ["zh", "es", "ja"])
def test_the_notes_language_is_detected_and_narrated_in_it(language):
    story = write_story(facts_for(language), Config())
    assert story.language == language
    spoken = [s for slide in story.slides for s in slide.narration]
    assert HEARD[language] in spoken[0]
    assert not any(english in " ".join(spoken) for english in
                   ("is out", "Here is what's new", "Fixed in this release", "Read the full"))
    # the items are said in the notes' own words, references and handles left out
    assert any(("Parquet" in s) for s in spoken)
    assert not any("#" in s or "@" in s or "http" in s for s in spoken)


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng")
@pytest.mark.parametrize("language", ["zh", "es", "ja"])
def test_the_voice_speaks_the_narrations_language(tmp_path, language, caplog):
    story = write_story(facts_for(language), Config())
    backend = get_backend(Config().voice, story.language)
    assert backend.name == "espeak"  # the bundled Piper voice speaks English only
    with caplog.at_level(logging.INFO, logger="releasecast.voice"):
        narration = narrate(story, Config().voice, tmp_path)
    assert narration.language == language
    assert narration.audio.name == f"narration.{language}.wav"
    if language != "es":
        for cue in narration.cues:
            assert is_cjk(cue.text)
            assert all(len(line) <= MAX_LINE_CHARS_CJK + 2 for line in cue.lines or [cue.text])
    assert 1.0 <= max(cue.end - cue.start for cue in narration.cues) <= 7.0


def test_english_notes_keep_the_english_piper_voice():
    from factories import sample_facts

    story = write_story(sample_facts(), Config())
    assert story.language == "en"
    assert get_backend(Config().voice, story.language).name == "piper"


def test_detection_on_short_and_mixed_texts():
    assert detect("Fix it") == "en"  # too little to tell: the default
    # ASCII-only Spanish is not taken for English by the function-word shortcut
    assert detect("Nuevo lector en streaming para archivos grandes, y exporta el doble de "
                  "rapido") == "es"
    assert detect("Fix a crash when the reader opens an empty file, and export faster") == "en"
    assert detect("修复 `Vue3` 组件在 SSR 模式下的内存泄漏问题") == "zh"
    assert detect("Vue3 コンポーネントのメモリリークを修正") == "ja"
    assert detect("Behebt einen Absturz beim Export großer Dateien und verbessert die "
                  "Leistung des Lesers") == "de"
    assert detect("Corrige un plantage lors de l'export de gros fichiers et améliore les "
                  "performances") == "fr"
    assert detect("Corrige uma falha ao exportar arquivos grandes e melhora o desempenho do "
                  "leitor") == "pt"


def test_every_catalogue_translates_every_phrase_of_the_narration():
    languages = sorted(p.stem for p in LOCALE_DIR.glob("*.po"))
    assert {"es", "de", "fr", "pt", "zh", "ja"} <= set(languages)
    english = translations("en")
    for language in languages:
        catalogue = translations(language)
        for phrase in ("Here is what's new.", "Fixed in this release.",
                       "Read the full story on the blog."):
            assert catalogue.gettext(phrase) != english.gettext(phrase), (language, phrase)
        for count in (1, 2, 5):
            said = catalogue.ngettext("%(num)d fix", "%(num)d fixes", count) % {"num": count}
            assert str(count) in said
    env = environment(language="de")
    assert env.from_string('{{ _("Fixed in this release.") }}').render() == \
        "Behoben in dieser Version."


def test_story_language_option(tmp_path):
    assert Config().story.language == "auto"
    assert parse_config({"story": {"language": "es"}}).story == StoryOptions(language="es")
    with pytest.raises(ConfigError, match=r"story\.language"):
        parse_config({"story": {"language": "Spanish!"}})
    # Chinese notes narrated in English need a translator for zh -> en: apertium has none,
    # which is one clear error rather than an English voice reading Chinese.
    config = parse_config({"story": {"language": "en"}})
    with pytest.raises(ReleasecastError) as error:
        write_story(facts_for("zh"), config)
    assert "\n" not in str(error.value) and "zh" in str(error.value)


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng")
def test_a_chinese_script_labelled_english_is_spoken_by_a_chinese_voice(tmp_path):
    from pipeline.structure import Slide, SlideKind, Story

    story = Story("t", "s", language="en", slides=[
        Slide(SlideKind.TITLE, "t", narration=["这个版本修复了三个问题。"])])
    narration = narrate(story, Config().voice, tmp_path, min_duration=5)
    assert narration.language == "zh"
