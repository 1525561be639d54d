"""Reading release bodies: the formats people publish, classified into change items.

Each body in tests/fixtures/release_bodies/ is written the way its tool (or person) writes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.facts import parse_notes
from pipeline.structure import ChangeKind

BODIES = Path(__file__).parent / "fixtures" / "release_bodies"

BREAKING, FEATURE, FIX, OTHER = (ChangeKind.BREAKING, ChangeKind.FEATURE, ChangeKind.FIX,
                                 ChangeKind.OTHER)
DEPRECATION, REMOVAL, SECURITY, DOCS = (ChangeKind.DEPRECATION, ChangeKind.REMOVAL,
                                        ChangeKind.SECURITY, ChangeKind.DOCS)


def body(name: str) -> str:
    return (BODIES / name).read_text(encoding="utf-8")


def summary(notes) -> list[tuple]:
    return [(i.kind, i.scope, i.text, i.author, i.pr) for i in notes.items]


def test_github_generated_notes():
    notes = parse_notes(body("github-generated.md"))

    assert summary(notes) == [
        (BREAKING, None, "Drop support for Python 3.8", "hannah-k", 412),
        (FEATURE, None, "Stream responses with `client.stream()`", "oduya", 398),
        (FEATURE, "retry", "jittered backoff for 429 and 503", "hannah-k", 405),
        (FIX, None, "Fix `Timeout` being ignored on redirects", "mvelasco", 401),
        (FIX, "auth", "refresh expired tokens only once under concurrency", "oduya", 409),
        (OTHER, None, "Bump pypa/gh-action-pypi-publish from 1.8.11 to 1.8.14", "dependabot",
         399),
        (OTHER, None, "explain connection pool limits", "li-wei-dev", 407),
        (OTHER, None, "Update the CONTRIBUTING guide", "li-wei-dev", 410),
    ]
    assert notes.items[0].url == "https://github.com/lumen-labs/tidewater/pull/412"
    assert notes.items[0].section == "🛠 Breaking Changes"
    assert notes.authors == ["hannah-k", "oduya", "mvelasco", "dependabot", "li-wei-dev"]
    assert notes.new_contributors == ["mvelasco", "li-wei-dev"]
    assert notes.full_changelog_url == (
        "https://github.com/lumen-labs/tidewater/compare/v2.3.1...v3.0.0")
    assert notes.compared_tags == ("v2.3.1", "v3.0.0")


def test_crlf_line_endings_read_the_same():
    text = body("github-generated.md")
    assert "\r" not in text

    crlf = parse_notes(text.replace("\n", "\r\n"))

    assert summary(crlf) == summary(parse_notes(text))
    assert crlf.new_contributors == ["mvelasco", "li-wei-dev"]
    assert crlf.full_changelog_url.endswith("/compare/v2.3.1...v3.0.0")


def test_keep_a_changelog_section():
    notes = parse_notes(body("keep-a-changelog.md"))

    assert [(i.section, i.kind, i.text) for i in notes.items] == [
        ("Added", FEATURE, "`--format json` for every command that prints a table."),
        ("Added", FEATURE,
         "A `slate doctor` command that checks the configuration and the cache directory in "
         "one go."),
        ("Added", FEATURE, "bash and zsh"),
        ("Added", FEATURE, "fish"),
        ("Changed", BREAKING,
         "the config file moved from `~/.slaterc` to `~/.config/slate/config.toml`."),
        ("Changed", OTHER, "Tables are wrapped to the terminal width."),
        ("Deprecated", DEPRECATION, "`slate export --csv`; use `--format csv`."),
        ("Removed", REMOVAL, "The `--legacy-output` flag, deprecated since 1.8."),
        ("Fixed", FIX, "Crash when the cache directory is a symlink."),
        ("Fixed", FIX, "`slate diff` no longer prints ANSI colors when piped."),
        ("Security", SECURITY, "Temporary files are created with mode 0600."),
    ]
    # A PR link and a bare "(#231)" before the final period are both recognised.
    assert (notes.items[0].pr, notes.items[0].url) == (
        220, "https://github.com/quarry-tools/slate/pull/220")
    assert notes.items[8].pr == 231
    # Nested bullets under a label ("Shell completions:") are items grouped by that label.
    assert [i.group for i in notes.items[2:4]] == ["Shell completions", "Shell completions"]


def test_release_please_output():
    notes = parse_notes(body("release-please.md"))

    assert summary(notes) == [
        (BREAKING, "api", "`Ledger.entries()` returns an iterator instead of a list", None, None),
        (BREAKING, None, "require Node.js 20 or later", None, None),
        (FEATURE, "api", "iterate ledger entries lazily", None, 318),
        (FEATURE, "cli", "add `--since` to the `report` command", None, 322),
        (FEATURE, None, "require Node.js 20 or later", None, 325),
        (FIX, "parser", "keep trailing zeros in amounts", None, 320),
        (FIX, None, "round half to even when converting currencies", None, None),
    ]
    # release-please links PRs through /issues/N; commit links are dropped from the text.
    assert notes.items[2].url == "https://github.com/hollow-pines/ledgerline/issues/318"
    assert notes.items[0].section == "⚠ BREAKING CHANGES"


def test_semantic_release_output():
    notes = parse_notes(body("semantic-release.md"))

    assert summary(notes) == [
        (FIX, "resolver", "follow symlinks only once", None, None),
        (FIX, None, "windows drive letters are matched case-insensitively", None, None),
        (FEATURE, "glob", "support `**` in the middle of a pattern", None, 150),
        (OTHER, None, "cache compiled patterns", None, None),
    ]
    # "closes #141" names an issue, not the change's pull request.
    assert notes.items[0].pr is None


def test_release_drafter_output():
    notes = parse_notes(body("release-drafter.md"))

    assert summary(notes) == [
        (FEATURE, None, "Dark mode for the dashboard", "sofia-m", 88),
        (FEATURE, None, "Export charts as SVG", "tkrause", 91),
        (FIX, None, "Tooltips no longer overflow the viewport on mobile", "sofia-m", 90),
        (OTHER, None, "Bump vite from 5.1.4 to 5.2.0", "dependabot", 89),
        (OTHER, None, "Move CI to Node 20", "tkrause", 92),
    ]
    assert notes.items[0].section == "🚀 Features"


def test_emoji_headings_and_conventional_prefixes():
    notes = parse_notes(body("emoji-headings.md"))

    assert summary(notes) == [
        (FEATURE, "editor", "multiple cursors", "rin-t", 501),
        (FEATURE, None, "Live preview of Markdown tables", None, 507),
        (FIX, None, "undo after paste restores the selection", None, 503),
        (BREAKING, None, "Plugins must declare `apiVersion: 2`", None, 510),
        # Under "Documentation" a leading "Fix" does not make a bug fix.
        (DOCS, None, "Fix typos in the plugin guide", None, 504),
    ]
    assert notes.items[1].emoji == "✨"  # shown by the post, never part of the spoken text
    assert notes.items[3].section == "💥"


def test_plain_bullets_with_every_bullet_character():
    notes = parse_notes(body("plain-bullets.md"))

    assert [(i.kind, i.text) for i in notes.items] == [
        (FIX, "Fixed the installer on macOS 14"),
        (FEATURE, "Added a `--quiet` flag to `sync`"),
        (OTHER, "The default timeout is now 30 s (was 10 s)"),
        (BREAKING, "`sync --all` is now `sync --everything`"),
        (OTHER, "Improved error messages when the server is unreachable"),
        (FEATURE, "Support for proxies set in `HTTPS_PROXY`"),
    ]
    assert all(i.section == "" for i in notes.items)


def test_html_liquid_cjk_and_rtl_are_kept_as_written():
    notes = parse_notes(body("hostile.md"))

    assert [(i.kind, i.text, i.author) for i in notes.items] == [
        (FEATURE, "支持中文界面", "zhang-wei"),
        (FEATURE, "إضافة دعم اللغة العربية", "nour-a"),
        (FEATURE, "Templates accept `{{ page.title }}` and {% raw %}`{% include %}`{% endraw %}",
         "liquid-fan"),
        (FEATURE, "<kbd>Ctrl</kbd>+<kbd>K</kbd> opens the command palette 🎉", "kbd-lover"),
        (FIX, "Escape `<script>` in titles; \"quotes\" & 'apostrophes' survive", "sec-team"),
    ]
    # HTML blocks (the logo, <details>, <script>) are not change items.
    assert not any("alert" in i.text or "logo" in i.text for i in notes.items)


def test_a_breaking_entry_under_a_feature_heading_stays_breaking():
    notes = parse_notes(
        "## New Features\n"
        "* feat(api)!: paginate every list endpoint by @ada in https://github.com/o/r/pull/3\n"
        "* feat(api): add `limit` by @ada in https://github.com/o/r/pull/4\n"
    )
    assert [(i.kind, i.scope, i.pr) for i in notes.items] == [
        (BREAKING, "api", 3), (FEATURE, "api", 4)]


def test_headings_nest_a_scope_under_a_kind():
    notes = parse_notes("## Bug Fixes\n\n### cli\n\n- exit code 2 on bad flags\n\n"
                        "### server\n\n- keep-alive on HTTP/1.0\n")
    assert [(i.kind, i.section, i.text) for i in notes.items] == [
        (FIX, "cli", "exit code 2 on bad flags"), (FIX, "server", "keep-alive on HTTP/1.0")]


def test_a_parent_bullet_naming_a_component_becomes_its_childrens_group():
    notes = parse_notes("## Features\n\n- Plugin API\n  - hooks for `build`\n"
                        "  - hooks for `serve`\n- Dark mode\n")
    assert [(i.kind, i.group, i.text) for i in notes.items] == [
        (FEATURE, "Plugin API", "hooks for `build`"), (FEATURE, "Plugin API", "hooks for `serve`"),
        (FEATURE, None, "Dark mode")]


def test_nested_details_of_a_real_entry_take_its_kind():
    notes = parse_notes("- Fix the importer on Windows.\n  - paths with spaces\n")
    assert [(i.kind, i.text) for i in notes.items] == [
        (FIX, "Fix the importer on Windows."), (FIX, "paths with spaces")]


def test_inline_markdown_is_kept_and_only_the_credit_tail_dropped():
    notes = parse_notes("* Speed up **large** exports with [zstd](https://facebook.github.io/zstd/)"
                        " by @grace in https://github.com/acme/widgets/pull/42\n")
    item = notes.items[0]
    assert item.text == "Speed up **large** exports with [zstd](https://facebook.github.io/zstd/)"
    assert (item.author, item.pr, item.url) == (
        "grace", 42, "https://github.com/acme/widgets/pull/42")


def test_contributor_sections_credit_people_without_making_items():
    notes = parse_notes("## Fixes\n- a fix by @ada in https://github.com/o/r/pull/1\n\n"
                        "## Contributors\nThanks to:\n* @grace\n* @linus and @ada\n\n"
                        "## New Contributors\n"
                        "* @newbie made their first contribution in https://github.com/o/r/pull/1\n")
    assert [i.text for i in notes.items] == ["a fix"]
    assert notes.thanked == ["grace", "linus", "ada"]
    assert notes.new_contributors == ["newbie"]


def test_thanks_written_as_a_paragraph():
    notes = parse_notes("## Fixes\n- a fix\n\n## Thanks\n\nThanks to @zoe and @sam-k for testing "
                        "the betas! Reach us at team@example.org.\n")
    assert notes.thanked == ["zoe", "sam-k"]


@pytest.mark.parametrize("text", ["", "   \n\n", "Just a paragraph, no list.",
                                  "<!-- only a comment -->", "# Title only"])
def test_bodies_without_entries(text):
    notes = parse_notes(text)
    assert notes.items == [] and notes.authors == [] and notes.full_changelog_url is None


def test_five_thousand_entries_are_all_read():
    text = "## What's Changed\r\n" + "".join(
        f"* feat(part{i % 7}): change number {i} by @dev{i % 40} in "
        f"https://github.com/o/r/pull/{i + 1}\r\n" for i in range(5000))

    notes = parse_notes(text)

    assert len(notes.items) == 5000
    assert notes.items[4999].pr == 5000 and notes.items[4999].scope == "part1"
    assert len(notes.authors) == 40


def test_only_the_end_of_a_huge_entry_is_searched_for_a_tail(monkeypatch):
    # 5,000 references that turn out not to be a tail: matching the whole entry was quadratic.
    # Speed lives in bench/; this checks the bound that keeps it linear: no tail pattern runs
    # on more than the window at the entry's end.
    from pipeline.facts import notes as module

    searched: list[int] = []
    real = module._tail

    def counting(text: str):
        searched.append(len(text))
        return real(text)

    monkeypatch.setattr(module, "_tail", counting)
    text = "* x " + "([#1](https://example.org)) " * 5000 + "end"
    notes = parse_notes(text)
    assert notes.items[0].text.endswith("end")
    assert len(searched) >= 2 and max(searched[1:]) <= module._TAIL_WINDOW < searched[0]


@pytest.mark.parametrize(("heading", "kind"), [
    ("### Stabilization", FEATURE), ("### Preview features", FEATURE),
    ("### Enhancements", FEATURE), ("### Upgrade notes", BREAKING),
    ("### Rule changes", None), ("### What's Changed", None), ("### Changed", OTHER),
    ("### 新特性", FEATURE), ("### 问题修复", FIX), ("### 破坏性变更", BREAKING),
    ("### 重大变更", BREAKING), ("### 新機能", FEATURE), ("### バグ修正", FIX),
    ("### 破壊的変更", BREAKING), ("### Performance", ChangeKind.PERFORMANCE),
    ("### Security", SECURITY), ("### Deprecations", DEPRECATION),
])
def test_section_names_beyond_the_english_defaults(heading, kind):
    # "Rearrange x" says nothing by itself: only the heading can decide.
    [item] = parse_notes(f"{heading}\n\n- Rearrange the widget tree\n").items
    assert item.kind == (kind or OTHER)


@pytest.mark.parametrize(("paragraph", "kind"), [
    ("BUG FIXES:", FIX), ("NEW FEATURES:", FEATURE), ("ENHANCEMENTS:", FEATURE),
    ("NOTES:", OTHER), ("UPGRADE NOTES:", BREAKING), ("**Bug fixes**", FIX),
])
def test_paragraphs_that_act_as_headings(paragraph, kind):
    [item] = parse_notes(f"{paragraph}\n\n* Rearrange the widget tree\n").items
    assert (item.kind, item.section) == (kind, paragraph.strip("*:"))


@pytest.mark.parametrize(("entry", "kind", "emoji"), [
    ("🐛 Rearrange x", FIX, "🐛"), (":bug: Rearrange x", FIX, "🐛"),
    ("✨ Rearrange x", FEATURE, "✨"), ("⚡️ Rearrange x", ChangeKind.PERFORMANCE, "⚡️"),
    ("🔒️ Rearrange x", SECURITY, "🔒️"), ("🗑️ Rearrange x", DEPRECATION, "🗑️"),
    ("🔥 Rearrange x", REMOVAL, "🔥"), ("📝 Rearrange x", DOCS, "📝"),
    ("💥 Rearrange x", BREAKING, "💥"), ("♻️ Rearrange x", OTHER, "♻️"),
    ("⬆️ Rearrange x", OTHER, "⬆️"), ("♿ Rearrange x", FEATURE, "♿"),
])
def test_gitmoji_at_the_start_decides_and_is_kept_apart_from_the_text(entry, kind, emoji):
    [item] = parse_notes(f"- {entry}\n").items
    assert (item.kind, item.emoji, item.text) == (kind, emoji, "Rearrange x")


@pytest.mark.parametrize(("entry", "text", "refs"), [
    ("Fix {func}`load` ({pr}`12`, {issue}`9`)", "Fix `load`", [12, 9]),
    ("Fix :py:meth:`~a.b.Client.close` :pr:`13`", "Fix `close`", [13]),
    ("Fix the :doc:`guide <user/guide>` links gh-14", "Fix the guide links", [14]),
    ("Fix ``render()`` (GH-15)", "Fix `render()`", [15]),
    ("Fix [the parser][p] ([#16])\n\n[p]: https://x.org/p\n[#16]: https://x.org/pull/16",
     "Fix [the parser](https://x.org/p)", [16]),
])
def test_roles_and_references_become_markdown_and_refs(entry, text, refs):
    [item] = parse_notes(f"- {entry}\n").items
    assert (item.text, item.refs, item.pr) == (text, refs, refs[0])


def test_headings_in_the_other_languages_the_templates_speak_decide_kinds():
    """Spanish, German, French and Portuguese notes get the same kinds as English ones."""
    spanish = parse_notes((Path(__file__).parent / "fixtures/voice/es.md").read_text())
    kinds = {item.text: item.kind for item in spanish.items}
    assert kinds["Las rutas con acentos ya funcionan en Windows"] == ChangeKind.FIX
    assert sum(k == ChangeKind.FEATURE for k in kinds.values()) == 2
    german = parse_notes("## Neue Funktionen\n\n- Export\n\n## Fehlerbehebungen\n\n- Absturz\n")
    french = parse_notes("### Nouveautés\n\n- Export\n\n### Corrections\n\n- Plantage\n")
    portuguese = parse_notes("## Melhorias\n\n- Export\n\n## Correções\n\n- Falha\n")
    for notes in (german, french, portuguese):
        assert [i.kind for i in notes.items] == [ChangeKind.FEATURE, ChangeKind.FIX]
