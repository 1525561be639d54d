"""What the `demo` and `run` commands share: building, then reporting where everything is."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..build import BuildResult, build_release
from ..config import Config
from ..progress import Progress
from ..structure import ReleaseFacts

F = TypeVar("F", bound=Callable[..., Any])


def build_and_report(facts: ReleaseFacts, config: Config, site: Path, *, as_json: bool,
                     languages: list[str] | None = None) -> BuildResult:
    progress = Progress(quiet=as_json)
    result = build_release(facts, config, site, languages=languages, progress=progress)
    try:
        if as_json:
            click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
        else:
            _print_artifacts(result)
    finally:
        result.cleanup()
    return result


def _print_artifacts(result: BuildResult) -> None:
    summary = result.summary()
    click.echo(f"Release  {summary['release']['repository']} {summary['release']['tag']}"
               f" (previous: {summary['release']['previous_tag'] or 'none'})")
    click.echo(f"Post     {summary['post']}")
    click.echo(f"URL      {summary['post_url']}")
    if summary["video"]:
        click.echo(f"Reel     {summary['video']} ({summary['reel']['duration']:.1f} s)")
    for path in summary["assets"]:
        if not path.endswith(".png") and path != summary["video"]:
            click.echo(f"Asset    {path}")
    for path in summary["images"]:
        click.echo(f"Image    {path}")
    total = sum(summary["timings"].values())
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in summary["timings"].items())
    click.echo(f"Timings  {stages} (stage sum {total:.1f} s)")


def languages_option(function: F) -> F:
    return click.option(
        "--languages", default=None, metavar="CODES",
        help="Comma-separated languages for translated captions and dubbed reels (e.g. es,ca).",
    )(function)


def parse_languages(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]
