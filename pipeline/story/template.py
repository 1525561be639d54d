"""The offline writer: release facts through Jinja templates, no network, deterministic.

It also defines the slide plan (which slides a release gets, and which items each shows) that
AI writers reuse, so an AI only ever rewords items that are in the release.
"""

from __future__ import annotations

from ..config import Config
from ..structure import ChangeItem, ReleaseFacts, Slide, SlideKind, Story
from ..templating import environment
from .i18n import story_language, translations
from .plain import plain_text, shorten, speakable
from .spoken import spoken_item, spoken_text

SLIDE_LINE_CHARS = 90  # what fits on a 1080 px wide slide at a readable size, 3 lines at most


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def project_name(facts: ReleaseFacts, config: Config) -> str:
    return config.brand.name or facts.repository.name


def item_line(item: ChangeItem) -> str:
    """One bullet as said and shown: its component first ("CLI: ..."), sentence case. The
    item's emoji is a glyph for the post; it is never read out, so it is not in the line."""
    text = plain_text(item.text)
    text = text[:1].upper() + text[1:]
    prefix = item.scope or item.group  # as written: "fs", "runtime-vapor", "IO uring"
    if prefix and not text.lower().startswith(prefix.lower()):
        text = f"{prefix}: {text}"
    return text


def _lines(items: list[ChangeItem], limit: int) -> list[str]:
    return [shorten(item_line(item), SLIDE_LINE_CHARS) for item in items[:limit]]


def names_the_version(facts: ReleaseFacts) -> bool:
    """Whether the release name only repeats the version ("Acme 1.2.0" for v1.2.0)."""
    version = facts.tag.lstrip("vV")
    return version in facts.name


def plan_slides(facts: ReleaseFacts, config: Config) -> list[Slide]:
    """Which slides this release gets; bullets are the top items, in the notes' order."""
    limit = config.reel.max_items
    project = project_name(facts, config)
    slides = [Slide(SlideKind.TITLE, f"{project} {facts.tag}", [facts.title])]
    # A release without features still has news: speed-ups, then whatever else it lists.
    highlights = facts.features or facts.performance or facts.others or facts.docs
    if highlights:
        slides.append(Slide(SlideKind.HIGHLIGHTS, "What's new", _lines(highlights, limit)))
    # Only breaking changes: the narration counts them ("1 breaking change") over the lines.
    if facts.breaking:
        slides.append(Slide(SlideKind.BREAKING, "Breaking changes", _lines(facts.breaking, limit)))
    fixes = facts.security + facts.fixes  # security fixes first
    if fixes:
        slides.append(Slide(SlideKind.FIXES, "Fixes", _lines(fixes, limit)))
    if facts.contributors:
        names = [f"@{c.login}" if c.login.isascii() and " " not in c.login else c.login
                 for c in facts.contributors]
        slides.append(Slide(SlideKind.CONTRIBUTORS, "Thank you", names[: limit * 2]))
    slides.append(Slide(SlideKind.CLOSING, f"{project} {facts.tag}", [facts.repository.html_url]))
    return slides


def counts(facts: ReleaseFacts) -> dict[str, int]:
    """The figures writers may state. Commits and lines are 0 when the release was not
    counted (a shallow checkout that could not be completed): nothing wrong is said."""
    counted = facts.counted
    return {
        "features": len(facts.features),
        "fixes": len(facts.fixes),
        "breaking": len(facts.breaking),
        "security": len(facts.security),
        "removals": len(facts.removals),
        "deprecations": len(facts.deprecations),
        "performance": len(facts.performance),
        "docs": len(facts.docs),
        "other": len(facts.others),
        "items": len(facts.items),
        "pull_requests": len(facts.pull_requests),
        "contributors": len(facts.contributors),
        "first_time": len(facts.first_time_contributors),
        "commits": len(facts.commits) if counted else 0,
        "files": facts.diffstat.files if counted else 0,
        "insertions": facts.diffstat.insertions if counted else 0,
        "deletions": facts.diffstat.deletions if counted else 0,
    }


def narrate_slides(facts: ReleaseFacts, config: Config, slides: list[Slide],
                   language: tuple[str, str] = ("en", "en")) -> None:
    """Fill each slide's narration from the ``narration.txt.j2`` macro named after its kind.

    The macros see the slide with its bullets as they are said (:mod:`.spoken`): each item a
    complete sentence within the word budget, nothing that is only for the eye. ``language``
    is (the notes' language, the narration's): fixed phrases come from the narration
    language's catalogue; items written in another language are translated into it."""
    source, target = language
    env = environment(config.templates, language=target)
    env.filters["plural"] = plural
    lexicon = config.voice.lexicon
    version = translations(target).gettext("version %(number)s")
    module = env.get_template("narration.txt.j2").make_module(
        {
            "facts": facts,
            "project": spoken_text(project_name(facts, config), lexicon=lexicon),
            "version": spoken_text(facts.tag, lexicon=lexicon, version=version),
            "counts": counts(facts),
            # the release name is in the notes' language: said only when that is the narration's
            "name_is_news": bool(facts.name) and not names_the_version(facts)
            and source == target,
        }
    )
    said = _said_items(facts, lexicon, version)
    spoken_lines = {id(slide): [said.get(line) or spoken_item(line, lexicon=lexicon)
                                for line in slide.lines] for slide in slides}
    if source != target:
        _translate_lines(spoken_lines, config, source, target, [project_name(facts, config)])
    for slide in slides:
        macro = getattr(module, slide.kind.value, None)
        if macro is None:
            continue
        lines = [line for line in spoken_lines[id(slide)] if line]
        text = str(macro(Slide(slide.kind, slide.heading, lines)))
        spoken = (speakable(line, lexicon) for line in text.splitlines() if line.strip())
        slide.narration = [line for line in spoken if line]


def _said_items(facts: ReleaseFacts, lexicon: dict[str, str], version: str) -> dict[str, str]:
    """Each bullet as shown on a slide -> the item as said (from its full Markdown text)."""
    names = {c.login: c.name for c in facts.contributors if c.name}
    return {_lines([item], 1)[0]: spoken_item(item.text, lexicon=lexicon, names=names,
                                              version=version)
            for item in facts.items}


def _translate_lines(lines: dict[int, list[str]], config: Config, source: str, target: str,
                     keep: list[str]) -> None:
    """The items said in the narration's language (``story.language``), by ``translator``."""
    from ..translate import get_translator

    translator = get_translator(config)
    translator.check(source, target)
    flat = [line for group in lines.values() for line in group]
    done = iter(translator.translate(flat, source=source, target=target, keep=keep))
    for key, group in lines.items():
        lines[key] = [next(done) for _ in group]


# What the one-line summary counts, in this order (docs and chores are left to the post).
_SUMMARY_FIGURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("features", ("new feature",)),
    ("fixes", ("fix", "fixes")),
    ("security", ("security fix", "security fixes")),
    ("performance", ("performance improvement",)),
    ("breaking", ("breaking change",)),
    ("removals", ("removal",)),
    ("deprecations", ("deprecation",)),
)


def summary(facts: ReleaseFacts, config: Config) -> str:
    c = counts(facts)
    parts = [plural(c[key], *words) for key, words in _SUMMARY_FIGURES if c[key]]
    project = project_name(facts, config)
    if not parts and c["items"]:
        parts.append(plural(c["items"], "change"))
    if not parts:
        return f"{project} {facts.tag} is out."
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    by = f" from {plural(c['contributors'], 'contributor')}" if c["contributors"] else ""
    return f"{project} {facts.tag} is out with {listed}{by}."


def write(facts: ReleaseFacts, config: Config) -> Story:
    project = project_name(facts, config)
    title = f"{project} {facts.tag}"
    if facts.title != facts.tag:
        title = facts.title if names_the_version(facts) else f"{title}: {facts.title}"
    slides = plan_slides(facts, config)
    language = story_language(facts, config)
    narrate_slides(facts, config, slides, language)
    highlights = [item_line(i) for i in (facts.breaking + facts.features)[:5]]
    return Story(
        title=title,
        summary=summary(facts, config),
        highlights=highlights,
        slides=slides,
        tags=list(dict.fromkeys([*config.tags, facts.repository.name.lower()])),
        language=language[1],
    )
