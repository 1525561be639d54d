"""From a release as the GitHub API describes it to the facts the pipeline writes about, and
whether a site already has its post. Shared by the Action and backfill."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import InputError
from ..structure import ReleaseFacts


def release_event(release: dict[str, Any], repository: dict[str, Any],
                  action: str = "published") -> dict[str, Any]:
    """A ``release`` webhook payload for a release read through the REST API (the two
    describe a release with the same object)."""
    return {"action": action, "release": release, "repository": repository}


def facts_for(event: dict[str, Any], checkout: Path | None,
              warn: Callable[[str], None], config: Config | None = None) -> ReleaseFacts:
    """Facts from the checkout when it has the release's tag (commits, contributors,
    diffstat), else from the event alone, with a warning saying why. ``config`` supplies
    ``notes:`` (changelog file, bots, exclusions) and ``categories:``."""
    from . import collect_facts

    if checkout is not None and (checkout / ".git").exists():
        try:
            return collect_facts(repo=checkout, event=event, config=config)
        except InputError as exc:
            warn(f"{exc}; writing the post from the release notes alone")
    return collect_facts(event=event, config=config)


def existing_post(site: Path, config: Config, facts: ReleaseFacts) -> Path | None:
    """The site's post for this release, under any date, if it has one."""
    from ..site import posts_for
    from ..site.slug import release_slug

    return next(iter(posts_for(site / config.output.posts_dir, release_slug(facts))), None)
