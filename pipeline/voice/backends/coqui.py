"""Coqui TTS through its ``tts-server`` HTTP API (``GET /api/tts`` answers a WAV).

The Coqui packages cannot run in-process here (they need a torch/torchaudio pair this project
does not ship), so releasecast talks to a server started separately, e.g.
``tts-server --model_name tts_models/multilingual/multi-dataset/xtts_v2``.
``voice.base_url`` is its address (default ``http://localhost:5002``), ``voice.voice`` the
``speaker_id`` of multi-speaker models; the sentence's language is sent as ``language_id``
(multilingual models use it, others ignore it). Retries follow :mod:`pipeline.retry`.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from ...config import VoiceOptions
from ...retry import RetryPolicy, call_remote
from .openai_speech import write_audio

DEFAULT_URL = "http://localhost:5002"
# XTTS names a few languages with a region; everything else is the plain ISO 639-1 code.
_LANGUAGE_IDS = {"zh": "zh-cn"}


def language_id(language: str) -> str:
    code = language.split("-")[0].lower()
    return _LANGUAGE_IDS.get(code, code)


class CoquiBackend:
    name = "coqui"
    concurrency = 1  # tts-server synthesizes under a lock: parallel requests only queue

    def __init__(self, options: VoiceOptions) -> None:
        self.base_url = (options.base_url or DEFAULT_URL).rstrip("/")
        self.speaker = options.voice
        self.policy = RetryPolicy.from_env()

    def synthesize(self, text: str, language: str, out: Path) -> Path:
        params = {"text": text, "speaker_id": self.speaker, "style_wav": "",
                  "language_id": language_id(language)}
        what = f"coqui tts-server at {self.base_url}"

        def once() -> bytes:
            response = httpx.get(f"{self.base_url}/api/tts", params=params,
                                 timeout=self.policy.timeout)
            response.raise_for_status()
            return response.content

        return write_audio(out, call_remote(once, what=what, policy=self.policy), what)
