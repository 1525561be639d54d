"""`releasecast demo`: a sample project's release, end to end, offline."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..config import Config
from ..facts import collect_facts
from ..site.scaffold import create_site
from ._shared import build_and_report, languages_option, parse_languages


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-site"),
              show_default=True, help="Jekyll site to create or update.")
@languages_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def demo(out: Path, languages: str | None, as_json: bool) -> None:
    """Build a sample project with a git history and a release, then run the whole pipeline."""
    from ..demo_project import create_demo_project

    with tempfile.TemporaryDirectory(prefix="releasecast-demo-") as scratch:
        project = create_demo_project(Path(scratch) / "project")
        facts = collect_facts(repo=project.repo, tag=project.tag, event=project.event)
        create_site(out, title=f"{facts.repository.name} releases")
        build_and_report(facts, Config(), out, as_json=as_json,
                         languages=parse_languages(languages))
    if not as_json:
        click.echo(f"\nPreview: cd {out} && jekyll serve")
