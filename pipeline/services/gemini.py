"""Gemini through the google-genai SDK (not the end-of-life google-generativeai package)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from ..retry import RetryPolicy, call_remote

DEFAULT_MODEL = "gemini-2.5-flash"
KEY_ENV = "GEMINI_API_KEY"


class GeminiChat:
    """One-shot JSON answers from a Gemini model; retries are ours (pipeline.retry)."""

    name = "gemini"

    def __init__(self, *, model: str | None = None, base_url: str | None = None,
                 temperature: float = 0.4, policy: RetryPolicy | None = None) -> None:
        try:
            from google import genai
            from google.genai import types
        except ImportError:
            raise ConfigError(
                "the gemini backend needs google-genai: pip install 'releasecast[ai]'"
            ) from None
        key = os.environ.get(KEY_ENV) or os.environ.get("GOOGLE_API_KEY")
        if not key:
            raise ConfigError(f"the gemini backend needs an API key in ${KEY_ENV}")
        self.model = model or DEFAULT_MODEL
        self.temperature = temperature
        self.policy = policy or RetryPolicy.from_env()
        self._types = types
        self._client = genai.Client(
            api_key=key,
            http_options=types.HttpOptions(
                base_url=base_url,
                # v1beta: where JSON-schema output and system instructions are documented
                api_version="v1beta",
                timeout=int(self.policy.timeout * 1000),  # milliseconds
                # one attempt: pipeline.retry owns retries, so every backend behaves alike
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> str:
        """The model's answer (expected to be JSON following ``schema``) as text."""
        config = self._types.GenerateContentConfig(
            system_instruction=system,
            temperature=self.temperature,
            response_mime_type="application/json",
            response_json_schema=schema,
        )

        def once() -> str:
            response = self._client.models.generate_content(
                model=self.model, contents=user, config=config
            )
            return response.text or ""

        return call_remote(once, what=f"gemini ({self.model})", key_env=KEY_ENV,
                           policy=self.policy)
