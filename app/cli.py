"""The App's commands, ``releasecast serve`` (the web process: webhooks, API, dashboard,
metrics) and ``releasecast worker`` (RQ workers publishing releases).

The App registers them itself, as ``releasecast.commands`` entry points (pyproject.toml), so
the pipeline's CLI lists them without importing the App.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import click

from pipeline.errors import InputError

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def load_env_file(path: Path | None) -> None:
    """``KEY=VALUE`` lines (``#`` comments, optional quotes) into the environment; variables
    already set win, so a deployment can override the file."""
    if path is None:
        return
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--env-file {path}: cannot read: {getattr(exc, 'strerror', exc)}"
                         ) from None
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise InputError(f"--env-file {path}, line {number}: expected KEY=VALUE")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


env_file_option = click.option(
    "--env-file", type=click.Path(path_type=Path, dir_okay=False),
    help="Read settings from this KEY=VALUE file (the environment wins).")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Web processes sharing the port (restarted if one dies); metrics are summed.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@env_file_option
def serve(host: str, port: int, workers: int, log_level: str, env_file: Path | None) -> None:
    """Run the App's web server. Settings come from the environment (see docs/app.md); behind
    a reverse proxy, name it in RELEASECAST_TRUSTED_PROXIES."""
    from app.settings import Settings
    from app.web import serve as run_server

    load_env_file(env_file)
    settings = Settings.from_env(role="web")  # every problem reported at once, before binding
    configure_logging(log_level)
    run_server(settings, host=host, port=port, workers=workers, log_level=log_level)


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


__all__ = ["load_env_file", "serve", "worker"]
