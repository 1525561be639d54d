"""The grounding guard: AI-written words may only state what the release facts contain.

Every version string, PR or issue number, ``@user`` and URL in the text must appear in the
facts, and every other number must be one of the release's figures (counts of changes,
commits, contributors, files, lines) or a number the release notes themselves use. The guard
reports violations as short sentences that can be handed back to the model verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..structure import ReleaseFacts
from .template import counts

_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+")
_VERSION = re.compile(
    r"(?<![\w.])[vV]?\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?(?![\w])"
)
_REF = re.compile(
    r"(?:#|\b(?:PR|pull request|pull|issue|number|nº)\s*#?\s*)(\d+)\b", re.IGNORECASE
)
_REF_IN_URL = re.compile(r"/(?:pull|issues)/(\d+)\b")
_MENTION = re.compile(r"(?<![\w.@/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w])|(?<![\w.])\d+(?![\w])")
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}
_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_TRAILING = ".,;:!?…"
# "<number> <noun>" must state the matching figure, not just any figure of the release
_COUNTED = re.compile(
    r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+(?:new\s+|bug\s+)?"
    r"(first[- ]time contributors?|new contributors?|breaking changes?|features?|fix(?:es)?|"
    r"commits?|contributors?|files?|insertions?|deletions?|lines? added|lines? removed)\b",
    re.IGNORECASE,
)
_FIGURE_OF = {
    "first": "first_time", "new contributor": "first_time", "breaking": "breaking",
    "feature": "features", "fix": "fixes", "commit": "commits", "contributor": "contributors",
    "file": "files", "insertion": "insertions", "deletion": "deletions",
    "lines added": "insertions", "line added": "insertions", "lines removed": "deletions",
    "line removed": "deletions",
}


def _norm_version(text: str) -> str:
    version = text.lstrip("vV")
    core, dash, pre = version.partition("-")
    parts = core.split(".")
    while len(parts) > 2 and parts[-1] == "0":  # 1.2.0 == 1.2 (a writer may shorten)
        parts.pop()
    return ".".join(parts) + dash + pre.lower()


def _norm_url(url: str) -> str:
    return url.rstrip(_TRAILING).rstrip("/").lower()


@dataclass
class Grounding:
    """What the facts allow a writer to mention."""

    versions: set[str] = field(default_factory=set)
    refs: set[int] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)
    figures: dict[str, int] = field(default_factory=dict)  # counts(): "features" -> 2
    words: set[str] = field(default_factory=set)  # number words the notes use themselves

    @classmethod
    def of(cls, facts: ReleaseFacts) -> Grounding:
        g = cls()
        texts = [facts.tag, facts.name, facts.body, *(i.text for i in facts.items),
                 *(c.subject for c in facts.commits)]
        if facts.previous_tag:
            texts.append(facts.previous_tag)
        for text in texts:
            g._learn(text)
        urls = [facts.url, facts.repository.html_url, facts.full_changelog_url,
                *(i.url for i in facts.items)]
        if facts.repository.full_name:
            urls.append(f"https://github.com/{facts.repository.full_name}")
        for url in filter(None, urls):
            g.urls.add(_norm_url(url))
            g.refs.update(int(n) for n in _REF_IN_URL.findall(url))
        g.refs.update(n for i in facts.items for n in (i.refs or ([i.pr] if i.pr else [])))
        g.refs.update(pr for c in facts.commits for pr in c.prs)
        g.users.update(c.login.lower() for c in facts.contributors)
        g.users.update(i.author.lower() for i in facts.items if i.author)
        g.figures = counts(facts)
        g.numbers.update(g.figures.values())
        g.numbers.update({len(facts.items), len(facts.others), facts.date.year, facts.date.day,
                          facts.date.month})
        g.numbers.add(facts.diffstat.insertions + facts.diffstat.deletions)  # "lines changed"
        return g

    def _learn(self, text: str) -> None:
        for url in _URL.findall(text):
            self.urls.add(_norm_url(url))
            self.refs.update(int(n) for n in _REF_IN_URL.findall(url))
        text = _URL.sub(" ", text)
        self.versions.update(_norm_version(v) for v in _VERSION.findall(text))
        self.refs.update(int(n) for n in _REF.findall(text))
        self.users.update(u.lower() for u in _MENTION.findall(text))
        self.numbers.update(_as_int(n) for n in _NUMBER.findall(text))
        for part in _VERSION.findall(text):  # "Python 3.12" also allows the number 3 and 12
            self.numbers.update(int(p) for p in re.findall(r"\d+", part))
        self.words.update(w.lower() for w in _WORD.findall(text))


def _as_int(text: str) -> int:
    return int(text.replace(",", ""))


def find_violations(texts: Iterable[str], facts: ReleaseFacts,
                    grounding: Grounding | None = None) -> list[str]:
    """Each statement in ``texts`` the facts do not support, as a sentence; [] when grounded."""
    g = grounding or Grounding.of(facts)
    found: dict[str, None] = {}  # ordered and without duplicates
    for text in texts:
        for problem in _check(text, g):
            found[problem] = None
    return list(found)


def _check(text: str, g: Grounding) -> Iterable[str]:
    for url in _URL.findall(text):
        if _norm_url(url) not in g.urls:
            yield f"the URL {url.rstrip(_TRAILING)} is not in the release"
    rest = _URL.sub(" ", text)
    for version in _VERSION.findall(rest):
        if _norm_version(version) not in g.versions:
            yield f"the version {version} is not in the release"
    rest = _VERSION.sub(" ", rest)
    for ref in _REF.findall(rest):
        if int(ref) not in g.refs:
            yield f"#{ref} is not a pull request or issue of this release"
    rest = _REF.sub(" ", rest)
    for user in _MENTION.findall(rest):
        if user.lower() not in g.users:
            yield f"@{user} is not a contributor to or mentioned in this release"
    rest = _MENTION.sub(" ", rest)
    for match in _COUNTED.finditer(rest):
        said, noun = match.groups()
        figure = _figure_name(noun.lower())
        value = int(said) if said.isdigit() else _NUMBER_WORDS[said.lower()]
        if figure and value != g.figures.get(figure):
            label = "first-time contributors" if figure == "first_time" else figure
            yield (f"'{' '.join(match.group(0).split())}' is wrong: "
                   f"the number of {label} is {g.figures.get(figure, 0)}")
    for number in _NUMBER.findall(rest):
        if _as_int(number) not in g.numbers:
            yield f"the number {number} does not match any figure of the release"
    for word in _WORD.findall(rest):
        value = _NUMBER_WORDS[word.lower()]
        if value not in g.numbers and word.lower() not in g.words:
            yield f"'{word}' ({value}) does not match any figure of the release"


def _figure_name(noun: str) -> str | None:
    for prefix, figure in _FIGURE_OF.items():
        if noun.startswith(prefix):
            return figure
    return None
