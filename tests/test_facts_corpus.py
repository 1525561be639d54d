"""Real release notes from seven projects (../shared/fixtures/release-notes/, each in its own
style) and three bodies in the styles the facts stage used to get wrong (gitmoji in Chinese,
Sphinx/MyST and reST roles, plain sentences): per-kind counts and particular items, as
determined by reading each file, and no role syntax in anything published from them (post,
slides, narration, YouTube description)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.facts import collect_facts, parse_notes
from pipeline.site.post import render_post
from pipeline.story import write_story
from pipeline.structure import ChangeKind, ReleaseFacts

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "release-notes"
BODIES = Path(__file__).parent / "fixtures" / "release_bodies"
K = ChangeKind
# A role as written, as the post's escaping would show it (&#123;pr&#125;), or a gh-N left over.
# Slides and speech drop the backticks: "{class}Path", ":pr:3652" must not be there either.
ROLE_SYNTAX = re.compile(r"\{[a-z][\w:+.-]*\}(?=[`\w~])|&#123;[a-z][\w:+.-]*&#125;|"
                         r"(?<![\w`/]):(?:pr|issue|class|func|meth|mod|attr|ref|doc|user):"
                         r"|\bgh-\d+|``")

# What reading each file gives. Items listed twice under two headings (pydantic's #13573)
# count once; vue's "BREAKING CHANGES" prose is one breaking change, named by its heading.
EXPECTED: dict[str, dict[str, object]] = {
    "fastapi-0.141.1.md": {"kinds": {K.FIX: 1, K.DOCS: 1}, "prs": 2},
    "fastapi-0.140.10.md": {"kinds": {K.FIX: 1, K.OTHER: 3}, "prs": 4},
    "vite-8.2.2.md": {"kinds": {K.FEATURE: 1, K.FIX: 13, K.DOCS: 1, K.OTHER: 8}, "prs": 23},
    "vue-core-3.6.0-rc.2.md": {"kinds": {K.BREAKING: 1, K.FEATURE: 1, K.FIX: 13}, "prs": 14},
    "tokio-1.53.0.md": {"kinds": {K.FEATURE: 3, K.FIX: 7, K.DOCS: 10, K.OTHER: 14},
                        "prs": 33},
    "pydantic-2.14.0b1.md": {"kinds": {K.FEATURE: 4, K.FIX: 23, K.PERFORMANCE: 5, K.OTHER: 4},
                             "prs": 36},
    "terraform-1.15.0.md": {"kinds": {K.FEATURE: 17, K.FIX: 16, K.BREAKING: 1, K.OTHER: 1},
                            "prs": 35},
    "gitmoji-zh.md": {"kinds": {K.FEATURE: 5, K.FIX: 2, K.PERFORMANCE: 1, K.DOCS: 1,
                                K.DEPRECATION: 1, K.REMOVAL: 1, K.OTHER: 1}, "prs": 12},
    "myst-roles.md": {"kinds": {K.FEATURE: 2, K.FIX: 4, K.DEPRECATION: 1}, "prs": 8},
    "plain-words.md": {"kinds": {K.FIX: 3, K.DEPRECATION: 1, K.REMOVAL: 2, K.FEATURE: 2,
                                 K.PERFORMANCE: 1, K.DOCS: 1, K.SECURITY: 1, K.OTHER: 1},
                       "prs": 0},
}


def text_of(name: str) -> str:
    folder = BODIES if (BODIES / name).exists() else CORPUS
    return (folder / name).read_text(encoding="utf-8")


def items_by_pr(name: str) -> dict[int, object]:
    return {i.pr: i for i in parse_notes(text_of(name)).items if i.pr}


def test_the_corpus_is_all_covered():
    index = json.loads((CORPUS / "index.json").read_text())
    assert {entry["file"] for entry in index} <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_per_kind_counts(name):
    notes = parse_notes(text_of(name))
    assert Counter(i.kind for i in notes.items) == EXPECTED[name]["kinds"]
    assert len({n for i in notes.items for n in i.refs}) == EXPECTED[name]["prs"]


def test_fastapi_gitmoji_is_a_glyph_and_the_pr_tail_is_read():
    item = items_by_pr("fastapi-0.141.1.md")[16105]
    assert (item.kind, item.emoji, item.author, item.section) == (K.FIX, "🐛", "tiangolo",
                                                                  "Fixes")
    assert item.text == ("Fix support for background tasks and headers from dependencies in "
                         "`app.frontend()`.")
    assert item.url == "https://github.com/fastapi/fastapi/pull/16105"
    # Under "Internal" the heading decides: a 🐛 on CI plumbing is not a bug fix for users.
    internal = items_by_pr("fastapi-0.140.10.md")
    assert (internal[16092].kind, internal[16092].emoji) == (K.OTHER, "🐛")
    assert internal[14874].author == "YuriiMotov"


def test_vite_scopes_sections_and_issue_links():
    items = items_by_pr("vite-8.2.2.md")
    assert (items[23302].kind, items[23302].scope) == (K.FEATURE, "deps")
    assert (items[23291].kind, items[23291].scope, items[23291].text) == (
        K.FIX, "bundled-dev", "handle lazy request error")
    assert (items[23200].kind, items[23200].scope) == (K.DOCS, "build")
    assert items[23258].kind == K.OTHER and items[23258].section == "Code Refactoring"
    assert items[23009].url == "https://github.com/vitejs/vite/issues/23009"


def test_vue_breaking_prose_becomes_one_breaking_change():
    notes = parse_notes(text_of("vue-core-3.6.0-rc.2.md"))
    [breaking] = [i for i in notes.items if i.kind == K.BREAKING]
    assert (breaking.text, breaking.section, breaking.group) == (
        "Vapor event delegation is now opt-in", "BREAKING CHANGES", None)
    assert items_by_pr("vue-core-3.6.0-rc.2.md")[15141].scope == "runtime-core,runtime-vapor"


def test_tokio_reference_links_scoped_bullets_and_unstable_group():
    items = items_by_pr("tokio-1.53.0.md")
    assert (items[8266].kind, items[8266].scope, items[8266].url) == (
        K.FEATURE, "fs", "https://github.com/tokio-rs/tokio/pull/8266")
    assert (items[8169].kind, items[8169].scope) == (K.FIX, "time (alt timer)")
    assert (items[8080].group, items[8080].scope) == ("IO uring (unstable)", "fs")
    assert items[8242].kind == K.OTHER  # Keep a Changelog's "Changed" decides
    assert items[8214].kind == K.DOCS  # "fix reversed poll order in timeout doc", Documented


def test_pydantic_generated_notes_sub_headings_and_new_contributors():
    notes = parse_notes(text_of("pydantic-2.14.0b1.md"))
    items = {i.pr: i for i in notes.items}
    assert (items[13484].kind, items[13484].author, items[13484].section) == (
        K.FEATURE, "Viicos", "New Features")
    assert items[13540].kind == K.PERFORMANCE and items[13540].author == "dmontagu"
    assert items[13573].section == "Changes"  # listed twice, kept once where first seen
    assert items[13193].kind == K.OTHER and items[13193].section == "Packaging"
    assert notes.new_contributors == ["jiyujie2006", "pctablet505", "LuShadowX", "mberdyshev"]


def test_terraform_upper_case_paragraphs_are_headings():
    items = items_by_pr("terraform-1.15.0.md")
    assert (items[32719].kind, items[32719].section) == (K.FEATURE, "NEW FEATURES")
    assert (items[37976].kind, items[37976].scope) == (K.FEATURE, "backend/s3")
    assert items[36411].kind == K.FEATURE and items[36411].section == "ENHANCEMENTS"
    assert (items[37834].kind, items[37834].scope) == (K.FIX, "cli")
    assert (items[38227].kind, items[38227].section) == (K.OTHER, "NOTES")
    assert (items[37601].kind, items[37601].section) == (K.BREAKING, "UPGRADE NOTES")


def test_chinese_gitmoji_changelog_with_nested_groups():
    items = items_by_pr("gitmoji-zh.md")
    assert (items[1203].kind, items[1203].emoji, items[1203].author) == (K.FIX, "🐞", "chen-m")
    assert items[1203].text.startswith("修复 `Select`")
    assert [(items[n].kind, items[n].group) for n in (1207, 1210)] == [
        (K.FIX, "Form"), (K.FEATURE, "Form")]
    assert not any(i.text == "Form" for i in items.values())  # the group is not an item
    assert (items[1215].kind, items[1218].kind, items[1219].kind) == (
        K.FEATURE, K.DEPRECATION, K.REMOVAL)


def test_roles_become_references_and_code():
    items = items_by_pr("myst-roles.md")
    assert (items[3637].text, items[3637].refs) == (
        "Add `Path` support to `edit`; paths may now be relative.", [3637, 2672])
    assert items[3650].text == "Fix `load` reading files twice on Windows."
    assert (items[3652].kind, items[3652].text) == (
        K.FIX, "The `app.cli` parser no longer swallows `--help`")
    assert items[3655].text == "Regression introduced in 0.8.1 where `Settings` lost defaults"
    assert (items[3660].author, items[3660].text) == (
        "marta-s", "Thanks to @marta-s for the fix to `render()`")
    assert items[3662].kind == K.DEPRECATION


def facts_for_body(body: str) -> ReleaseFacts:
    event = {"release": {"tag_name": "v1.0.0", "name": "", "body": body,
                         "html_url": "https://github.com/o/r/releases/tag/v1.0.0",
                         "published_at": "2024-05-01T12:00:00Z"},
             "repository": {"full_name": "o/r", "html_url": "https://github.com/o/r"}}
    return collect_facts(event=event)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_role_syntax_or_empty_section_in_what_is_published(name):
    from pipeline.youtube.metadata import render_metadata

    facts = facts_for_body(text_of(name))
    config = Config()
    story = write_story(facts, config)
    post = render_post(facts, story, config, images={"cover": None, "social_card": None,
                                                     "slides": []}, video=None)
    youtube = render_metadata(facts, story, post_url=None, short=True)
    spoken = [line for slide in story.slides for line in slide.narration]
    shown = [line for slide in story.slides for line in slide.lines]
    for text in [post, youtube.description, *spoken, *shown, story.summary]:
        assert not ROLE_SYNTAX.search(text), text
    # Every heading has something under it; release-only facts publish no counts.
    assert not re.search(r"^## [^\n]*\n+(?=## |\Z)", post, re.M)
    assert "By the numbers" not in post and " 1 commits" not in post
    for line in spoken:
        assert not re.search(r"[\U0001F300-\U0001FAFF]", line), line  # emoji never spoken
