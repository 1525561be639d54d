"""The fingerprint of everything a release's post is made from, recorded in the post.

A re-run whose fingerprint matches the published post's has nothing new to say, so it stops
before rendering anything (the reel is most of a run's time). The fingerprint covers the
facts (notes, commits, contributors), the whole configuration, the templates (bundled and the
repository's own), the files the configuration names (logo, font, music, recording), the
version of releasecast and what the caller decided about placing the post (video storage,
YouTube, the site's URL settings). Change any of them and the post is rendered again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from .config import Config
from .structure import ReleaseFacts
from .templating import bundled_templates_dir

FRONT_MATTER_KEY = "releasecast_inputs"  # the post's front matter key holding the fingerprint


def _version() -> str:
    try:
        return metadata.version("releasecast")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


def _files(root: Path | None) -> Iterator[tuple[str, Path]]:
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(root).as_posix(), path


def _named_files(config: Config) -> list[Path | None]:
    return [config.brand.logo, config.brand.font, config.reel.music, config.voice.recording]


def inputs_fingerprint(facts: ReleaseFacts, config: Config,
                       placement: Mapping[str, Any] | None = None) -> str:
    """``sha256:<hex>`` over the post's inputs; ``placement`` holds the caller's decisions
    that change the post (JSON-serializable values)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        # Length-prefixed, so no two different inputs can run together into the same bytes.
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    def add_json(label: str, value: Any) -> None:
        add(label, json.dumps(value, sort_keys=True, default=str).encode())

    add("version", _version().encode())
    add_json("facts", dataclasses.asdict(facts))
    add_json("config", config.model_dump(mode="json"))
    add_json("placement", dict(placement or {}))
    roots: list[tuple[str, Path | None]] = [("bundled", bundled_templates_dir()),
                                            ("templates", config.templates)]
    for label, root in roots:
        for name, path in _files(root):
            add(f"{label}/{name}", path.read_bytes())
    for named in _named_files(config):
        if named is not None and named.is_file():
            add(f"file/{named.name}", named.read_bytes())
    return f"sha256:{digest.hexdigest()}"
