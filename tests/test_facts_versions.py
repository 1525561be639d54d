"""Which tag came before this release: semantic-version order, not name or creation order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.facts import DatedTag, previous_tag, tag_version


def tags(*names: str) -> list[DatedTag]:
    """Tags created one day apart, in the order given."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [DatedTag(name, start + timedelta(days=i)) for i, name in enumerate(names)]


@pytest.mark.parametrize(("tag", "prefix", "version"), [
    ("v1.2.3", "", "1.2.3"),
    ("1.2.3", "", "1.2.3"),
    ("V2.0.0-rc.1", "", "2.0.0-rc.1"),
    ("v1.2", "", "1.2.0"),
    ("v3", "", "3.0.0"),
    ("widgets-v1.4.0", "widgets-", "1.4.0"),
    ("pkg@2.0.0+build.5", "pkg@", "2.0.0+build.5"),
    ("release/1.0.0", "release/", "1.0.0"),
])
def test_version_tags(tag, prefix, version):
    parsed = tag_version(tag)
    assert parsed is not None
    assert (parsed.prefix, str(parsed.version)) == (prefix, version)


@pytest.mark.parametrize("tag", ["nightly", "build2024", "v1.02.0", "2024-05-01", "latest"])
def test_not_version_tags(tag):
    assert tag_version(tag) is None


def test_ten_comes_after_nine():
    history = tags("v1.9.0", "v1.10.0", "v2.0.0")
    assert previous_tag("v2.0.0", history) == "v1.10.0"
    assert previous_tag("v1.10.0", history) == "v1.9.0"


def test_a_late_patch_of_an_old_line_does_not_confuse_the_new_line():
    # v1.9.1 was tagged after v1.10.0, on a maintenance branch.
    history = tags("v1.9.0", "v1.10.0", "v1.9.1", "v1.11.0")
    assert previous_tag("v1.11.0", history) == "v1.10.0"
    assert previous_tag("v1.10.0", history) == "v1.9.1"
    assert previous_tag("v1.9.1", history) == "v1.9.0"


def test_a_stable_release_skips_its_release_candidates():
    history = tags("v1.1.0", "v1.2.0-beta.1", "v1.2.0-rc.1", "v1.2.0-rc.2", "v1.2.0")
    assert previous_tag("v1.2.0", history) == "v1.1.0"


def test_a_release_candidate_follows_the_one_before_it():
    history = tags("v1.1.0", "v1.2.0-alpha", "v1.2.0-rc.9", "v1.2.0-rc.10")
    assert previous_tag("v1.2.0-rc.10", history) == "v1.2.0-rc.9"
    assert previous_tag("v1.2.0-rc.9", history) == "v1.2.0-alpha"
    assert previous_tag("v1.2.0-alpha", history) == "v1.1.0"


def test_with_and_without_v_prefix_mixed():
    history = tags("0.9.0", "1.0.0", "v1.1.0", "v1.2.0")
    assert previous_tag("v1.1.0", history) == "1.0.0"
    assert previous_tag("1.0.0", history) == "0.9.0"
    assert previous_tag("v1.2.0", history) == "v1.1.0"


def test_monorepo_families_do_not_mix():
    history = tags("widgets-v1.0.0", "gadgets-v2.0.0", "widgets-v1.1.0", "gadgets-v2.1.0")
    assert previous_tag("widgets-v1.1.0", history) == "widgets-v1.0.0"
    assert previous_tag("gadgets-v2.1.0", history) == "gadgets-v2.0.0"
    assert previous_tag("gadgets-v2.0.0", history) is None


def test_the_first_release_has_no_previous_tag():
    assert previous_tag("v1.0.0", tags("v1.0.0")) is None
    assert previous_tag("v1.0.0", tags("v1.0.0", "v1.1.0")) is None


def test_tags_that_are_not_versions_fall_back_to_date_order():
    history = tags("spring-release", "summer-release", "autumn-release")
    assert previous_tag("autumn-release", history) == "summer-release"
    assert previous_tag("spring-release", history) is None
