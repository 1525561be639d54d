"""Safe, stable names for a release's files inside the site."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from ..structure import ReleaseFacts

MAX_SLUG = 80


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-': never a path separator, a dot-dot or empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-")


def release_slug(facts: ReleaseFacts) -> str:
    """``<repo>-<tag>``; a tag with no ASCII letters or digits gets a short hash instead."""
    tag = slugify(facts.tag)
    if not tag:
        tag = "release-" + hashlib.sha256(facts.tag.encode()).hexdigest()[:10]
    repo = slugify(facts.repository.name) or "release"
    return f"{repo}-{tag}"[:MAX_SLUG].rstrip("-")
