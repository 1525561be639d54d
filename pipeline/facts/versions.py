"""Ordering tags to find the release before this one.

Version tags are compared as semantic versions: ``v1.10.0`` comes after ``v1.9.0``, a
pre-release (``v1.2.0-rc.1``) comes before its release, and ``v1.2`` means ``1.2.0``. Tags only
compete within their family: the text before the version (``v`` aside) must match, so in a
monorepo ``widgets-v1.2.0`` follows ``widgets-v1.1.0`` and not ``gadgets-v1.1.5``. Tags that
are not versions fall back to date order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cmp_to_key

import semver

# Family prefix, an optional "v", then MAJOR.MINOR.PATCH[-pre][+build], or a bare MAJOR[.MINOR]
# (a date such as "2024-05-01" is not version 2024 with pre-release "05-01").
_NUMBER = r"(?:0|[1-9]\d*)"
_VERSION_TAG = re.compile(
    rf"^(?P<prefix>.*?)[vV]?(?P<version>{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?|{_NUMBER}(?:\.{_NUMBER})?)$"
)


@dataclass(frozen=True)
class TagVersion:
    prefix: str
    version: semver.Version


def tag_version(tag: str) -> TagVersion | None:
    """The family and semantic version of a tag name, or None when it is not a version tag."""
    match = _VERSION_TAG.match(tag)
    if not match:
        return None
    prefix = match["prefix"]
    if prefix and prefix[-1] not in "-_/@":
        return None  # "build2024", "x1.0", "2024.1+build.7": not a version after a separator
    try:
        version = semver.Version.parse(match["version"], optional_minor_and_patch=True)
    except ValueError:
        return None
    return TagVersion(prefix=prefix, version=version)


def compare_versions(a: semver.Version, b: semver.Version) -> int:
    return a.compare(b)


@dataclass(frozen=True)
class DatedTag:
    name: str
    date: datetime


def previous_tag(current: str, tags: Iterable[DatedTag]) -> str | None:
    """The tag released before ``current`` (which ``tags`` includes); None for the first release.

    A stable release's predecessor is the previous stable release (its own release candidates
    are part of what it ships); a pre-release's predecessor may be another pre-release.
    """
    tags = list(tags)
    others = [t for t in tags if t.name != current]
    current_version = tag_version(current)
    if current_version is None:
        current_date = next((t.date for t in tags if t.name == current), None)
        return _previous_by_date(current_date, others) if current_date else None
    candidates = []
    for tag in others:
        parsed = tag_version(tag.name)
        if parsed is None or parsed.prefix.lower() != current_version.prefix.lower():
            continue
        if parsed.version.compare(current_version.version) >= 0:
            continue
        if current_version.version.prerelease is None and parsed.version.prerelease is not None:
            continue
        candidates.append((parsed.version, tag))
    if not candidates:
        return None
    # Highest version; when "v1.1.0" and "1.1.0" both exist, the later tag, then the name.
    by_version = cmp_to_key(compare_versions)
    best = max(candidates, key=lambda c: (by_version(c[0]), c[1].date, c[1].name))
    return best[1].name


def _previous_by_date(current_date: datetime, others: list[DatedTag]) -> str | None:
    earlier = [t for t in others if t.date < current_date]
    if not earlier:
        return None
    return max(earlier, key=lambda t: (t.date, t.name)).name
