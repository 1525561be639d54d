"""What kind of change an entry is, from each signal people use, one function per signal.

The order in which :mod:`pipeline.facts.notes` asks them is documented there (and in the
README): the heading, a conventional-commit prefix, a gitmoji at the entry's start, words.
A user's ``categories:`` mapping (:mod:`pipeline.facts.categories`) overrides all of them.
"""

from __future__ import annotations

import re
import unicodedata

from ..structure import ChangeKind

K = ChangeKind

# -- section headings -----------------------------------------------------------------------

# Headings that list people rather than changes, by the words in them.
CONTRIBUTOR_WORDS = frozenset({"contributor", "contributors", "thanks", "acknowledgements",
                               "acknowledgments"})
FIRST_TIME_WORDS = frozenset({"new", "first"})

# Words in a heading that decide its entries' kind. BREAKING wins over the others ("Breaking
# fixes"); two other kinds in one heading ("Features & Fixes") decide nothing.
_SECTION_WORDS: dict[ChangeKind, frozenset[str]] = {
    K.BREAKING: frozenset({"breaking", "incompatible", "upgrade", "upgrading", "migration"}),
    K.SECURITY: frozenset({"security", "vulnerability", "vulnerabilities", "cve"}),
    K.REMOVAL: frozenset({"removed", "removal", "removals", "dropped"}),
    K.DEPRECATION: frozenset({"deprecated", "deprecation", "deprecations", "deprecating"}),
    K.FEATURE: frozenset({"feature", "features", "feat", "added", "new", "enhancement",
                          "enhancements", "improvement", "improvements", "stabilization",
                          "stabilized", "stabilizations", "preview", "highlights"}),
    K.FIX: frozenset({"fix", "fixes", "fixed", "bug", "bugs", "bugfix", "bugfixes", "hotfix",
                      "hotfixes", "patches", "regressions"}),
    K.PERFORMANCE: frozenset({"performance", "perf", "speed", "optimizations", "optimization",
                              "optimisations"}),
    K.DOCS: frozenset({"documentation", "docs", "doc", "documented"}),
    K.OTHER: frozenset({"chore", "chores", "maintenance", "dependencies", "dependency", "deps",
                        "internal", "internals", "refactor", "refactoring", "tests", "testing",
                        "ci", "build", "reverts", "style", "tooling", "infrastructure",
                        "packaging", "notes", "miscellaneous", "misc", "changed"}),
}
# The same for notes written in the other languages the templates speak (es, de, fr, pt).
_EUROPEAN_SECTION_WORDS: dict[ChangeKind, frozenset[str]] = {
    K.BREAKING: frozenset({"incompatibles", "inkompatible", "inkompatibel", "rupture",
                           "ruptura", "cassants", "bruch"}),
    K.SECURITY: frozenset({"seguridad", "sicherheit", "sécurité", "segurança"}),
    K.REMOVAL: frozenset({"eliminado", "eliminados", "entfernt", "supprimé", "supprimés",
                          "removido", "removidos"}),
    K.DEPRECATION: frozenset({"obsoleto", "obsoletos", "veraltet", "obsolète", "obsolètes"}),
    K.FEATURE: frozenset({"novedades", "nuevo", "nuevos", "nuevas", "funcionalidades",
                          "características", "mejoras", "neu", "neue", "neuerungen",
                          "funktionen", "verbesserungen", "nouveautés", "nouvelles",
                          "fonctionnalités", "améliorations", "novidades", "novos", "novas",
                          "recursos", "melhorias"}),
    K.FIX: frozenset({"correcciones", "corregido", "corregidos", "errores", "fehlerbehebungen",
                      "behoben", "korrekturen", "corrections", "corrigé", "corrigés",
                      "correções", "corrigido", "corrigidos"}),
    K.PERFORMANCE: frozenset({"rendimiento", "leistung", "performances", "desempenho"}),
    K.DOCS: frozenset({"documentación", "dokumentation", "documentação"}),
}
for _kind, _names in _EUROPEAN_SECTION_WORDS.items():
    _SECTION_WORDS[_kind] = _SECTION_WORDS[_kind] | _names

# "Upgrade notes" are what a user must act on; "notes" alone is other.
_PHRASES: tuple[tuple[str, ChangeKind], ...] = (
    ("upgrade notes", K.BREAKING), ("breaking changes", K.BREAKING),
    ("bug fixes", K.FIX), ("new features", K.FEATURE), ("what's new", K.FEATURE),
)
# Headings in Chinese and Japanese: matched as substrings (no spaces between words there).
_CJK_SECTIONS: tuple[tuple[str, ChangeKind], ...] = (
    ("破坏性变更", K.BREAKING), ("重大变更", K.BREAKING), ("不兼容", K.BREAKING),
    ("破壊的変更", K.BREAKING), ("重大な変更", K.BREAKING),
    ("安全", K.SECURITY), ("セキュリティ", K.SECURITY),
    ("废弃", K.DEPRECATION), ("弃用", K.DEPRECATION), ("非推奨", K.DEPRECATION),
    ("移除", K.REMOVAL), ("删除", K.REMOVAL), ("削除", K.REMOVAL),
    ("新特性", K.FEATURE), ("新功能", K.FEATURE), ("新增", K.FEATURE), ("功能", K.FEATURE),
    ("新機能", K.FEATURE), ("機能追加", K.FEATURE), ("改进", K.FEATURE), ("改善", K.FEATURE),
    ("修复", K.FIX), ("修正", K.FIX), ("バグ", K.FIX), ("修復", K.FIX),
    ("性能", K.PERFORMANCE), ("パフォーマンス", K.PERFORMANCE), ("优化", K.PERFORMANCE),
    ("文档", K.DOCS), ("ドキュメント", K.DOCS),
    ("其他", K.OTHER), ("其它", K.OTHER), ("その他", K.OTHER), ("依赖", K.OTHER),
)
# Emoji in a heading, looked at when no word decides ("## 🚀 Features" is decided by words).
_SECTION_EMOJI: dict[ChangeKind, str] = {
    K.BREAKING: "💥⚠🚨",
    K.SECURITY: "🔒🔐🛡",
    K.DEPRECATION: "🗑",
    K.FIX: "🐛🩹🚑🐞",
    K.FEATURE: "🚀✨🎉🆕🌟",
    K.PERFORMANCE: "⚡🏎",
    K.DOCS: "📝📚📖",
    K.OTHER: "🧰🔧⬆📦🏗♻🧪👷🔨🧹",
}
_WORDS = re.compile(r"[^\W\d_]+(?:'[a-z]+)?")
_UNSTABLE = re.compile(r"\s*\((?:unstable|experimental|preview)\)\s*$", re.I)


def words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def section_role(title: str) -> str:
    """"new_contributors", "contributors" (people thanked) or "changes"."""
    found = set(words(title))
    if found & CONTRIBUTOR_WORDS:
        return "new_contributors" if found & FIRST_TIME_WORDS else "contributors"
    return "changes"


def section_kind(title: str) -> ChangeKind | None:
    """The kind a heading gives its entries, or None when it does not decide ("What's
    Changed", "Changes", a component name)."""
    lowered = " ".join(title.lower().split())
    if lowered in ("what's changed", "changes", "changelog", "rule changes", "other changes"):
        return K.OTHER if lowered == "other changes" else None
    for phrase, kind in _PHRASES:
        if phrase in lowered:
            return kind
    found = set(words(lowered))
    matched = [kind for kind, names in _SECTION_WORDS.items() if found & names]
    if K.BREAKING in matched:
        return K.BREAKING
    if len(matched) == 1:
        return matched[0]
    if matched:
        return None  # "Features & Fixes": each entry decides
    for name, kind in _CJK_SECTIONS:
        if name in title:
            return kind
    for kind, emoji in _SECTION_EMOJI.items():
        if any(char in emoji for char in title):
            return kind
    return None


def component_heading(title: str) -> str | None:
    """A heading that names a part of the project rather than a kind ("IO uring (unstable)",
    "cli"): its entries' group."""
    if section_kind(title) is not None or section_role(title) != "changes":
        return None
    cleaned = title.strip().strip("*_:").strip()
    if cleaned.lower() in ("what's changed", "changes", "changelog", "rule changes"):
        return None
    return cleaned or None


def strip_unstable(title: str) -> str:
    return _UNSTABLE.sub("", title)


# -- gitmoji and emoji at an entry's start ---------------------------------------------------

# The gitmoji set (gitmoji.dev) by what it means for a reader, plus emoji people use the same
# way (🐞 🆕 📚). Variation selectors are dropped before the lookup.
_GITMOJI: dict[str, ChangeKind] = {
    "💥": K.BREAKING,
    "🔒": K.SECURITY, "🔐": K.SECURITY, "🛂": K.SECURITY, "🛡": K.SECURITY,
    "🔥": K.REMOVAL, "⚰": K.REMOVAL,
    "🗑": K.DEPRECATION,
    "✨": K.FEATURE, "🎉": K.FEATURE, "🆕": K.FEATURE, "🌟": K.FEATURE, "🚀": K.FEATURE,
    "💄": K.FEATURE, "♿": K.FEATURE, "🌐": K.FEATURE, "🚸": K.FEATURE, "📱": K.FEATURE,
    "💫": K.FEATURE, "✈": K.FEATURE, "🥚": K.FEATURE, "🎨": K.OTHER,
    "🐛": K.FIX, "🐞": K.FIX, "🚑": K.FIX, "🩹": K.FIX, "🥅": K.FIX, "🔧": K.OTHER,
    "⚡": K.PERFORMANCE, "🏎": K.PERFORMANCE,
    "📝": K.DOCS, "📚": K.DOCS, "📖": K.DOCS, "✏": K.DOCS, "💡": K.DOCS,
    "♻": K.OTHER, "⬆": K.OTHER, "⬇": K.OTHER, "📌": K.OTHER, "➕": K.OTHER, "➖": K.OTHER,
    "👷": K.OTHER, "💚": K.OTHER, "✅": K.OTHER, "🧪": K.OTHER, "🤡": K.OTHER, "📸": K.OTHER,
    "⏪": K.OTHER, "🔀": K.OTHER, "🔖": K.OTHER, "🚨": K.OTHER, "🚧": K.OTHER, "📦": K.OTHER,
    "🚚": K.OTHER, "📄": K.OTHER, "🍱": K.OTHER, "🏗": K.OTHER, "🏷": K.OTHER, "🔨": K.OTHER,
    "🙈": K.OTHER, "🔊": K.OTHER, "🔇": K.OTHER, "👥": K.OTHER, "🗃": K.OTHER, "💬": K.OTHER,
    "📈": K.OTHER, "👽": K.OTHER, "🧱": K.OTHER, "🧑‍💻": K.OTHER, "🧹": K.OTHER, "🦺": K.OTHER,
    "👔": K.OTHER, "🩺": K.OTHER, "🧐": K.OTHER, "🌱": K.OTHER, "🚩": K.OTHER, "⚗": K.OTHER,
    "🔍": K.OTHER, "💩": K.OTHER, "🍻": K.OTHER, "🦖": K.OTHER, "🧵": K.OTHER, "💸": K.OTHER,
    "⚠": K.BREAKING,
}
# gitmoji's text form (":bug:") as GitHub renders it.
_GITMOJI_CODES: dict[str, str] = {
    "boom": "💥", "lock": "🔒", "closed_lock_with_key": "🔐", "fire": "🔥", "coffin": "⚰",
    "wastebasket": "🗑", "sparkles": "✨", "tada": "🎉", "new": "🆕", "star2": "🌟",
    "rocket": "🚀", "lipstick": "💄", "wheelchair": "♿", "globe_with_meridians": "🌐",
    "children_crossing": "🚸", "iphone": "📱", "bug": "🐛", "beetle": "🐞", "ambulance": "🚑",
    "adhesive_bandage": "🩹", "goal_net": "🥅", "zap": "⚡", "memo": "📝", "books": "📚",
    "pencil2": "✏", "bulb": "💡", "recycle": "♻", "arrow_up": "⬆", "arrow_down": "⬇",
    "pushpin": "📌", "heavy_plus_sign": "➕", "heavy_minus_sign": "➖", "construction_worker": "👷",
    "green_heart": "💚", "white_check_mark": "✅", "test_tube": "🧪", "rewind": "⏪",
    "twisted_rightwards_arrows": "🔀", "bookmark": "🔖", "rotating_light": "🚨",
    "construction": "🚧", "package": "📦", "truck": "🚚", "page_facing_up": "📄",
    "building_construction": "🏗", "label": "🏷", "hammer": "🔨", "wrench": "🔧",
    "art": "🎨", "warning": "⚠", "passport_control": "🛂", "speech_balloon": "💬",
    "card_file_box": "🗃", "loud_sound": "🔊", "mute": "🔇", "see_no_evil": "🙈",
    "alembic": "⚗", "mag": "🔍", "poop": "💩", "broom": "🧹", "safety_vest": "🦺",
}
_SHORTCODE = re.compile(r"^:(?P<code>[a-z0-9_+-]+):\s*")


def _pictographic(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF


def leading_emoji(text: str) -> tuple[str | None, str]:
    """The emoji (or ``:shortcode:``) an entry starts with, and the entry without it."""
    code = _SHORTCODE.match(text)
    if code and code["code"] in _GITMOJI_CODES:
        return _GITMOJI_CODES[code["code"]], text[code.end():]
    end = 0
    while end < len(text) and (_pictographic(text[end]) or text[end] in "\ufe0f\u200d\u20e3"
                               or 0x1F3FB <= ord(text[end]) <= 0x1F3FF):
        end += 1
    if end == 0:
        return None, text
    return text[:end], text[end:].lstrip()


def emoji_kind(emoji: str | None) -> ChangeKind | None:
    if not emoji:
        return None
    bare = emoji.replace("\ufe0f", "")
    return _GITMOJI.get(bare) or _GITMOJI.get(bare[:1])


# -- words ----------------------------------------------------------------------------------

_BREAKING_WORD = re.compile(r"\bBREAKING\b|(?i:\bbreaking changes?\b)")
_SECURITY_WORDS = re.compile(r"\bCVE-\d{4}-\d+\b|\bGHSA(?:-[0-9a-z]{4}){3}\b|"
                             r"(?i:\bsecurity (?:fix|issue|vulnerability|advisory)\b|"
                             r"\bvulnerabilit(?:y|ies)\b)")
_DEPRECATION_WORDS = re.compile(r"(?i:^(?:deprecate[sd]?|deprecating)\b|"
                                r"\b(?:is|are|was|were|now|been) deprecated\b|\bdeprecation of\b)")
_REMOVAL_WORDS = re.compile(r"(?i:\b(?:drop(?:s|ped)?|remove[sd]?|removing) (?:the )?"
                            r"(?:support|deprecated)\b|\bno longer supports?\b|^removed\b)")
_FIX_PHRASES = re.compile(r"(?i:\bno longer (?!supports?\b)|\bregression\b|\bcrash(?:es|ed)?\b)")
_FEATURE_PHRASES = re.compile(r"(?i:\bnow (?:supports?|accepts?|allows?|provides?)\b|"
                              r"^stabili[sz]e[sd]?\b)")
_PERFORMANCE_WORDS = re.compile(r"(?i:^(?:optimi[sz]e[sd]?|speed up|sped up|faster)\b|"
                                r"\bperformance\b|\bfaster\b)")
_DOCS_START = re.compile(r"(?i:^(?:document(?:s|ed)?|docs?)\b)")

FIX_VERBS = frozenset({"fix", "fixes", "fixed", "fixing", "resolve", "resolves", "resolved",
                       "correct", "corrects", "corrected", "patch", "patched", "repair",
                       "repaired", "prevent", "prevents", "prevented", "avoid", "avoids",
                       "handle", "handles"})
FEATURE_VERBS = frozenset({"add", "adds", "added", "adding", "introduce", "introduces",
                           "introduced", "support", "supports", "implement", "implements",
                           "implemented", "new", "allow", "allows", "enable", "enables",
                           "stabilize", "stabilized", "stabilise", "stabilised"})
# CJK entries: the first characters carry the verb ("修复 …", "新增 …").
_CJK_START: tuple[tuple[str, ChangeKind], ...] = (
    ("修复", K.FIX), ("修正", K.FIX), ("新增", K.FEATURE), ("增加", K.FEATURE),
    ("添加", K.FEATURE), ("支持", K.FEATURE), ("优化", K.PERFORMANCE), ("废弃", K.DEPRECATION),
    ("移除", K.REMOVAL), ("删除", K.REMOVAL), ("文档", K.DOCS),
)


def keyword_kind(text: str) -> ChangeKind | None:
    """The kind an entry's own words give, or None."""
    if _BREAKING_WORD.search(text):
        return K.BREAKING
    if _SECURITY_WORDS.search(text):
        return K.SECURITY
    if _REMOVAL_WORDS.search(text):
        return K.REMOVAL
    if _DEPRECATION_WORDS.search(text):
        return K.DEPRECATION
    found = words(text)
    first = found[0] if found else ""
    if first in FIX_VERBS:
        # "Avoid exponential traversal in X" and "handle" read as fixes unless about speed.
        return K.PERFORMANCE if first == "avoid" and _PERFORMANCE_WORDS.search(text) else K.FIX
    if _PERFORMANCE_WORDS.search(text) and not _FEATURE_PHRASES.search(text):
        return K.PERFORMANCE
    if first in FEATURE_VERBS or _FEATURE_PHRASES.search(text):
        return K.FEATURE
    if _FIX_PHRASES.search(text):
        return K.FIX
    if _DOCS_START.search(text):
        return K.DOCS
    stripped = text.lstrip()
    for start, kind in _CJK_START:
        if stripped.startswith(start):
            return kind
    return None
