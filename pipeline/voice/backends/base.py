"""The one interface every speech backend implements, and the registry that picks one.

A backend turns one sentence into one WAV file. Adding a backend (OpenAI ``/v1/audio/speech``,
Coqui ``tts-server``...) means adding a module here and one line to ``_BACKENDS``.

Backends are built from :class:`~pipeline.config.VoiceOptions` and read what they support from it
(``voice``, ``rate``, ``base_url``, ``model``). A backend may also set ``concurrency``: how many
``synthesize`` calls may run at once (default 1).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, runtime_checkable

from ...config import VoiceOptions
from ...errors import ConfigError


@runtime_checkable
class SpeechBackend(Protocol):
    name: str

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        """Speak ``text`` in ``language`` (a code such as "en" or "pt-BR") into the WAV ``out``."""
        ...


# backend name -> "module:factory", imported only when chosen (cloud clients are optional extras)
_BACKENDS: dict[str, str] = {
    "espeak": "pipeline.voice.backends.espeak:EspeakBackend",
    "openai": "pipeline.voice.backends.openai_speech:OpenAISpeechBackend",
    "coqui": "pipeline.voice.backends.coqui:CoquiBackend",
}


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def get_backend(options: VoiceOptions) -> SpeechBackend:
    """The backend named by ``options.backend``, built from ``options``."""
    target = _BACKENDS.get(options.backend)
    if target is None:
        raise ConfigError(
            f"voice.backend: unknown backend {options.backend!r} "
            f"(available: {', '.join(backend_names())})"
        )
    module_name, _, factory_name = target.partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory(options)


def concurrency(backend: SpeechBackend) -> int:
    return max(1, int(getattr(backend, "concurrency", 1)))
