"""Clients for the remote language-model and speech services that story, translate and voice
use: Gemini (google-genai) and any OpenAI-compatible endpoint (chat, speech).

Each client makes one attempt per request; :mod:`pipeline.retry` retries, so every backend
behaves alike. The client libraries are imported only when a client is made.
"""

from __future__ import annotations

from typing import Any, Protocol


class ChatModel(Protocol):
    """One-shot JSON answers from a chat model."""

    name: str

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> str: ...


def chat_model(backend: str, *, model: str | None = None, base_url: str | None = None,
               temperature: float = 0.4) -> ChatModel:
    """The client for ``backend`` (``gemini``, or ``openai`` for any compatible endpoint)."""
    if backend == "gemini":
        from .gemini import GeminiChat

        return GeminiChat(model=model, base_url=base_url, temperature=temperature)
    from .openai_api import OpenAIChat

    return OpenAIChat(model=model, base_url=base_url, temperature=temperature)
