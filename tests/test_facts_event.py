"""The release event: GitHub's real payloads read into facts, and every way an event file can be
unusable reported on one line."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import WEBHOOKS

from pipeline.errors import InputError
from pipeline.facts import collect_facts, load_event, parse_event
from pipeline.structure import ChangeKind

PUBLISHED = WEBHOOKS / "release" / "published.payload.json"


@pytest.fixture
def published() -> dict:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def write(tmp_path: Path, content: bytes | str, name: str = "event.json") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_event(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- GitHub's payloads ----------------------------------------------------------------------

def test_published_release_from_github(published):
    facts = collect_facts(event=PUBLISHED)

    assert (facts.tag, facts.name, facts.title) == ("0.0.1", "", "0.0.1")
    assert facts.date == datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)
    assert facts.url == "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"
    assert facts.repository.full_name == "Codertocat/Hello-World"
    assert facts.repository.html_url == "https://github.com/Codertocat/Hello-World"
    assert facts.repository.description == ""  # null in the payload
    assert (facts.prerelease, facts.draft) == (False, False)
    assert facts.items == [] and facts.commits == [] and facts.previous_tag is None


def test_prereleased_event_is_flagged():
    facts = collect_facts(event=WEBHOOKS / "release" / "prereleased.payload.json")
    assert facts.prerelease is True


@pytest.mark.parametrize("name", ["created.with-installation.payload.json", "released.json",
                                  "edited.payload.json"])
def test_every_release_action_reads(name):
    assert load_event(WEBHOOKS / "release" / name)["release"]["tag_name"] == "0.0.1"


def test_a_draft_is_exposed_and_dated_by_its_creation(published):
    draft = copy.deepcopy(published)
    draft["release"].update(draft=True, published_at=None)

    facts = collect_facts(event=draft)

    assert facts.draft is True
    assert facts.date == datetime(2019, 5, 15, 15, 19, 25, tzinfo=UTC)


def test_event_body_gives_items_contributors_and_the_previous_tag(published):
    event = copy.deepcopy(published)
    event["release"].update(tag_name="v3.0.0", name="Tidewater 3.0", body=(
        Path(__file__).parent / "fixtures" / "release_bodies" / "github-generated.md"
    ).read_text(encoding="utf-8").replace("\n", "\r\n"))

    facts = collect_facts(event=event)

    assert facts.title == "Tidewater 3.0"
    assert [i.pr for i in facts.breaking] == [412]
    assert [i.pr for i in facts.features] == [398, 405]
    assert [i.pr for i in facts.fixes] == [401, 409]
    # Without a checkout, the Full Changelog link says which tag came before.
    assert facts.previous_tag == "v2.3.1"
    assert facts.full_changelog_url.endswith("/compare/v2.3.1...v3.0.0")
    # People credited in the notes, bots left out; first-timers from "New Contributors".
    assert [(c.login, c.first_time) for c in facts.contributors] == [
        ("hannah-k", False), ("li-wei-dev", True), ("mvelasco", True), ("oduya", False)]


def test_entries_with_only_a_pr_number_get_the_repository_pr_url(published):
    event = copy.deepcopy(published)
    event["release"]["body"] = "## Fixes\n- Tooltips stay on screen @sofia-m (#90)\n"

    item = collect_facts(event=event).items[0]

    assert (item.kind, item.pr, item.url) == (
        ChangeKind.FIX, 90, "https://github.com/Codertocat/Hello-World/pull/90")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + PUBLISHED.read_bytes())
    assert load_event(path)["release"]["tag_name"] == "0.0.1"


def test_webhook_bodies_are_parsed_from_bytes_too():
    assert parse_event(PUBLISHED.read_bytes())["action"] == "published"


# --- unusable event files -------------------------------------------------------------------

def test_missing_file(tmp_path):
    assert error_of(tmp_path / "nope.json") == f"event file not found: {tmp_path / 'nope.json'}"


def test_a_directory_instead_of_a_file(tmp_path):
    assert error_of(tmp_path) == f"event file is a directory: {tmp_path}"


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert error_of(path) == f"{path}: empty, expected a GitHub release event (JSON)"


def test_truncated_json_says_where_and_that_it_ends_early(tmp_path):
    text = PUBLISHED.read_text(encoding="utf-8")
    path = write(tmp_path, text[:700])

    message = error_of(path)

    # The cut falls inside the string that starts on line 18: `      "avatar_u`.
    assert message == (f"{path}: invalid JSON at line 18, column 7: Unterminated string "
                       f"(the file ends early: truncated?)")


def test_malformed_json_in_the_middle(tmp_path):
    path = write(tmp_path, '{\n  "action": "published",\n  "release": {"tag_name": "v1" "x"}\n}')
    assert error_of(path) == (
        f"{path}: invalid JSON at line 3, column 32: Expecting ',' delimiter")


def test_bytes_that_are_not_utf8(tmp_path):
    # Line 12 is `    "name": "Caf\xe9",`: a Latin-1 é where UTF-8 needs two bytes.
    raw = PUBLISHED.read_bytes().replace(b'"name": ""', b'"name": "Caf\xe9"', 1)
    path = write(tmp_path, raw)

    assert error_of(path) == (
        f"{path}: not UTF-8 (byte 0xe9 at line 12, column 17); GitHub sends UTF-8 JSON, so "
        f"the file was damaged or re-encoded")


@pytest.mark.parametrize(("payload", "said"), [
    (WEBHOOKS / "push" / "payload.json", "it looks like a push event"),
    (WEBHOOKS / "ping" / "payload.json", "it looks like a ping event"),
    (WEBHOOKS / "installation" / "created.payload.json", "it looks like an installation event"),
])
def test_other_github_events_are_named(tmp_path, payload, said):
    path = write(tmp_path, payload.read_bytes())
    assert error_of(path) == f"{path}: not a release event ({said})"


def test_json_that_is_not_an_object(tmp_path):
    path = write(tmp_path, "[1, 2]")
    assert error_of(path) == f"{path}: not a release event (JSON list, expected an object)"


def test_a_release_without_a_tag(tmp_path, published):
    del published["release"]["tag_name"]
    path = write(tmp_path, json.dumps(published))
    assert error_of(path) == f"{path}: the release has no tag_name"


def test_wrongly_typed_fields(tmp_path, published):
    published["release"]["body"] = ["not", "text"]
    path = write(tmp_path, json.dumps(published))
    assert error_of(path) == f"{path}: release.body is a list, not text"


def test_a_tag_argument_that_contradicts_the_event(published):
    with pytest.raises(InputError, match=r"^tag 'v9\.9\.9' was given, but the event is for "
                                         r"tag '0\.0\.1'$"):
        collect_facts(event=published, tag="v9.9.9")
