"""The release body's releasecast line: added once, replaced in place, the author's text kept
byte for byte, and invisible to the release notes the post is written from."""

from __future__ import annotations

from pipeline.release_link import END, START, notes_event, with_links, without_links

AUTHOR = "## What's new\r\n\r\n* feat: a thing (#12)\r\n\r\nThanks @ada!  \r\n"


def test_the_line_is_appended_once_and_replaced_in_place() -> None:
    first = with_links(AUTHOR, "https://blog.example/p.html", "https://blog.example/reel.mp4")
    assert first.startswith(AUTHOR.rstrip())
    assert first.count(START) == 1 and first.count(END) == 1
    assert "[read it](https://blog.example/p.html)" in first
    assert "[watch the video](https://blog.example/reel.mp4)" in first
    assert with_links(first, "https://blog.example/p.html",
                      "https://blog.example/reel.mp4") == first

    moved = with_links(first, "https://blog.example/q.html")
    assert moved.count(START) == 1
    assert "q.html" in moved and "p.html" not in moved and "watch the video" not in moved
    assert moved.startswith(AUTHOR.rstrip())


def test_text_the_author_added_after_the_line_stays_where_it_is() -> None:
    body = with_links("Intro.", "https://b/p") + "\n\nA later note.\n"
    again = with_links(body, "https://b/p2")
    assert again == body.replace("https://b/p)", "https://b/p2)")


def test_a_copied_second_block_is_removed() -> None:
    one = with_links("Notes.", "https://b/p")
    doubled = one + "\n\nmore\n\n" + one.split("Notes.\n\n")[1]
    fixed = with_links(doubled, "https://b/p")
    assert fixed.count(START) == 1 and fixed == one + "\n\nmore"


def test_an_empty_body_gets_just_the_block_and_the_notes_never_see_it() -> None:
    assert with_links(None, "https://b/p").startswith(START)
    linked = with_links(AUTHOR, "https://b/p", "https://b/v")
    assert without_links(linked) == AUTHOR.rstrip()
    assert without_links(None) == "" and without_links(AUTHOR) == AUTHOR


def test_the_event_the_facts_read_has_no_link_line_and_the_payload_is_left_alone() -> None:
    event = {"action": "published", "release": {"id": 7, "body": with_links(AUTHOR, "https://b/p")}}
    notes = notes_event(event)
    assert notes["release"] == {"id": 7, "body": AUTHOR.rstrip()}
    assert START in event["release"]["body"]  # a copy: the shell's payload is not changed
    assert notes_event({"action": "published"})["release"] == {"body": ""}
    # Before and after the line was added, the same notes (the author's final newline).
    assert notes_event({"release": {"body": AUTHOR}})["release"]["body"] == notes["release"]["body"]
