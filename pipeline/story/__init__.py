"""Story stage: release facts become the words of the post and of the reel.

Writers share one interface, ``write(facts, config) -> Story``, and are looked up by
``config.writer.backend``. The offline ``template`` writer is the default; AI writers register
themselves in :data:`WRITERS` under their own names.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from ..errors import ConfigError
from ..structure import ReleaseFacts, Story
from . import template

Writer = Callable[[ReleaseFacts, Config], Story]

WRITERS: dict[str, Callable[[], Writer]] = {
    "template": lambda: template.write,
}

from . import llm  # noqa: E402, F401 - registers "gemini" and "openai"; needs no optional package


def write_story(facts: ReleaseFacts, config: Config) -> Story:
    """Run the configured writer."""
    name = config.writer.backend
    if name not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        raise ConfigError(f"writer.backend: unknown writer {name!r} (expected one of: {known})")
    return WRITERS[name]()(facts, config)
