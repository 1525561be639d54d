"""Speech backends: one sentence in, one WAV out."""

from .base import (
    SpeechBackend,
    TimedSpeechBackend,
    backend_names,
    concurrency,
    get_backend,
    release_voice,
)

__all__ = [
    "SpeechBackend", "TimedSpeechBackend", "backend_names", "concurrency", "get_backend",
    "release_voice",
]
