"""``releasecast youtube-auth``: print the YouTube refresh token, once, on your own computer."""

from __future__ import annotations

import click


@click.command("youtube-auth")
@click.option("--client-id", envvar="YOUTUBE_CLIENT_ID", default="", show_envvar=True,
              help="The OAuth client's id (a 'Desktop app' client, docs/youtube.md step 3).")
@click.option("--client-secret", envvar="YOUTUBE_CLIENT_SECRET", default="", show_envvar=True,
              help="Its secret; prefer the environment variable, which keeps it out of the "
                   "shell history.")
@click.option("--no-browser", is_flag=True, help="Only print the address to open.")
def youtube_auth(client_id: str, client_secret: str, no_browser: bool) -> None:
    """Sign in to the channel's Google account and print a refresh token for releasecast."""
    from ..youtube.auth import obtain_refresh_token

    token = obtain_refresh_token(client_id, client_secret, open_browser=not no_browser)
    click.echo("Refresh token (store it as the secret YOUTUBE_REFRESH_TOKEN):", err=True)
    click.echo(token)


__all__ = ["youtube_auth"]
