"""Reading the GitHub ``release`` event: the file an Action finds at ``$GITHUB_EVENT_PATH``, or
the body of a webhook delivery.

GitHub sends JSON in UTF-8, so a file that is not valid UTF-8 has been damaged or re-encoded on
the way; we refuse it with the position of the first bad byte rather than guess at the text (a
replaced character in a release title would end up published). A UTF-8 byte order mark is
accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..structure import Repository


def load_event(path: Path | str) -> dict[str, Any]:
    """The parsed and checked release event at ``path``; one-line InputError when unusable."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"event file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"event file is a directory: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read event file {path}: {exc.strerror or exc}") from None
    return parse_event(raw, source=str(path))


def parse_event(raw: bytes | str, *, source: str = "event") -> dict[str, Any]:
    """Decode, parse and check an event given as bytes or text (a webhook delivery's body)."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, column = _position(raw, exc.start)
            raise InputError(
                f"{source}: not UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}, column "
                f"{column}); GitHub sends UTF-8 JSON, so the file was damaged or re-encoded"
            ) from None
    else:
        text = raw
    if not text.strip():
        raise InputError(f"{source}: empty, expected a GitHub release event (JSON)")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        # An event is one object: text that stops before its closing brace was cut short.
        truncated = not text.rstrip().endswith("}") or not text[exc.pos:].strip()
        hint = " (the file ends early: truncated?)" if truncated else ""
        what = exc.msg.removesuffix(" starting at")  # "Unterminated string starting at"
        raise InputError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {what}{hint}"
        ) from None
    check_release_event(payload, source=source)
    return payload


def check_release_event(payload: Any, *, source: str = "event") -> None:
    """Raise InputError unless ``payload`` has the parts of a release event we read."""
    if not isinstance(payload, dict):
        raise InputError(
            f"{source}: not a release event (JSON {type(payload).__name__}, expected an object)"
        )
    release = payload.get("release")
    if not isinstance(release, dict):
        raise InputError(f"{source}: not a release event ({_describe(payload)})")
    tag = release.get("tag_name")
    if not isinstance(tag, str) or not tag.strip():
        raise InputError(f"{source}: the release has no tag_name")
    repository = payload.get("repository")
    if not isinstance(repository, dict) or not isinstance(repository.get("full_name"), str):
        raise InputError(f"{source}: the release event has no repository.full_name")
    for key in ("name", "body", "html_url", "published_at", "created_at"):
        value = release.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{source}: release.{key} is a {type(value).__name__}, not text")
    for key in ("draft", "prerelease"):
        if not isinstance(release.get(key, False), bool):
            raise InputError(f"{source}: release.{key} is not true/false")


@dataclass(frozen=True)
class EventRelease:
    """The release as the event describes it."""

    action: str | None
    tag: str
    name: str
    body: str
    url: str
    date: datetime | None  # published_at, else created_at (a draft has not been published)
    draft: bool
    prerelease: bool
    repository: Repository


def release_of(payload: dict[str, Any]) -> EventRelease:
    """The release fields of a checked event (see :func:`check_release_event`)."""
    release = payload["release"]
    repo = payload["repository"]
    stamp = release.get("published_at") or release.get("created_at")
    try:
        date = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        raise InputError(f"event: release date is not an ISO 8601 timestamp: {stamp!r}") from None
    full_name = repo["full_name"]
    return EventRelease(
        action=payload.get("action"),
        tag=release["tag_name"],
        name=release.get("name") or "",
        body=release.get("body") or "",
        url=release.get("html_url") or "",
        date=date,
        draft=bool(release.get("draft", False)),
        prerelease=bool(release.get("prerelease", False)),
        repository=Repository(
            full_name=full_name,
            description=repo.get("description") or "",
            html_url=repo.get("html_url") or f"https://github.com/{full_name}",
            private=bool(repo.get("private", False)),
        ),
    )


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _describe(payload: dict[str, Any]) -> str:
    """Name the event a payload probably is, so a wrong trigger is easy to spot."""
    if "zen" in payload and "hook_id" in payload:
        guess = "a ping event"
    elif "ref" in payload and "commits" in payload:
        guess = "a push event"
    elif "pull_request" in payload:
        guess = "a pull_request event"
    elif "installation" in payload and "repositories" in payload:
        guess = "an installation event"
    elif "inputs" in payload and "workflow" in payload:
        guess = "a workflow_dispatch event"
    else:
        keys = ", ".join(sorted(payload)[:6]) or "none"
        guess = f"no 'release' object; top-level keys: {keys}"
    return guess if guess.startswith("no ") else f"it looks like {guess}"
