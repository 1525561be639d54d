"""The voice stage: narration audio, its timing and caption files."""

from .narrate import narrate

__all__ = ["narrate"]
