"""`releasecast backfill`: posts for the releases a blog does not have yet.

Lists the repository's releases through the GitHub API (the original design's "scanner"),
oldest first, and builds the post of each one whose post is missing from the site. The token
is read from the environment (GITHUB_TOKEN), never from the command line, where other users
of the machine could see it.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..build import build_release
from ..config import DEFAULT_CONFIG_PATH, load_config
from ..errors import InputError
from ..facts.releases import existing_post, facts_for, release_event
from ..github_api import GitHubApi
from ..plan import release_skip
from ..progress import Progress


def _published_oldest_first(releases: list[dict], include_prereleases: bool) -> list[dict]:
    chosen = [r for r in releases
              if release_skip(r, include_prereleases=include_prereleases) is None]
    return sorted(chosen, key=lambda r: (r.get("published_at") or r.get("created_at") or "",
                                         r.get("id") or 0))


@click.command()
@click.option("--repo", "repository", required=True, metavar="OWNER/NAME",
              help="The repository whose releases to write about.")
@click.option("--site", type=click.Path(path_type=Path), required=True,
              help="The Jekyll site to write into.")
@click.option("--since", metavar="TAG", help="Only releases published after this one.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Config file (default: .github/releasecast.yml if present).")
@click.option("--api-url", envvar="GITHUB_API_URL", default="https://api.github.com",
              show_default=True, help="REST API root (GitHub Enterprise: https://HOST/api/v3).")
@click.option("--repo-path", type=click.Path(path_type=Path),
              help="A local clone, for commits, contributors and diffstat.")
@click.option("--include-prereleases", is_flag=True, help="Also write about prereleases.")
@click.option("--latest", type=click.IntRange(min=1), metavar="N",
              help="Only the N most recent releases (after --since).")
@click.option("--limit", type=click.IntRange(min=1),
              help="Build at most N posts, oldest first.")
@click.option("--dry-run", is_flag=True, help="List what would be built; build nothing.")
def backfill(repository: str, site: Path, since: str | None, config_path: Path | None,
             api_url: str, repo_path: Path | None, include_prereleases: bool,
             latest: int | None, limit: int | None, dry_run: bool) -> None:
    """Generate the posts the blog does not have yet for REPO's releases (token: GITHUB_TOKEN)."""
    config = (load_config(config_path, required=True) if config_path
              else load_config(DEFAULT_CONFIG_PATH))
    api = GitHubApi(os.environ.get("GITHUB_TOKEN") or None, api_url)
    releases = _published_oldest_first(list(api.releases(repository)),
                                       include_prereleases or config.include_prereleases)
    if since is not None:
        tags = [r["tag_name"] for r in releases]
        if since not in tags:
            raise InputError(f"--since {since}: {repository} has no published release with "
                             "that tag")
        releases = releases[tags.index(since) + 1:]
    if latest is not None:
        releases = releases[-latest:]
    meta = api.repository(repository)

    def warn(message: str) -> None:
        click.echo(f"warning: {message}", err=True)

    built = present = 0
    for release in releases:
        facts = facts_for(release_event(release, meta), repo_path, warn, config)
        have = existing_post(site, config, facts)
        if have is not None:
            present += 1
            click.echo(f"have   {facts.tag:<20} {have.relative_to(site)}")
            continue
        if limit is not None and built >= limit:
            click.echo(f"later  {facts.tag:<20} (--limit {limit} reached)")
            continue
        built += 1
        if dry_run:
            click.echo(f"would  {facts.tag:<20} build")
            continue
        result = build_release(facts, config, site, progress=Progress())
        result.cleanup()
        click.echo(f"built  {facts.tag:<20} {result.output.post}")
    verb = "would build" if dry_run else "built"
    click.echo(f"backfill: {len(releases)} release(s), {present} already on the blog, "
               f"{built} {verb}")


__all__ = ["backfill"]
