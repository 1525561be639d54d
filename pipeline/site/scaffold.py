"""A minimal Jekyll site, for the demo and for trying releasecast before pointing it at a blog."""

from __future__ import annotations

import json
from pathlib import Path

_CONFIG = """\
title: {title}
description: Release notes, reels and launch posts.
url: "https://example.invalid"
baseurl: ""
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


def create_site(dest: Path, title: str = "Release notes") -> Path:
    """Write a buildable Jekyll site into ``dest`` (existing files are left alone)."""
    files = {
        "_config.yml": _CONFIG.format(title=json.dumps(title)),  # JSON strings are YAML
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
