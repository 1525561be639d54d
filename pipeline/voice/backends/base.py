"""The one interface every speech backend implements, and the registry that picks one.

A backend turns one sentence into one WAV file. Adding a backend (OpenAI ``/v1/audio/speech``,
Coqui ``tts-server``...) means adding a module here and one line to ``_BACKENDS``.

Backends are built from :class:`~pipeline.config.VoiceOptions` and read what they support from it
(``voice``, ``rate``, ``base_url``, ``model``). A backend may also set ``concurrency``: how many
``synthesize`` calls may run at once (default 1).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from ...config import VoiceOptions
from ...errors import ConfigError
from ...structure import Word

log = logging.getLogger("releasecast.voice")


@runtime_checkable
class SpeechBackend(Protocol):
    name: str

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        """Speak ``text`` in ``language`` (a code such as "en" or "pt-BR") into the WAV ``out``."""
        ...


@runtime_checkable
class TimedSpeechBackend(SpeechBackend, Protocol):
    """A backend that also knows when each word is heard (Piper's alignments)."""

    def synthesize_words(self, text: str, language: str, out: Path) -> list[Word]:
        """Like ``synthesize``; returns the words timed in seconds from the WAV's start
        (empty when the engine could not align this sentence)."""
        ...


# backend name -> "module:factory", imported only when chosen (cloud clients are optional extras)
_BACKENDS: dict[str, str] = {
    "piper": "pipeline.voice.backends.piper:PiperBackend",
    "espeak": "pipeline.voice.backends.espeak:EspeakBackend",
    "openai": "pipeline.voice.backends.openai_speech:OpenAISpeechBackend",
    "coqui": "pipeline.voice.backends.coqui:CoquiBackend",
}


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def get_backend(options: VoiceOptions, language: str | None = None) -> SpeechBackend:
    """The backend named by ``options.backend``, built from ``options``.

    With ``language``: Piper speaks only the languages it has a voice for; any other language
    is spoken by espeak-ng's voice for it (said once, on one info line).
    """
    if options.backend == "piper" and language is not None:
        from .piper import fallback_reason

        reason = fallback_reason(options, language)
        if reason:
            if (reason, language) not in _told:
                _told.add((reason, language))
                log.info("%s: the %s narration is spoken by espeak-ng", reason, language)
            options = options.model_copy(update={"backend": "espeak", "voice": ""})
    target = _BACKENDS.get(options.backend)
    if target is None:
        raise ConfigError(
            f"voice.backend: unknown backend {options.backend!r} "
            f"(available: {', '.join(backend_names())})"
        )
    module_name, _, factory_name = target.partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory(options)


_told: set[tuple[str, str]] = set()


def release_voice(options: VoiceOptions) -> None:
    """Let go of what speaking with ``options`` keeps loaded between sentences (a Piper
    voice's server); the next narration with it loads it again."""
    if options.backend == "piper":
        from .piper import stop_server

        stop_server(options)


def concurrency(backend: SpeechBackend) -> int:
    return max(1, int(getattr(backend, "concurrency", 1)))
