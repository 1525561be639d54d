"""Right-to-left text: the visual order of a line's runs.

Per-character font fallback splits a line into runs drawn one by one, left to right, so the
runs must be put into *visual* order first, whatever Pillow does inside a run:

* The Unicode Bidirectional Algorithm's embedding levels come from python-bidi's pure-Python
  implementation (``bidi.algorithm``, rules P2-I2); reordering (rule L2) is done here on
  character indices, so we know which source characters each visual run holds.
* Each visual run is a stretch of one font and one direction. With libraqm, a right-to-left run
  is handed to Pillow in logical order with ``direction="rtl"``: HarfBuzz shapes it (Arabic
  letters join) and mirrors brackets. Without libraqm, the run's characters are reversed and
  mirrored here and drawn as they are; Arabic letters then show in their isolated forms, which
  is legible but not pretty (install ``libfribidi0`` so Pillow's bundled libraqm loads).

Lines are reordered one at a time after wrapping, as the algorithm prescribes; the paragraph's
base direction is passed in so a Hebrew paragraph's second line stays right-to-left even when it
starts with a Latin word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from bidi import algorithm

_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class VisualRun:
    start: int  # logical slice of the line this run draws
    end: int
    rtl: bool


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def paragraph_is_rtl(text: str) -> bool:
    """Base direction of a paragraph: that of its first strong character (rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def embedding_levels(text: str, base_rtl: bool | None = None) -> list[int]:
    """The resolved embedding level of every character (even: left-to-right, odd: rtl)."""
    base = int(paragraph_is_rtl(text) if base_rtl is None else base_rtl)
    if not has_rtl(text) and not base:
        return [0] * len(text)
    storage = algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = "LR"[base]
    algorithm.get_embedding_levels(text, storage)
    for index, entry in enumerate(storage["chars"]):
        entry["index"] = index  # explicit formatting characters are dropped below (rule X9)
    algorithm.explicit_embed_and_overrides(storage, False)
    algorithm.resolve_weak_types(storage, False)
    algorithm.resolve_neutral_types(storage, False)
    algorithm.resolve_implicit_levels(storage, False)
    levels = [base] * len(text)
    for entry in storage["chars"]:
        levels[entry["index"]] = entry["level"]
    # Rule L1: trailing whitespace takes the paragraph level.
    for i in range(len(text) - 1, -1, -1):
        if not text[i].isspace():
            break
        levels[i] = base
    return levels


def visual_order(levels: list[int]) -> list[int]:
    """Rule L2: logical indices in display order, left to right."""
    order = list(range(len(levels)))
    if not levels:
        return order
    shown = list(levels)
    lowest_odd = min(level for level in levels if level % 2) if any(
        level % 2 for level in levels) else None
    if lowest_odd is None:
        return order
    for level in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(shown):
            if shown[i] < level:
                i += 1
                continue
            j = i
            while j < len(shown) and shown[j] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            shown[i:j] = shown[i:j][::-1]
            i = j
    return order


def visual_runs(
    text: str, key_of: Callable[[int], Key], base_rtl: bool | None = None
) -> list[VisualRun]:
    """Runs in display order; a run never spans two keys (fonts) or two directions."""
    if not text:
        return []
    levels = embedding_levels(text, base_rtl)
    order = visual_order(levels)
    runs: list[VisualRun] = []
    first = last = order[0]
    for index in order[1:]:
        same = (
            levels[index] % 2 == levels[last] % 2
            and key_of(index) == key_of(last)
            and index == last + (-1 if levels[last] % 2 else 1)
        )
        if not same:
            runs.append(_run(first, last, levels))
            first = index
        last = index
    runs.append(_run(first, last, levels))
    return runs


def _run(first: int, last: int, levels: list[int]) -> VisualRun:
    return VisualRun(min(first, last), max(first, last) + 1, bool(levels[first] % 2))


def mirrored_reversed(text: str) -> str:
    """A right-to-left run as drawn by a layout engine that cannot reorder (no libraqm)."""
    return "".join(algorithm.MIRRORED.get(char, char) for char in reversed(text))
