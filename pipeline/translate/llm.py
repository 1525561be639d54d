"""Translation by a language model (Gemini or any OpenAI-compatible endpoint).

The model sees placeholders instead of code, names, versions and URLs and must copy them; its
answer is validated (JSON, one translation per text, every placeholder kept once) and retried
once with the problems named. Texts still missing a placeholder are translated around the
protected spans by the base class, so those spans never change.
"""

from __future__ import annotations

import json
import logging
import re

from ..config import Config
from ..services import ChatModel, chat_model
from ..templating import environment
from . import TranslationError, Translator
from .languages import language_name

log = logging.getLogger("releasecast.translate")

ATTEMPTS = 2
_PLACEHOLDER = re.compile(r"ZPH\d+Z")


def translator_model(backend: str, config: Config) -> ChatModel:
    """The chat client for ``backend``; model and URL are shared with the writer's settings."""
    writer = config.writer
    same = writer.backend == backend
    return chat_model(backend, model=writer.model if same else None,
                      base_url=writer.base_url if same else None,
                      temperature=0.2)  # translation wants faithfulness, not variety


def translation_schema() -> dict:
    """Strict-mode subset (no length constraints): the count is in the prompt and checked."""
    return {
        "type": "object",
        "properties": {"translations": {"type": "array", "items": {"type": "string"}}},
        "required": ["translations"],
        "additionalProperties": False,
    }


def check_answer(raw: str, texts: list[str]) -> tuple[list[str] | None, list[str]]:
    try:
        data = json.loads(raw.strip())
        translations = data["translations"]
        if not isinstance(translations, list) or not all(isinstance(t, str) for t in translations):
            raise TypeError
    except json.JSONDecodeError as exc:
        return None, [f"the answer was not valid JSON ({exc.msg})"]
    except (KeyError, TypeError):
        return None, ['the answer must be {"translations": [<one string per text>]}']
    if len(translations) != len(texts):
        return None, [f"expected {len(texts)} translations, got {len(translations)}"]
    problems = []
    for index, (text, translated) in enumerate(zip(texts, translations, strict=True), start=1):
        wanted = sorted(_PLACEHOLDER.findall(text))
        if sorted(_PLACEHOLDER.findall(translated)) != wanted:
            problems.append(f"text {index} must contain {', '.join(wanted) or 'no token'} "
                            f"exactly once each")
    # placeholder problems are repaired per text by the caller; only retry the model for them
    return translations, problems


class LLMTranslator(Translator):
    def __init__(self, model: ChatModel, config: Config) -> None:
        self.model = model
        self.name = f"{model.name} translator"
        self.templates = config.templates

    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        env = environment(self.templates)
        context = {"source": language_name(source), "target": language_name(target),
                   "texts": texts, "problems": []}
        best: list[str] | None = None
        for attempt in range(1, ATTEMPTS + 1):
            system = env.get_template("prompts/translate_system.j2").render(context).strip()
            user = env.get_template("prompts/translate_user.j2").render(context).strip()
            raw = self.model.complete_json(system, user, translation_schema())
            translations, problems = check_answer(raw, texts)
            if translations is not None:
                best = translations
            if not problems:
                return translations or []
            log.warning("%s: answer %d of %d rejected: %s", self.name, attempt, ATTEMPTS,
                        "; ".join(problems))
            context["problems"] = problems
        if best is None:
            raise TranslationError(f"{self.name}: no usable translation after {ATTEMPTS} tries")
        return best  # texts that lost a placeholder get translated around their spans
