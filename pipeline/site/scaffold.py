"""A minimal Jekyll site, for the demo and for trying releasecast before pointing it at a blog."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# Where a site's address is not known (the demo, a blog on a server without Pages): RFC 6761's
# reserved .invalid, so nothing ever links to it (see is_placeholder).
PLACEHOLDER_URL = "https://example.invalid"

_CONFIG = """\
title: {title}
description: Release notes, reels and launch posts.
url: {url}
baseurl: {baseurl}
markdown: kramdown
permalink: date
plugins:
  - jekyll-seo-tag
exclude:
  - "*.srt"
"""

_DEFAULT_LAYOUT = """\
<!DOCTYPE html>
<html lang="{{ page.lang | default: site.lang | default: "en" }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  {% seo %}
  <style>
    body { font: 17px/1.6 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
    img { max-width: 100%; height: auto; }
    table { border-collapse: collapse; } td, th { padding: .2rem .8rem; border-bottom: 1px solid #ddd; }
  </style>
</head>
<body>
  <header><a href="{{ "/" | relative_url }}">{{ site.title | escape }}</a></header>
  <main>{{ content }}</main>
</body>
</html>
"""

_POST_LAYOUT = """\
---
layout: default
---
<article>
  <h1>{{ page.title | escape }}</h1>
  <p><time datetime="{{ page.date | date_to_xmlschema }}">{{ page.date | date: "%B %-d, %Y" }}</time></p>
  {{ content }}
</article>
"""

_INDEX = """\
---
layout: default
title: Releases
---
<ul>
{% for post in site.posts %}
  <li><a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a> ({{ post.date | date: "%Y-%m-%d" }})</li>
{% endfor %}
</ul>
"""


@dataclass(frozen=True)
class SiteAddress:
    """Where a site is served: Jekyll's ``url`` (the origin) and ``baseurl`` (the path)."""

    url: str  # https://acme.github.io
    baseurl: str  # "" or "/blog"
    source: str  # how it was learnt, for the run's log

    @classmethod
    def parse(cls, address: str, source: str) -> SiteAddress | None:
        parts = urlsplit(address)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            return None
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/"), source)

    def __str__(self) -> str:
        return f"{self.url}{self.baseurl}/"


def pages_address(repository: str, *, pages_url: str | None,
                  server_url: str | None) -> SiteAddress | None:
    """Where GitHub Pages serves ``repository`` (OWNER/NAME): what the Pages API said
    (``pages_url``: a custom domain, or a site already set up), else, on github.com, the
    address GitHub gives a site when Pages is turned on (``https://OWNER.github.io`` for the
    repository named ``OWNER.github.io``, ``https://OWNER.github.io/NAME`` for any other).
    None elsewhere: a GitHub Enterprise server's Pages host is its own."""
    if pages_url and (found := SiteAddress.parse(pages_url, "GitHub Pages' settings")):
        return found
    if (urlsplit(server_url or "").hostname or "").lower() != "github.com":
        return None
    owner, _, name = repository.partition("/")
    host = f"{owner.lower()}.github.io"  # Pages' host names are lower case
    if name.lower() == host:
        return SiteAddress(f"https://{host}", "", "GitHub Pages' address for a user site")
    return SiteAddress(f"https://{host}", f"/{name}",
                       "GitHub Pages' address for a project site")


def is_placeholder(url: str) -> bool:
    """Whether a site's ``url`` names no real place (unset, or the .invalid placeholder)."""
    host = (urlsplit(url).hostname or "").lower()
    return not host or host == "invalid" or host.endswith(".invalid")


def create_site(dest: Path, title: str = "Release notes",
                address: SiteAddress | None = None) -> Path:
    """Write a buildable Jekyll site into ``dest`` (existing files are left alone), served at
    ``address`` (else the placeholder)."""
    config = _CONFIG.format(  # JSON strings are YAML
        title=json.dumps(title), url=json.dumps(address.url if address else PLACEHOLDER_URL),
        baseurl=json.dumps(address.baseurl if address else ""))
    files = {
        "_config.yml": config,
        "_layouts/default.html": _DEFAULT_LAYOUT,
        "_layouts/post.html": _POST_LAYOUT,
        "index.html": _INDEX,
        "_posts/.keep": "",
    }
    for name, text in files.items():
        path = dest / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return dest
