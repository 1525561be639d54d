"""The script for the ear: release-note text as a narrator would say it.

What is spoken never contains PR/issue numbers, URLs, commit hashes, @-handles (a known name is
said instead, else the handle is left out), emoji, Markdown or reStructuredText/MyST role
syntax. Code is said as words (``--dry-run`` -> "dry run", ``load_config()`` -> "load config"),
the lexicon (``voice.lexicon``) decides how a term is pronounced, versions are said the way
people say them ("v2.0.0" -> "version 2.0", "1.2.0-rc.1" -> "1.2 release candidate 1").

A long item is shortened to its first complete sentence, then to its first clauses, within a
word budget: never cut inside a clause, never an ellipsis.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from markdown_it import MarkdownIt

ITEM_WORDS = 18  # what one bullet may take to say: ~6 s at 165 words per minute
VERSION = "version %(number)s"  # how "v1.2" is said (translated by the caller)

_md = MarkdownIt("commonmark")
_SPACES = re.compile(r"\s+")
# :pr:`123`, {issue}`45`, :class:`Foo`: references are dropped, other roles keep their text.
_ROLE = re.compile(r"(?::([a-z][\w:+-]*):|\{([a-z][\w:+-]*)\})`([^`]*)`")
_REFERENCE_ROLES = frozenset({"pr", "issue", "issues", "ghissue", "ghpull", "gh", "pull",
                              "commit", "user", "bpo", "cve", "ghuser", "sha"})
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+|\b[\w.-]+\.(?:com|org|io|dev|net)/\S*")
_REF_WORDS = r"(?:pull request|pull|PR|issue|fixes|fixed|closes|closed|resolves|see|refs?)"
_NUMBERED_REF = re.compile(
    rf"(?:\b{_REF_WORDS}\s*)?(?:[\w.-]+/[\w.-]+)?(?:#|\bGH-|\bgh-)\d+\b", re.IGNORECASE)
_HASH = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
_HANDLE_LIST = re.compile(
    r"(?:\b(?:thanks(?: to)?|thank you|by|via|from|cc|reported by|props to|por|par|von|pelo|"
    r"gracias a|merci à|danke an|obrigado a)\s+)?"
    r"@[\w-]+(?:\[bot\])?(?:(?:\s*,\s*|\s+and\s+)@[\w-]+(?:\[bot\])?)*", re.IGNORECASE)
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])")
# Brackets left empty, or holding only the words that introduced a reference that is gone.
_EMPTY_BRACKETS = re.compile(
    r"\(\s*(?:(?:fixe[sd]|fix|closes|closed|resolves|see|in|by|via|thanks|to|cc|and|pr|issue)"
    r"\b|[\s,;:])*\)|\[\s*\]|<\s*>", re.IGNORECASE)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:.!?])")
_DOUBLE_PUNCT = re.compile(r"([,;:])\s*([,;:.!?])")
_VERSION = re.compile(
    r"(?<![\w.])(v|V)?(\d+)\.(\d+)(?:\.(\d+))?"
    r"(?:[-.]?(a|b|rc|alpha|beta|dev|pre)\.?(\d+)?)?(?![\w.]*\w)")
_PRE = {"a": "alpha", "alpha": "alpha", "b": "beta", "beta": "beta", "rc": "release candidate",
        "dev": "development build", "pre": "preview"}
_CLAUSE_END = re.compile(r"[,;:]\s|\s[—–-]\s|\s\(")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|(?<=[。！？])")


def _replace_role(match: re.Match[str]) -> str:
    role = (match.group(1) or match.group(2) or "").split(":")[-1].lower()
    content = match.group(3)
    if role in _REFERENCE_ROLES:
        return ""
    if "<" in content:  # :ref:`the text <target>`
        return content.split("<")[0].strip()
    if content.startswith("~"):  # Sphinx shows only the last component
        content = content.rsplit(".", 1)[-1]
    return f"`{content.lstrip('~!')}`"  # said as code


def _apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    # Longest terms first, so "--color-scheme" wins over "--color".
    for term in sorted(lexicon, key=len, reverse=True):
        flags = 0 if any(c.isupper() for c in term) else re.IGNORECASE
        text = re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])",
                      lambda _m, said=lexicon[term]: said, text, flags=flags)
    return text


def speak_code(code: str) -> str:
    """An identifier or option said as words: ``--no-cache`` -> "no cache",
    ``parse_args()`` -> "parse args", ``fooBar.baz`` -> "foo bar dot baz"."""
    code = re.sub(r"\(.*?\)", "", code)  # call parentheses and their arguments
    code = re.sub(r"(?<![\w])--?(?=\w)", "", code)  # option dashes
    code = re.sub(r"(?<=[a-z])([A-Z])(?=[a-z])", lambda m: " " + m.group(1).lower(),
                  code)  # camelCase
    code = re.sub(r"(?<=\w)\.(?=[A-Za-z_])", " dot ", code)
    code = re.sub(r"[_/\\]+|::|->|=>", " ", code)
    code = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", code)
    code = re.sub(r"[<>{}\[\]`$*=;|#]", " ", code)
    return _SPACES.sub(" ", code).strip()


def _markdown_words(markdown: str) -> str:
    """Inline Markdown as words: link targets, images and HTML dropped, code spoken."""
    parts: list[str] = []
    for block in _md.parseInline(markdown):
        children = block.children or []
        skipping = 0
        for token in children:
            if token.type == "link_open":
                skipping += 1
                parts.append("\x00")  # link text starts: judged once closed
            elif token.type == "link_close":
                skipping -= 1
                parts.append("\x01")
            elif token.type == "text":
                parts.append(token.content)
            elif token.type == "code_inline":
                parts.append(speak_code(token.content))
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    text = "".join(parts)

    def link(match: re.Match[str]) -> str:
        label = match.group(1)
        plain = label.strip()
        # A link whose text is itself a reference or an address says nothing.
        if _URL.fullmatch(plain) or _NUMBERED_REF.fullmatch(plain) or _HASH.fullmatch(plain) \
                or re.fullmatch(r"#?\d+", plain):
            return ""
        return label

    return re.sub(r"\x00(.*?)\x01", link, text, flags=re.DOTALL).replace("\x00", "") \
        .replace("\x01", "")


def _no_emoji(text: str) -> str:
    text = _SHORTCODE.sub("", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        # symbols, skin-tone modifiers, joiners and variation selectors of emoji sequences
        if category in ("So", "Cs", "Co") or (category == "Sk" and ord(char) > 0xFFFF) \
                or char in "\u200d\ufe0f\ufe0e\u20e3":
            continue
        kept.append(char)
    return "".join(kept)


def _say_version(match: re.Match[str], version: str = VERSION) -> str:
    prefix, major, minor, patch, pre, pre_number = match.groups()
    said = f"{major}.{minor}" if patch in (None, "0") else f"{major}.{minor}.{patch}"
    if pre:
        said += f" {_PRE[pre.lower()]}" + (f" {pre_number}" if pre_number else "")
    return version % {"number": said} if prefix else said


def _tidy(text: str) -> str:
    text = _EMPTY_BRACKETS.sub("", text)
    text = re.sub(r"[*_~]{2,}|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)", "", text)  # emphasis left
    text = re.sub(r"^(?:\s*(?:[-*+>]|\[[ xX]\])\s+)+", "", text)  # list/quote/task markers
    text = text.replace("[", "").replace("]", "").replace("|", ", ")
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _DOUBLE_PUNCT.sub(r"\2", text)
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))
    text = _EMPTY_BRACKETS.sub("", text)
    # what led to a reference that is gone: "fixed in", "see ... and"
    while True:
        shorter = re.sub(r"[\s,;:]*\b(?:in|by|via|from|see|with|and|or|for|en|em|dans|im|"
                         r"por|par|von|pelo)[.,;:]?\s*$", "",
                         text, flags=re.IGNORECASE)
        if shorter == text:
            break
        text = shorter
    return text.strip(" ,;:-–—")


def spoken_text(markdown: str, *, lexicon: Mapping[str, str] | None = None,
                names: Mapping[str, str] | None = None, version: str = VERSION) -> str:
    """Release-note text (inline Markdown) as words to say, without a final stop added.

    ``names`` maps GitHub logins to people's names: "@octocat" becomes "Mona" when known."""
    names = names or {}
    text = _ROLE.sub(_replace_role, markdown)
    if lexicon:
        text = _apply_lexicon(text, lexicon)
    text = _URL.sub("", text)  # before Markdown: an autolink is still a URL

    def handle(match: re.Match[str]) -> str:
        known = [names[h] for h in re.findall(r"@([\w-]+)", match.group(0)) if h in names]
        lead = re.match(r"\S.*?(?=@)", match.group(0))
        lead_words = lead.group(0) if lead else ""
        if not known:  # "thanks @x for" still thanks; "by @x" says nothing
            return "thanks" if lead_words.lower().startswith(("thank", "props")) else ""
        return lead_words + " and ".join(known)

    text = _HANDLE_LIST.sub(handle, text)
    text = _markdown_words(text)
    text = _URL.sub("", text)
    text = _NUMBERED_REF.sub("", text)
    text = _HASH.sub("", text)
    text = _no_emoji(text)
    text = _VERSION.sub(lambda match: _say_version(match, version), text)
    return _tidy(text)


def _words(text: str) -> int:
    return len(text.split())


def within(text: str, budget: int) -> str:
    """The longest beginning of ``text`` made of whole sentences, else whole clauses, that
    says at most ``budget`` words. A first clause over the budget is kept whole: a complete
    clause that runs long is better than a cut one."""
    if _words(text) <= budget:
        return text
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if _words(candidate) > budget:
            break
        kept = candidate
    if kept:
        return kept
    first = sentences[0] if sentences else text
    best = ""
    for match in _CLAUSE_END.finditer(first):
        clause = first[: match.start() + (1 if match.group(0)[0] in ",;:" else 0)]
        if _words(clause) > budget:
            break
        best = clause
    return (best or first).rstrip(" ,;:(—–-")


def sentence(text: str) -> str:
    """Capitalized, ending with a full stop (one the engine pauses on), never an ellipsis."""
    text = text.rstrip(" .…").strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1] in "!?。！？" else text + ("。" if _is_cjk_end(text) else ".")


def _is_cjk_end(text: str) -> bool:
    return "\u3000" <= text[-1] <= "\u9fff" or "\uac00" <= text[-1] <= "\ud7af"


def spoken_item(markdown: str, *, lexicon: Mapping[str, str] | None = None,
                names: Mapping[str, str] | None = None, budget: int = ITEM_WORDS,
                version: str = VERSION) -> str:
    """One bullet of the notes as one spoken sentence within ``budget`` words."""
    said = spoken_text(markdown, lexicon=lexicon, names=names, version=version)
    return sentence(within(said, budget))
