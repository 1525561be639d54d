"""The video's metadata from the template, kept within YouTube's documented limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import sample_facts

from pipeline.config import Config
from pipeline.errors import InputError
from pipeline.story import write_story
from pipeline.structure import Story
from pipeline.youtube.metadata import (
    is_short,
    release_marker,
    render_metadata,
)

POST = "https://blog.example.com/2024/05/14/widgets-v1-2-0.html"


def _render(story: Story | None = None, **kwargs):
    facts = kwargs.pop("facts", sample_facts())
    story = story or write_story(facts, Config())
    kwargs.setdefault("post_url", POST)
    kwargs.setdefault("short", True)
    return render_metadata(facts, story, **kwargs)


def test_default_metadata_links_release_and_post() -> None:
    meta = _render()
    facts = sample_facts()
    assert meta.title == "widgets v1.2.0: Faster exports #Shorts"
    assert f"Release notes: {facts.url}" in meta.description
    assert f"Read the announcement: {POST}" in meta.description
    assert "#Shorts" in meta.description and "#widgets" in meta.description
    # Markdown from the release notes is plain text in a description
    assert "**" not in meta.description and "`" not in meta.description
    assert meta.tags[0] == release_marker(facts)
    resource = meta.resource()
    assert resource["snippet"]["categoryId"] == "28"
    assert resource["status"] == {"privacyStatus": "private", "selfDeclaredMadeForKids": False,
                                  "embeddable": True, "license": "youtube"}


def test_hostile_and_huge_text_stays_within_youtube_limits() -> None:
    facts = sample_facts(name="<script>" + "Enormous release name " * 10)
    story = write_story(facts, Config())
    story.summary = "Uses <angle> brackets & ünïcödé " * 400
    story.highlights = [f"Highlight {i} with [a link](https://x.example/{i})" for i in range(50)]
    story.tags = [f"tag number {i}" for i in range(100)] + ["a,b", '"quoted"', "<x>"]
    meta = render_metadata(facts, story, post_url=None, short=True)

    assert len(meta.title) <= 100 and "<" not in meta.title and ">" not in meta.title
    assert meta.title.endswith("…")
    assert len(meta.description.encode()) <= 5000
    assert "<" not in meta.description and ">" not in meta.description
    assert "Read the announcement" not in meta.description  # no post URL known
    cost = sum(len(t) + (2 if " " in t else 0) for t in meta.tags) + len(meta.tags) - 1
    assert cost <= 500
    assert all("," not in t and '"' not in t and "<" not in t for t in meta.tags)
    assert meta.tags[0] == release_marker(facts)


def test_schedule_forces_private_with_utc_publish_at() -> None:
    from datetime import timedelta, timezone

    when = datetime(2030, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    status = _render(privacy="public", publish_at=when).resource()["status"]
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == "2030-01-02T08:00:00Z"
    assert datetime.fromisoformat(status["publishAt"]) == when.astimezone(UTC)


def test_shorts_are_vertical_and_at_most_a_minute() -> None:
    assert is_short(59.5, 1080, 1920)
    assert is_short(60.0, 1080, 1080)
    assert not is_short(61.0, 1080, 1920)
    assert not is_short(30.0, 1920, 1080)
    long_video = _render(short=False)
    assert "#Shorts" not in long_video.title and "#Shorts" not in long_video.description


def test_marker_names_the_release_not_the_run() -> None:
    assert release_marker(sample_facts()) == release_marker(sample_facts())
    assert release_marker(sample_facts()) != release_marker(sample_facts(tag="v1.2.1"))
    assert release_marker(sample_facts()).startswith("releasecast-")


def test_user_template_overrides_title_and_description(tmp_path: Path) -> None:
    (tmp_path / "youtube_description.txt.j2").write_text(
        "{% set title %}New in {{ facts.tag }}{% endset %}"
        "Custom text for {{ facts.repository.full_name }}: {{ release_url }}\n",
        encoding="utf-8")
    meta = _render(templates=tmp_path)
    assert meta.title == "New in v1.2.0 #Shorts"
    assert meta.description.startswith("Custom text for acme/widgets: https://github.com/")
    assert meta.description.endswith("#Shorts")  # a Short is marked even if a template forgets

    (tmp_path / "youtube_description.txt.j2").write_text("{{ no_such_variable }}\n")
    with pytest.raises(InputError, match=r"youtube_description\.txt\.j2.*no_such_variable"):
        _render(templates=tmp_path)
