"""`releasecast run`: the pipeline for a release of a real repository."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULT_CONFIG_PATH, load_config
from ..facts import collect_facts
from ._shared import build_and_report, languages_option, parse_languages


@click.command()
@click.option("--repo", "repo", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="Local git checkout of the project.")
@click.option("--tag", help="The release's tag (default: the event's tag).")
@click.option("--previous-tag", help="Compare against this tag instead of the one found.")
@click.option("--event", type=click.Path(path_type=Path),
              help="A GitHub `release` event payload (JSON).")
@click.option("--site", type=click.Path(path_type=Path), required=True,
              help="The Jekyll site to write into.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Config file (default: REPO/.github/releasecast.yml if present).")
@languages_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def run(repo: Path, tag: str | None, previous_tag: str | None, event: Path | None, site: Path,
        config_path: Path | None, languages: str | None, as_json: bool) -> None:
    """Build the post, images and reel for TAG of the repository at REPO."""
    if tag is None and event is None:
        raise click.UsageError("give --tag, --event, or both")
    if config_path is not None:
        config = load_config(config_path, required=True, root=repo)
    else:
        config = load_config(repo / DEFAULT_CONFIG_PATH, root=repo)
    facts = collect_facts(repo=repo, tag=tag, event=event, previous_tag=previous_tag,
                          config=config)
    build_and_report(facts, config, site, as_json=as_json, languages=parse_languages(languages))


__all__ = ["run"]
