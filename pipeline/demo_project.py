"""A realistic sample project to run releasecast on without a real repository.

:func:`create_demo_project` builds "Acme Widgets" (``acme/widgets``), a small Python library
with four releases (``v1.0.0``, ``v1.1.0``, ``v1.2.0-rc.1``, ``v1.2.0``), 31 commits by five
people and dependabot, pull requests merged both with merge commits and squashed, and the
``release: published`` event GitHub would send for ``v1.2.0``. The history is data in
``pipeline/fixtures/demo/history.toml``; everything about it is fixed, so every build yields
the same commit ids.

The repository is written by one ``git fast-import`` run: it takes the exact authors, committers
and dates we give, needs no git identity configured on the machine, and is far faster than
one ``git commit`` process per commit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError, ToolError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "demo"
REPO_DIR = "widgets"
EVENT_FILE = "release-event.json"
ORIGIN = "https://github.com/acme/widgets.git"


@dataclass(frozen=True)
class DemoProject:
    repo: Path  # the git checkout, origin github.com/acme/widgets
    tag: str  # the release the event announces
    event: Path  # release event JSON, as in $GITHUB_EVENT_PATH


def create_demo_project(dest: Path) -> DemoProject:
    """Build the demo project in ``dest`` (absent or empty): ``dest/widgets`` and
    ``dest/release-event.json``. Built beside ``dest`` and moved into place when complete."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"demo project destination exists and is not empty: {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    history = tomllib.loads((FIXTURES / "history.toml").read_text(encoding="utf-8"))
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        repo = staging / REPO_DIR
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        stream, release_tag = _fast_import_stream(history)
        _git(repo, "fast-import", "--quiet", "--date-format=raw", "--done", input=stream)
        _git(repo, "remote", "add", "origin", ORIGIN)
        _git(repo, "reset", "-q", "--hard", "main")
        _write_event(staging / EVENT_FILE, release_tag)
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return DemoProject(repo=dest / REPO_DIR, tag=release_tag, event=dest / EVENT_FILE)


def _git(repo: Path, *args: str, input: bytes | None = None) -> None:
    # No system or global config: the demo must come out the same for everyone (no hooks,
    # no autocrlf, no default-branch or signing settings leaking in).
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    cmd = ["git", "-c", "user.name=releasecast demo", "-c", "user.email=demo@releasecast.invalid",
           "-c", "core.autocrlf=false", "-C", str(repo), *args]
    try:
        proc = subprocess.run(cmd, input=input, capture_output=True, env=env, check=False,
                              timeout=60)
    except FileNotFoundError:
        raise ToolError("git not found: the demo project is built with git") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
        raise ToolError(f"git {args[0]} failed building the demo project: {' | '.join(tail)}")


class _Stream:
    """A ``git fast-import`` input stream (see git-fast-import(1))."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def line(self, text: str) -> None:
        self.parts.append(text.encode() + b"\n")

    def data(self, payload: str) -> None:
        raw = payload.encode()
        self.parts.append(b"data %d\n" % len(raw) + raw + b"\n")

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _fast_import_stream(history: dict[str, Any]) -> tuple[bytes, str]:
    people = history["people"]
    out = _Stream()
    marks = 0
    # Per branch: its head commit's mark and the files at that commit.
    heads: dict[str, tuple[int | None, dict[str, str]]] = {"main": (None, {})}
    forks: dict[str, dict[str, str]] = {}  # files where each PR branch started
    last_tag = ""

    for step in history["step"]:
        kind = step["kind"]
        if kind == "tag":
            mark = heads["main"][0]
            last_tag = step["name"]
            if "message" in step:
                out.line(f"tag {step['name']}")
                out.line(f"from :{mark}")
                out.line(f"tagger {_signature(people[step['author']], step['date'])}")
                out.data(step["message"])
            else:
                out.line(f"reset refs/tags/{step['name']}")
                out.line(f"from :{mark}")
                out.line("")
            continue

        branch = step.get("branch", "main") if kind == "commit" else "main"
        if branch not in heads:
            heads[branch] = heads["main"]
            forks[branch] = dict(heads["main"][1])
        parent, files = heads[branch]
        merge_parent = None
        if kind == "merge":
            merge_parent, branch_files = heads.pop(step["branch"])
            new_files = _merged(files, forks.pop(step["branch"]), branch_files, step["branch"])
            message = (f"Merge pull request #{step['pr']} from {step['branch']}\n\n"
                       f"{step['title']}\n")
        else:
            new_files = _apply(files, step.get("change", []))
            message = step["message"] if step["message"].endswith("\n") else step["message"] + "\n"

        marks += 1
        author = _signature(people[step["author"]], step["date"])
        committer = _signature(people["github"], step["date"]) if kind == "squash" else author
        out.line("commit refs/heads/main")  # every commit names its parents: one ref suffices
        out.line(f"mark :{marks}")
        out.line(f"author {author}")
        out.line(f"committer {committer}")
        out.data(message)
        if parent is not None:
            out.line(f"from :{parent}")
        if merge_parent is not None:
            out.line(f"merge :{merge_parent}")
        for path in sorted(set(files) | set(new_files)):
            if path not in new_files:
                out.line(f"D {path}")
            elif files.get(path) != new_files[path]:
                out.line(f"M 100644 inline {path}")
                out.data(new_files[path])
        out.line("")
        heads[branch] = (marks, new_files)

    if set(heads) != {"main"}:
        raise ValueError(f"demo history leaves branches unmerged: {sorted(set(heads) - {'main'})}")
    # The last commit written to refs/heads/main must be main's head, not a branch commit.
    out.line("reset refs/heads/main")
    out.line(f"from :{heads['main'][0]}")
    out.line("")
    out.line("done")
    return out.bytes(), last_tag


def _apply(files: dict[str, str], changes: list[dict[str, Any]]) -> dict[str, str]:
    files = dict(files)
    for change in changes:
        path = change["path"]
        if "write" in change:
            files[path] = change["write"]
        elif "append" in change:
            files[path] = files[path] + change["append"]
        elif "replace" in change:
            old, new = change["replace"]
            if files.get(path, "").count(old) != 1:
                raise ValueError(f"demo history: {old!r} is not in {path} exactly once")
            files[path] = files[path].replace(old, new)
        elif change.get("delete"):
            del files[path]
    return files


def _merged(main: dict[str, str], fork: dict[str, str], branch: dict[str, str],
            name: str) -> dict[str, str]:
    """main plus what the branch changed since it forked; both touching a file is a conflict."""
    merged = dict(main)
    for path in set(fork) | set(branch):
        if fork.get(path) == branch.get(path):
            continue
        if main.get(path) != fork.get(path):
            raise ValueError(f"demo history: merging {name} conflicts on {path}")
        if path in branch:
            merged[path] = branch[path]
        else:
            merged.pop(path, None)
    return merged


def _signature(person: dict[str, str], date: str) -> str:
    moment = datetime.fromisoformat(date)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return f"{person['name']} <{person['email']}> {int(moment.timestamp())} {zone}"


def _write_event(path: Path, tag: str) -> None:
    event = json.loads((FIXTURES / "release-event.json").read_text(encoding="utf-8"))
    if event["release"]["tag_name"] != tag:
        raise ValueError(f"demo event is for {event['release']['tag_name']}, history ends at {tag}")
    event["release"]["body"] = (FIXTURES / "release-notes.md").read_text(encoding="utf-8")
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
