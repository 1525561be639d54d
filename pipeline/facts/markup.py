"""Markup inside one entry that is not Markdown: Sphinx/MyST and reStructuredText roles,
``gh-123`` references, reference-style links. It becomes plain Markdown and references, so
no role syntax reaches the post, the slides, the captions or the narration.

``{pr}`3637``` and ``:issue:`12``` are references (counted as PRs, linked by the post); code
roles (``{class}`Path```, ``:func:`edit```) become code spans; ``{user}`octocat``` a mention;
any other role keeps its visible text (``{doc}`the guide <guide>``` -> "the guide").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_REF_ROLES = frozenset({"pr", "pull", "issue", "issues", "gh", "ghpull", "ghissue", "bug",
                        "pull-request", "pullrequest"})
_USER_ROLES = frozenset({"user", "ghuser", "github-user", "author"})
_CODE_ROLES = frozenset({"class", "func", "meth", "mod", "attr", "obj", "data", "const", "exc",
                         "type", "envvar", "option", "program", "command", "file", "samp",
                         "code", "kbd", "confval", "setting", "function", "method", "module",
                         "member", "var", "macro", "struct", "enum", "expr", "literal"})
# MyST: {role}`content`; reST: :role:`content` (with domains, ":py:class:"). The content may
# be "text <target>".
_MYST_ROLE = re.compile(r"\{(?P<role>[A-Za-z][\w:+.-]*)\}`(?P<content>[^`\n]+)`")
_RST_ROLE = re.compile(r"(?<![\w`]):(?P<role>[A-Za-z][\w+.-]*(?::[A-Za-z][\w+.-]*)*):"
                       r"`(?P<content>[^`\n]+)`(?!_)")
_RST_LITERAL = re.compile(r"``(?P<code>[^`\n]+?)``")
_GH_REF = re.compile(r"(?<![\w/#-])(?:gh|GH)-(?P<number>\d+)\b")
_NUMBER = re.compile(r"^#?(?P<number>\d+)$")
_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$")


@dataclass
class Cleaned:
    text: str
    refs: list[int] = field(default_factory=list)  # numbers cited, in order
    users: list[str] = field(default_factory=list)


def _role_text(role: str, content: str, found: Cleaned) -> str:
    name = role.rsplit(":", 1)[-1].lower()
    target = _TARGET.match(content)
    shown = (target["text"] if target and target["text"] else content).strip()
    if name in _REF_ROLES:
        number = _NUMBER.match((target["target"] if target else content).strip())
        if number:
            found.refs.append(int(number["number"]))
            return f"#{number['number']}"
        return shown
    if name in _USER_ROLES:
        login = shown.lstrip("@")
        found.users.append(login)
        return f"@{login}"
    if name in _CODE_ROLES:
        # "~pkg.mod.Name" shows the last component, "!name" suppresses the link: Sphinx's rules
        code = shown.lstrip("!")
        if code.startswith("~"):
            code = code[1:].rsplit(".", 1)[-1]
        return f"`{code}`"
    return shown


def clean_markup(text: str) -> Cleaned:
    """``text`` with roles and ``gh-N`` turned into Markdown, and what they cited."""
    found = Cleaned(text)
    if "`" in text:
        text = _MYST_ROLE.sub(lambda m: _role_text(m["role"], m["content"], found), text)
        text = _RST_ROLE.sub(lambda m: _role_text(m["role"], m["content"], found), text)
        text = _RST_LITERAL.sub(lambda m: f"`{m['code']}`", text)

    def gh(match: re.Match[str]) -> str:
        found.refs.append(int(match["number"]))
        return f"#{match['number']}"

    found.text = _GH_REF.sub(gh, text)
    return found


# "[text][label]" (full), "[label][]" (collapsed), "[label]" (shortcut); not "[x](url)".
_REF_LINK = re.compile(r"(?<![\]\\!])\[(?P<text>[^\[\]\n]{1,200})\]"
                       r"(?:\[(?P<label>[^\[\]\n]{0,80})\]|(?![(:\[]))")


def resolve_reference_links(text: str, references: dict[str, dict[str, str]]) -> str:
    """``[#8266]`` with a ``[#8266]: url`` definition elsewhere in the body becomes an inline
    link, so later steps see the URL (markdown-it keeps definitions in ``env["references"]``,
    keyed by the normalized label)."""
    if not references or "[" not in text:
        return text

    def inline(match: re.Match[str]) -> str:
        text = match["text"]
        label = match["label"] or text
        ref = references.get(" ".join(label.split()).upper())
        return f"[{text}]({ref['href']})" if ref else match.group()

    return _REF_LINK.sub(inline, text)
