"""The user's ``categories:`` mapping (release-drafter's shape) and pull-request labels.

A category matches an item by one of its PR's labels, a title pattern (a regular expression
searched in the item's text), its leading emoji, or the heading it was listed under; the first
matching category decides the kind, over every automatic signal. Items matching
``notes.exclude`` (labels, patterns, authors) are dropped.

Without a matching category, labels still count the way release-drafter's default
configuration reads them (``bug`` is a fix, ``enhancement`` a feature...), for items whose
heading did not decide their kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from ..structure import ChangeItem, ChangeKind
from .kinds import section_kind

K = ChangeKind
DEFAULT_LABELS: dict[str, ChangeKind] = {
    "breaking": K.BREAKING, "breaking-change": K.BREAKING, "breaking change": K.BREAKING,
    "semver-major": K.BREAKING, "major": K.BREAKING,
    "security": K.SECURITY, "vulnerability": K.SECURITY,
    "removal": K.REMOVAL, "removed": K.REMOVAL,
    "deprecation": K.DEPRECATION, "deprecated": K.DEPRECATION,
    "enhancement": K.FEATURE, "feature": K.FEATURE, "feat": K.FEATURE, "new feature": K.FEATURE,
    "bug": K.FIX, "fix": K.FIX, "bugfix": K.FIX, "regression": K.FIX, "type: bug": K.FIX,
    "performance": K.PERFORMANCE, "perf": K.PERFORMANCE,
    "documentation": K.DOCS, "docs": K.DOCS,
    "dependencies": K.OTHER, "chore": K.OTHER, "ci": K.OTHER, "refactor": K.OTHER,
    "tests": K.OTHER, "maintenance": K.OTHER, "internal": K.OTHER,
}


class CategoryRule(Protocol):
    """What :mod:`pipeline.config`'s ``Category`` provides."""

    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def patterns(self) -> list[str]: ...
    @property
    def emoji(self) -> list[str]: ...


class ExcludeRule(Protocol):
    @property
    def labels(self) -> list[str]: ...
    @property
    def patterns(self) -> list[str]: ...
    @property
    def authors(self) -> list[str]: ...


def category_kind(category: CategoryRule) -> ChangeKind:
    if category.kind:
        return ChangeKind(category.kind)
    return section_kind(category.title) or ChangeKind.OTHER


def _matches(item: ChangeItem, category: CategoryRule) -> bool:
    labels = {label.lower() for label in item.labels}
    if labels & {label.lower() for label in category.labels}:
        return True
    if item.emoji and item.emoji.replace("\ufe0f", "") in {
            e.replace("\ufe0f", "") for e in category.emoji}:
        return True
    if item.section and item.section.strip().lower() == category.title.strip().lower():
        return True
    return any(re.search(pattern, item.text) for pattern in category.patterns)


def _excluded(item: ChangeItem, exclude: ExcludeRule | None) -> bool:
    if exclude is None:
        return False
    labels = {label.lower() for label in item.labels}
    if labels & {label.lower() for label in exclude.labels}:
        return True
    if item.author and item.author.lower() in {a.lower().lstrip("@") for a in exclude.authors}:
        return True
    return any(re.search(pattern, item.text) for pattern in exclude.patterns)


def label_kind(labels: Sequence[str], extra: dict[str, str] | None = None) -> ChangeKind | None:
    table = {**DEFAULT_LABELS, **{k.lower(): ChangeKind(v) for k, v in (extra or {}).items()}}
    kinds = [table[label.lower()] for label in labels if label.lower() in table]
    if K.BREAKING in kinds:
        return K.BREAKING
    return kinds[0] if kinds else None


def apply_categories(items: list[ChangeItem], categories: Sequence[CategoryRule],
                     exclude: ExcludeRule | None = None,
                     labels: dict[str, str] | None = None) -> list[ChangeItem]:
    """Items with the user's categories (then PR labels) applied, excluded ones left out."""
    result = []
    for item in items:
        if _excluded(item, exclude):
            continue
        category = next((c for c in categories if _matches(item, c)), None)
        if category is not None:
            item = replace(item, kind=category_kind(category))
        elif item.labels and section_kind(item.section or "") is None:
            kind = label_kind(item.labels, labels)
            if kind is not None and item.kind != K.BREAKING:
                item = replace(item, kind=kind)
        result.append(item)
    return result
