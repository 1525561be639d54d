"""``releasecast serve``: the GitHub App's web process (webhooks, API, dashboard, metrics)."""

from __future__ import annotations

import logging

import click


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--proxy-headers/--no-proxy-headers", default=False, show_default=True,
              help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind TLS proxy).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxies whose forwarding headers are trusted.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(host: str, port: int, proxy_headers: bool, forwarded_allow_ips: str,
          log_level: str) -> None:
    """Run the App's web server. Settings come from the environment (see docs/app.md)."""
    import uvicorn

    from app.settings import Settings
    from app.web import create_app

    settings = Settings.from_env(role="web")  # every problem reported at once, before binding
    configure_logging(log_level)
    uvicorn.run(
        create_app(settings), host=host, port=port, log_level=log_level,
        proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips,
        server_header=False, timeout_graceful_shutdown=10,
    )


__all__ = ["serve"]
