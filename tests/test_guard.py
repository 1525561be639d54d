"""The grounding guard: what an AI may and may not state about a release."""

from __future__ import annotations

import pytest
from ai_samples import sample_facts

from pipeline.config import Config
from pipeline.story import template
from pipeline.story.guard import find_violations


@pytest.fixture(scope="module")
def facts():
    return sample_facts()


def test_the_template_writers_own_story_is_grounded(facts):
    story = template.write(facts, Config())
    texts = [story.title, story.summary, *story.highlights]
    texts += [line for slide in story.slides for line in slide.lines + slide.narration]
    assert find_violations(texts, facts) == []


@pytest.mark.parametrize("text", [
    "Rocket v1.5.0 follows v1.4.0 and supports Python 3.12.",
    "Rocket 1.5 is out.",  # 1.5 == 1.5.0
    "Dry runs landed in #41 and PR 44; see https://github.com/acme/rocket/pull/45.",
    "Thanks @alice, @Bob and @carol!",
    "2 new features, 1 fix, 1 breaking change, 7 commits, 3 contributors, 23 files.",
    "418 lines added and 97 lines removed; 1 first-time contributor.",
    "Published in May 2024.",
    "Uploads retry on 503.",  # a number the notes use
    "Write to dev@example.com.",  # an e-mail address is not a mention
    "Full changelog: https://github.com/acme/rocket/compare/v1.4.0...v1.5.0.",
])
def test_grounded_statements_pass(facts, text):
    assert find_violations([text], facts) == []


@pytest.mark.parametrize(("text", "problem"), [
    ("Rocket v2.0.0 is here.", "the version v2.0.0 is not in the release"),
    ("Now on Python 3.13.", "the version 3.13 is not in the release"),
    ("Fixed in #999.", "#999 is not a pull request or issue of this release"),
    ("See pull request 12.", "#12 is not a pull request or issue of this release"),
    ("See https://github.com/acme/rocket/pull/12",
     "the URL https://github.com/acme/rocket/pull/12 is not in the release"),
    ("Thanks @mallory.", "@mallory is not a contributor to or mentioned in this release"),
    ("Deploys are 40 percent faster.", "the number 40 does not match any figure of the release"),
    ("Over 1,200 tests pass.", "the number 1,200 does not match any figure of the release"),
    ("3 new features", "'3 new features' is wrong: the number of features is 2"),
    ("three bug fixes", "'three bug fixes' is wrong: the number of fixes is 1"),
    ("Welcome to our 2 first-time contributors",
     "'2 first-time contributors' is wrong: the number of first-time contributors is 1"),
    ("Eleven people helped.", "'Eleven' (11) does not match any figure of the release"),
])
def test_invented_statements_are_named(facts, text, problem):
    assert problem in find_violations([text], facts)


def test_violations_are_listed_once_in_order(facts):
    found = find_violations(["#999 and @mallory", "#999 again"], facts)
    assert found == ["#999 is not a pull request or issue of this release",
                     "@mallory is not a contributor to or mentioned in this release"]
