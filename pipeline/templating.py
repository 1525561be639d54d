"""Jinja environment over the bundled templates, overridable by a user directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2


def bundled_templates_dir() -> Path:
    """`templates/` at the checkout root, or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("releasecast's bundled templates are missing from this install")


def environment(user_dir: Path | None = None, language: str = "en",
                **options: Any) -> jinja2.Environment:
    """A Jinja environment where templates in ``user_dir`` win over the bundled ones.

    Templates translate their fixed phrases with ``_("...")`` and ``ngettext(...)`` (gettext,
    new style: ``_("Hello %(name)s", name=x)``) into ``language`` (see pipeline.story.i18n)."""
    search = [str(user_dir)] if user_dir else []
    search.append(str(bundled_templates_dir()))
    env = jinja2.Environment(  # nosec B701 - Markdown/text output; fields are escaped by filters
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        **options,
    )
    from .story.i18n import translations

    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True)
    return env
