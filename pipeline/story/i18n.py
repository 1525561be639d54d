"""The release's own language: detecting it, and the fixed phrases in it.

``story.language: auto`` (the default) narrates in the language the release notes are written
in; any other code narrates in that language, the items translated into it by the configured
translator. The fixed phrases of the narration and post templates are gettext messages; their
translations are the catalogues in ``pipeline/locale/<lang>.po`` (es, de, fr, pt, zh, ja; the
English text is the message id), compiled in memory with polib when first used.

Detection: the notes' words (code, URLs, references and handles removed: they are English-looking
in every language) go through py3langid, restricted to the languages releases are commonly
written in; a text mostly in Han characters is Chinese, with kana Japanese, with Hangul Korean,
whatever the statistics say about the Latin identifiers mixed in.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..config import Config
from ..structure import ReleaseFacts
from .spoken import spoken_text

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT = "en"
# Fewer letters than this say too little to tell a language: the default is kept.
MIN_LETTERS = 40
_CANDIDATES = ["en", "es", "de", "fr", "pt", "it", "nl", "ca", "pl", "ru", "uk", "cs", "sv",
               "da", "no", "fi", "tr", "id", "vi", "zh", "ja", "ko"]
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


def notes_text(facts: ReleaseFacts) -> str:
    """The words of the release that a person wrote, without code or references."""
    parts = [facts.name] + [item.text for item in facts.items]
    if not facts.items:
        parts.append(facts.body)
    return " ".join(spoken_text(part) for part in parts if part)


def detect(text: str) -> str:
    """The language ``text`` is written in (ISO 639-1), or "en" when it says too little."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < MIN_LETTERS and not _HAN.search(text):
        return DEFAULT
    if _clearly_english(text):
        return "en"
    kana, hangul, han = (len(p.findall(text)) for p in (_KANA, _HANGUL, _HAN))
    if kana and (kana + han) * 3 >= len(letters):
        return "ja"
    if hangul * 3 >= len(letters):
        return "ko"
    if han * 3 >= len(letters):
        return "zh"
    return _identifier().classify(text)[0]


# Function words: English ones, and other languages' that are not English words. Most notes are
# English; saying so from these spares loading the statistical model (~1-2 s, ~110 MB).
def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ENGLISH = _set("the and to for of with when from by is are was be this that it its now "
                "on into an as not no can will all only instead which")
_NOT_ENGLISH = _set("de la el los las del y que por para con una un en und der die das "
                    "ist mit nicht ein eine von zu auf le les des du une est pour avec sur "
                    "dans et ne pas os com uma em ao il di che per het een van voor op "
                    "niet och att som")


def _clearly_english(text: str) -> bool:
    if not text.isascii():
        return False
    words = re.findall(r"[a-z]+", text.lower())
    english = sum(1 for w in words if w in _ENGLISH)
    return english >= 2 and not any(w in _NOT_ENGLISH for w in words)


@cache
def _identifier() -> Any:  # py3langid's LanguageIdentifier (untyped)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(_CANDIDATES)
    return identifier


def release_language(facts: ReleaseFacts) -> str:
    return detect(notes_text(facts))


def story_language(facts: ReleaseFacts, config: Config) -> tuple[str, str]:
    """(the notes' language, the narration's language) for this release and config."""
    source = release_language(facts)
    wanted = config.story.language
    return source, source if wanted == "auto" else wanted


def has_catalogue(language: str) -> bool:
    code = language.split("-")[0].lower()
    return code == DEFAULT or (LOCALE_DIR / f"{code}.po").is_file()


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The fixed phrases in ``language`` (English where there is no catalogue for it)."""
    code = language.split("-")[0].lower()
    path = LOCALE_DIR / f"{code}.po"
    if code == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    import polib  # type: ignore[import-untyped]  # no inline types, no stubs installed

    return gettext.GNUTranslations(io.BytesIO(polib.pofile(str(path)).to_binary()))
