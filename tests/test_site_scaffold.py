"""A new site's address (create-site): what GitHub Pages says, else github.com's rule, else a
placeholder nothing links to; and the closing card and post links follow it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from factories import sample_facts

from pipeline.build import post_link
from pipeline.site import read_settings
from pipeline.site.scaffold import (
    PLACEHOLDER_URL,
    SiteAddress,
    create_site,
    is_placeholder,
    pages_address,
)

GITHUB = "https://github.com"


@pytest.mark.parametrize(("repository", "pages_url", "server", "expected"), [
    ("acme/blog", None, GITHUB, ("https://acme.github.io", "/blog")),
    ("Acme/Blog", None, GITHUB + "/", ("https://acme.github.io", "/Blog")),
    ("Acme/acme.GitHub.io", None, GITHUB, ("https://acme.github.io", "")),
    # The API knows better: a custom domain, or the site's own path.
    ("acme/blog", "https://news.acme.org/", GITHUB, ("https://news.acme.org", "")),
    ("acme/blog", "https://pages.ghe.acme.org/acme/blog/", "https://ghe.acme.org",
     ("https://pages.ghe.acme.org", "/acme/blog")),
    ("acme/blog", "http://acme.github.io/blog", GITHUB, ("http://acme.github.io", "/blog")),
])
def test_the_address_of_a_new_site(repository: str, pages_url: str | None, server: str,
                                   expected: tuple[str, str]) -> None:
    address = pages_address(repository, pages_url=pages_url, server_url=server)
    assert address is not None and (address.url, address.baseurl) == expected


@pytest.mark.parametrize(("pages_url", "server"), [
    (None, "https://ghe.acme.org"),  # GitHub Enterprise: its Pages host is its own
    (None, None),
    ("not a url", "http://127.0.0.1:8080"),
])
def test_no_address_where_github_does_not_say(pages_url: str | None, server: str | None) -> None:
    assert pages_address("acme/blog", pages_url=pages_url, server_url=server) is None


def test_the_site_links_its_posts_at_the_address(tmp_path: Path) -> None:
    address = SiteAddress("https://acme.github.io", "/widgets", "test")
    site = create_site(tmp_path / "site", address=address)
    config = yaml.safe_load((site / "_config.yml").read_text())
    assert (config["url"], config["baseurl"]) == ("https://acme.github.io", "/widgets")
    settings = read_settings(site)
    assert not is_placeholder(settings.url)
    # The closing card's link (and QR code) is the post's real address.
    assert post_link(sample_facts(), site) == \
        "https://acme.github.io/widgets/2024/05/14/widgets-v1-2-0.html"


def test_without_an_address_the_placeholder_is_never_linked(tmp_path: Path) -> None:
    site = create_site(tmp_path / "site")
    assert read_settings(site).url == PLACEHOLDER_URL and is_placeholder(PLACEHOLDER_URL)
    assert post_link(sample_facts(), site) is None
    assert is_placeholder("") and is_placeholder("https://x.invalid")
    assert not is_placeholder("https://invalid.example.org")
