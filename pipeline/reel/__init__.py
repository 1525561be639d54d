"""The reel stage: a narrated, captioned 1080x1920 video from slides and narration."""

from .render import render_reel

__all__ = ["render_reel"]
