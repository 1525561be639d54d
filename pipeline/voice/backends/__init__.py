"""Speech backends: one sentence in, one WAV out."""

from .base import SpeechBackend, backend_names, concurrency, get_backend

__all__ = ["SpeechBackend", "backend_names", "concurrency", "get_backend"]
