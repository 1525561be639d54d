"""The ``releasecast`` command line: a thin shell over the pipeline.

Each command lives in ``pipeline/commands/<name>.py``; this module only assembles them and turns
:class:`~pipeline.errors.ReleasecastError` into one line on stderr and a non-zero exit. Other
packages add commands as ``releasecast.commands`` entry points (the App's ``serve`` and
``worker``), so this package never imports them.
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points

import click

from . import __version__
from .errors import ReleasecastError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="releasecast")
def cli() -> None:
    """Turn a GitHub release into a Jekyll post, images and a narrated vertical reel."""


COMMAND_GROUP = "releasecast.commands"


def _register() -> None:
    from .commands import action, backfill, demo, run, youtube_auth

    cli.add_command(demo.demo)
    cli.add_command(run.run)
    cli.add_command(action.action)
    cli.add_command(backfill.backfill)
    cli.add_command(youtube_auth.youtube_auth)
    # Further commands register here, one line each.
    for entry in entry_points(group=COMMAND_GROUP):
        command = entry.load()
        if isinstance(command, click.Command):
            cli.add_command(command, entry.name)


_register()


def _configure_logging() -> None:
    """Our own progress and retry lines at INFO; third-party libraries only when they warn
    (httpx, for one, logs every request URL at INFO)."""
    if logging.getLogger().handlers:
        return
    logging.basicConfig(level=logging.WARNING, format="releasecast: %(message)s")
    for name in ("pipeline", "app"):
        logging.getLogger(name).setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    _configure_logging()
    try:
        cli.main(args=argv, prog_name="releasecast", standalone_mode=False)
    except ReleasecastError as exc:
        click.echo(f"releasecast: error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("releasecast: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
