"""``releasecast worker``: an RQ worker publishing releases for the GitHub App."""

from __future__ import annotations

from pathlib import Path

import click

from .app import configure_logging, env_file_option, load_env_file


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option("--name", help="Worker name (default: host and process id).")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes to run and supervise on this machine.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@env_file_option
def worker(burst: bool, name: str | None, processes: int, log_level: str,
           env_file: Path | None) -> None:
    """Take release jobs from the queue and publish them (settings from the environment)."""
    from app.settings import Settings
    from app.worker import run_worker

    load_env_file(env_file)
    settings = Settings.from_env(role="worker")
    configure_logging(log_level)
    run_worker(settings, burst=burst, name=name, processes=processes,
               logging_level=log_level.upper())


__all__ = ["worker"]
