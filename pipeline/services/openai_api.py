"""Any OpenAI-compatible chat endpoint: OpenAI, Foundry Local, Ollama, vLLM, LM Studio."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from ..retry import RetryPolicy, call_remote

DEFAULT_MODEL = "gpt-4o-mini"
KEY_ENV = "OPENAI_API_KEY"


def openai_client(base_url: str | None, policy: RetryPolicy) -> Any:
    """An ``openai.OpenAI`` client making one attempt per call (pipeline.retry retries)."""
    try:
        import openai
    except ImportError:
        raise ConfigError(
            "the openai backend needs the openai package: pip install 'releasecast[ai]'"
        ) from None
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = os.environ.get(KEY_ENV)
    if not key:
        if base_url is None:
            raise ConfigError(f"the openai backend needs an API key in ${KEY_ENV}")
        key = "unused"  # local servers (Ollama, LM Studio, vLLM) accept any key
    return openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=policy.timeout)


class OpenAIChat:
    """One-shot JSON answers from a chat completions endpoint with a JSON schema."""

    name = "openai"

    def __init__(self, *, model: str | None = None, base_url: str | None = None,
                 temperature: float = 0.4, policy: RetryPolicy | None = None) -> None:
        self.model = model or DEFAULT_MODEL
        self.temperature = temperature
        self.policy = policy or RetryPolicy.from_env()
        self._client = openai_client(base_url, self.policy)

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> str:
        def once() -> str:
            response = self._client.chat.completions.create(
                model=self.model,
                temperature=self.temperature,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": user}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": schema, "strict": True},
                },
            )
            if not response.choices:
                return ""
            return response.choices[0].message.content or ""

        return call_remote(once, what=f"openai ({self.model})", key_env=KEY_ENV,
                           policy=self.policy)
