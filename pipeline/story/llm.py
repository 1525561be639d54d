"""AI writers: a language model rewords the template writer's story, under the grounding guard.

The template writer decides which slides exist and what their bullets say (so slides stay
grounded); the model only writes the title, summary, highlights and one narration paragraph per
slide. Its answer is validated (JSON schema + pydantic), checked by :mod:`.guard`, retried once
with the problems named, and replaced by the template story when it still fails. A remote
failure other than a rejected key also falls back to the template story, with a warning.

Importing this module registers the ``gemini`` and ``openai`` writers in
:data:`pipeline.story.WRITERS`; their client libraries are imported only when used.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import Config
from ..retry import RemoteAuthError, RemoteServiceError
from ..services import ChatModel, chat_model
from ..structure import ReleaseFacts, Story
from ..templating import environment
from . import template
from .guard import Grounding, find_violations
from .plain import speakable

log = logging.getLogger("releasecast.writer")

ATTEMPTS = 2  # the first answer, and one retry with the problems named
WORD_SLACK = 1.25  # an answer may overshoot a slide's word limit by this much before rejection


class StoryDraft(BaseModel):
    """What the model must answer."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=120)
    summary: str = Field(min_length=10, max_length=400)
    highlights: list[str] = Field(min_length=1, max_length=5)
    narration: list[str]  # one paragraph per slide, in the slides' order


def draft_schema() -> dict:
    """The JSON schema sent to the model.

    Kept to the subset every structured-output implementation accepts (OpenAI strict mode,
    Gemini, Ollama, vLLM): every key required, no extra keys, no length constraints. Counts
    and lengths are asked for in the prompt and checked by :func:`parse_answer`.
    """
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "title": text,
            "summary": text,
            "highlights": {"type": "array", "items": text},
            "narration": {"type": "array", "items": text},
        },
        "required": ["title", "summary", "highlights", "narration"],
        "additionalProperties": False,
    }


def word_limits(story: Story, config: Config) -> tuple[list[int], int]:
    """Per-slide and total word limits, so the narration fits the reel's maximum length."""
    words_per_second = config.voice.rate / 60
    # a little less than the maximum: slides need time to appear and crossfade
    total = int(config.reel.max_duration * words_per_second * 0.85)
    per_slide = []
    for slide in story.slides:
        template_words = sum(len(s.split()) for s in slide.narration)
        per_slide.append(max(15, round(template_words * 1.6)))
    return per_slide, total


def render_prompts(facts: ReleaseFacts, config: Config, base: Story,
                   problems: list[str]) -> tuple[str, str]:
    env = environment(config.templates)
    limits, total = word_limits(base, config)
    slides = [
        {"kind": s.kind.value, "heading": s.heading, "lines": s.lines, "max_words": limit}
        for s, limit in zip(base.slides, limits, strict=True)
    ]
    context = {
        "facts": facts,
        "project": template.project_name(facts, config),
        "figures": template.counts(facts),
        "slides": slides,
        "total_words": total,
        "problems": problems,
    }
    system = env.get_template("prompts/writer_system.j2").render(context).strip()
    user = env.get_template("prompts/writer_user.j2").render(context).strip()
    return system, user


def parse_answer(raw: str, base: Story, config: Config) -> tuple[StoryDraft | None, list[str]]:
    """Validate the model's JSON; on failure return the problems to tell it."""
    text = raw.strip()
    if text.startswith("```"):  # some local models fence JSON even when asked not to
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"the answer was not valid JSON ({exc.msg} at character {exc.pos})"]
    try:
        draft = StoryDraft.model_validate(data)
    except ValidationError as exc:
        return None, [
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        ]
    problems = []
    if len(draft.narration) != len(base.slides):
        problems.append(
            f"narration must have exactly {len(base.slides)} paragraphs (one per slide), "
            f"got {len(draft.narration)}"
        )
        return None, problems
    limits, total = word_limits(base, config)
    counted = [len(p.split()) for p in draft.narration]
    for index, (words, limit) in enumerate(zip(counted, limits, strict=True), start=1):
        if not draft.narration[index - 1].strip():
            problems.append(f"narration paragraph {index} is empty")
        elif words > limit * WORD_SLACK:
            problems.append(f"narration paragraph {index} has {words} words; at most {limit}")
    if sum(counted) > total * WORD_SLACK:
        problems.append(f"the narration has {sum(counted)} words in all; at most {total}")
    return (None if problems else draft), problems


def sentences(paragraph: str) -> list[str]:
    """Split a narration paragraph into the sentences the voice stage speaks one by one."""
    parts = re.split(r"(?<=[.!?…])\s+(?=[\"'“¿¡(]?[A-Z0-9À-Ý])", " ".join(paragraph.split()))
    return [p for p in parts if p]


def apply_draft(base: Story, draft: StoryDraft, writer: str) -> Story:
    slides = []
    for slide, paragraph in zip(base.slides, draft.narration, strict=True):
        spoken = [speakable(s) for s in sentences(paragraph)]
        slides.append(type(slide)(slide.kind, slide.heading, list(slide.lines),
                                  [s for s in spoken if s.strip(".")]))
    return Story(
        title=" ".join(draft.title.split()),
        summary=" ".join(draft.summary.split()),
        highlights=[" ".join(h.split()) for h in draft.highlights],
        slides=slides,
        tags=list(base.tags),
        language=base.language,
        writer=writer,
    )


def draft_texts(draft: StoryDraft) -> list[str]:
    return [draft.title, draft.summary, *draft.highlights, *draft.narration]


def write_with_model(facts: ReleaseFacts, config: Config, model: ChatModel) -> Story:
    """The model's story when it is valid and grounded, else the template writer's story."""
    base = template.write(facts, config)
    grounding = Grounding.of(facts)
    schema = draft_schema()
    problems: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        system, user = render_prompts(facts, config, base, problems)
        try:
            raw = model.complete_json(system, user, schema)
        except RemoteAuthError:
            raise  # a wrong key is the user's to fix: do not hide it behind a fallback
        except RemoteServiceError as exc:
            log.warning("%s; using the template writer instead", exc)
            return base
        draft, problems = parse_answer(raw, base, config)
        if draft is not None:
            problems = find_violations(draft_texts(draft), facts, grounding)
            if not problems:
                return apply_draft(base, draft, model.name)
        log.warning("%s writer: answer %d of %d rejected: %s", model.name, attempt, ATTEMPTS,
                    "; ".join(problems))
    log.warning("%s writer: no grounded answer after %d tries; using the template writer",
                model.name, ATTEMPTS)
    return base


def _writer(make_model: Callable[[Config], ChatModel]) -> Callable[[ReleaseFacts, Config], Story]:
    def write(facts: ReleaseFacts, config: Config) -> Story:
        return write_with_model(facts, config, make_model(config))

    return write


def writer_model(backend: str) -> Callable[[Config], ChatModel]:
    """The writer's model client for ``backend``, from the ``writer`` settings."""

    def make(config: Config) -> ChatModel:
        w = config.writer
        return chat_model(backend, model=w.model, base_url=w.base_url,
                          temperature=w.temperature)

    return make


def _register() -> None:
    from . import WRITERS

    def writer(backend: str) -> Callable[[], Callable[[ReleaseFacts, Config], Story]]:
        return lambda: _writer(writer_model(backend))

    for backend in ("gemini", "openai"):
        WRITERS.setdefault(backend, writer(backend))


_register()
