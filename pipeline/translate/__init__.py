"""Translating captions and narration: one interface, several backends.

``config.translator`` picks the backend: ``apertium`` (offline, where the language pair is
installed), ``gemini`` / ``openai`` (a language model, told to keep code, names, versions and
URLs), or ``marian`` (OPUS-MT models run with CTranslate2 from a local directory). Every backend
gets the same protection: code spans, identifiers (snake_case, camelCase, inner-capital names),
URLs, versions, @mentions, #references, options and the names passed as ``keep`` are masked
before translation and put back after, untouched.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from ..config import Config
from ..errors import ConfigError, ReleasecastError
from .protect import Masked, protect

log = logging.getLogger("releasecast.translate")


class TranslationError(ReleasecastError):
    """A translator cannot translate this pair or failed."""


class Translator(ABC):
    name: str = "translator"

    def check(self, source: str, target: str) -> None:
        """Raise :class:`TranslationError` (one line) when this pair cannot be translated."""
        return None  # language models and OPUS-MT models are checked when first used

    def translate(self, texts: Sequence[str], *, source: str, target: str,
                  keep: Sequence[str] = ()) -> list[str]:
        """``texts`` (one caption or sentence each) in the ``target`` language, in order."""
        if not texts:
            return []
        if source.split("-")[0] == target.split("-")[0]:
            return list(texts)
        self.check(source, target)
        masked = [protect(" ".join(t.split()), keep) for t in texts]
        raw = self._translate([m.text for m in masked], source, target)
        if len(raw) != len(masked):
            raise TranslationError(
                f"{self.name}: got {len(raw)} translations for {len(masked)} texts"
            )
        out: list[str | None] = [m.restore(r) for m, r in zip(masked, raw, strict=True)]
        lost = [i for i, text in enumerate(out) if text is None]
        if lost:
            log.info("%s: %d text(s) lost a protected span; translating around the spans",
                     self.name, len(lost))
            for i, text in zip(lost, self._around_spans([masked[i] for i in lost], source,
                                                        target), strict=True):
                out[i] = text
        return [" ".join(str(t).split()) for t in out]

    def _around_spans(self, masked: list[Masked], source: str, target: str) -> list[str]:
        """Translate only the words between protected spans, which stay exactly as they were."""
        chunks = [text.strip() for m in masked for protected, text in m.segments()
                  if not protected and any(c.isalpha() for c in text)]
        translated = iter(self._translate(chunks, source, target) if chunks else [])
        results = []
        for m in masked:
            parts = []
            for protected, text in m.segments():
                if protected or not any(c.isalpha() for c in text):
                    parts.append(text)
                else:
                    lead = text[: len(text) - len(text.lstrip())]
                    trail = text[len(text.rstrip()):]
                    parts.append(lead + next(translated) + trail)
            results.append("".join(parts))
        return results

    @abstractmethod
    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """Translate texts that may contain placeholders (``ZPH0Z``) to be kept as they are."""


def _apertium(config: Config) -> Translator:
    from .apertium import ApertiumTranslator

    return ApertiumTranslator()


def _gemini(config: Config) -> Translator:
    from .llm import LLMTranslator, translator_model

    return LLMTranslator(translator_model("gemini", config), config)


def _openai(config: Config) -> Translator:
    from .llm import LLMTranslator, translator_model

    return LLMTranslator(translator_model("openai", config), config)


def _marian(config: Config) -> Translator:
    from .marian import MarianTranslator

    return MarianTranslator()


TRANSLATORS: dict[str, Callable[[Config], Translator]] = {
    "apertium": _apertium,
    "gemini": _gemini,
    "openai": _openai,
    "marian": _marian,
}


def get_translator(config: Config) -> Translator:
    name = config.translator
    if name not in TRANSLATORS:
        known = ", ".join(sorted(TRANSLATORS))
        raise ConfigError(f"translator: unknown translator {name!r} (expected one of: {known})")
    return TRANSLATORS[name](config)
