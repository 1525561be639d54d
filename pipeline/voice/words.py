"""Words of a caption: how text splits into words (CJK has no spaces) and joins back."""

from __future__ import annotations

import re

# Han, kana, Hangul, CJK punctuation and fullwidth forms: written without spaces between words.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                  r"\uff00-\uffef]")
_TRAILING = frozenset("、。，．！？：；）」』】〉》,.!?:;)")


def is_cjk(text: str) -> bool:
    """Mostly written in a script without spaces between words (a CJK character is as wide
    as two Latin letters: "Widgets版本2.4发布了" counts as CJK)."""
    letters = [c for c in text if c.isalpha()]
    cjk = sum(1 for c in letters if _CJK.match(c))
    return bool(letters) and cjk * 2 >= len(letters) - cjk


def split_words(text: str) -> list[str]:
    """Words as shown: split at spaces; inside a CJK run every character is a word, with the
    punctuation after it attached, and Latin letters or digits ("Vue3") stay together."""
    words: list[str] = []
    for token in text.split():
        if not _CJK.search(token):
            words.append(token)
            continue
        start = len(words)
        for char in token:
            latin_run = (len(words) > start and not _CJK.match(char)
                         and not _CJK.match(words[-1][-1]))
            if len(words) > start and (char in _TRAILING or latin_run):
                words[-1] += char
            else:
                words.append(char)
    return words


def join_words(words: list[str]) -> str:
    """The inverse of :func:`split_words`: a space between words, none next to CJK."""
    text = ""
    for word in words:
        if text and not (_CJK.match(text[-1]) or _CJK.match(word[0])):
            text += " "
        text += word
    return text
