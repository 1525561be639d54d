"""Any OpenAI-compatible ``/v1/audio/speech`` endpoint: OpenAI, Kokoro-FastAPI, LocalAI.

``voice.base_url`` points at the server (default: OpenAI, or ``$OPENAI_BASE_URL``),
``voice.model`` and ``voice.voice`` pick the model and voice, ``voice.rate`` (words per minute,
165 = normal) becomes the endpoint's ``speed``. The key comes from ``$OPENAI_API_KEY`` (local
servers need none). Answers are requested as WAV; retries follow :mod:`pipeline.retry`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ...config import VoiceOptions
from ...retry import RemoteServiceError, RetryPolicy, call_remote
from ...services.openai_api import KEY_ENV, openai_client

DEFAULT_MODEL = "gpt-4o-mini-tts"
DEFAULT_VOICE = "alloy"
NORMAL_RATE = 165  # VoiceOptions.rate's default: speed 1.0


def write_audio(out: Path, audio: bytes, what: str) -> Path:
    """Check the bytes are a WAV and write them atomically to ``out``."""
    if audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        raise RemoteServiceError(f"{what}: the answer is not WAV audio ({len(audio)} bytes)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(audio)
    os.replace(tmp, out)
    return out


class OpenAISpeechBackend:
    name = "openai"
    concurrency = 4  # sentences are independent requests; servers handle a few at once

    def __init__(self, options: VoiceOptions) -> None:
        self.policy = RetryPolicy.from_env()
        self.client = openai_client(options.base_url, self.policy)
        self.model = options.model or DEFAULT_MODEL
        self.voice = options.voice or DEFAULT_VOICE
        self.speed = round(min(4.0, max(0.25, options.rate / NORMAL_RATE)), 3)

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        # the endpoint infers the language from the text; the voice decides the accent
        extra = {} if self.speed == 1.0 else {"speed": self.speed}
        what = f"openai speech ({self.model})"

        def once() -> bytes:
            response = self.client.audio.speech.create(
                model=self.model, voice=self.voice, input=text, response_format="wav", **extra
            )
            return response.content

        return write_audio(out, call_remote(once, what=what, key_env=KEY_ENV,
                                            policy=self.policy), what)
