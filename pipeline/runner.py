"""The contract between a GitHub Actions runner and a container action.

What the runner gives us: inputs as ``INPUT_<NAME>`` environment variables (upper-cased, spaces
turned into ``_``, hyphens kept: ``INPUT_SITE-PATH``), the event payload in the file named by
``GITHUB_EVENT_PATH``, and ``GITHUB_*`` context variables. What it reads back: workflow commands
on stdout (``::add-mask::``, ``::notice::``...), outputs appended to the ``GITHUB_OUTPUT`` file
and a Markdown report appended to ``GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError
from .gitcmd import add_config

# The YAML 1.2 core schema booleans, the only spellings @actions/core's getBooleanInput accepts.
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


def input_env_name(name: str) -> str:
    """``site-path`` -> ``INPUT_SITE-PATH``, exactly as the runner names it."""
    return "INPUT_" + name.replace(" ", "_").upper()


class Inputs:
    """Typed access to the action's inputs; a bad value is an :class:`InputError` naming it."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    def text(self, name: str, default: str = "", *, required: bool = False) -> str:
        value = self._env.get(input_env_name(name), "").strip()
        if not value:
            if required:
                raise InputError(f"input '{name}' is required")
            return default
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InputError(f"input '{name}': expected true or false, got {value!r}")

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise InputError(f"input '{name}': expected one of {', '.join(choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class RunnerContext:
    """The ``GITHUB_*`` variables the action uses."""

    event_name: str
    event_path: Path | None
    workspace: Path
    repository: str  # owner/name of the repository the workflow runs in
    server_url: str
    api_url: str
    output_file: Path | None
    summary_file: Path | None
    run_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunnerContext:
        env = os.environ if env is None else env
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repository = env.get("GITHUB_REPOSITORY", "")
        run_id = env.get("GITHUB_RUN_ID")
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event_path=Path(env["GITHUB_EVENT_PATH"]) if env.get("GITHUB_EVENT_PATH") else None,
            workspace=Path(env.get("GITHUB_WORKSPACE") or os.getcwd()),
            repository=repository,
            server_url=server,
            api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_file=(Path(env["GITHUB_STEP_SUMMARY"])
                          if env.get("GITHUB_STEP_SUMMARY") else None),
            run_url=(f"{server}/{repository}/actions/runs/{run_id}"
                     if run_id and repository else None),
        )

    def load_event(self) -> dict[str, Any]:
        """The webhook payload that triggered the workflow."""
        if self.event_path is None:
            raise InputError("GITHUB_EVENT_PATH is not set: run this as a GitHub Action step")
        try:
            data = json.loads(self.event_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"event file not found: {self.event_path}") from None
        except OSError as exc:
            raise InputError(f"event file {self.event_path}: cannot read: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InputError(f"event file {self.event_path}: not valid JSON") from None
        if not isinstance(data, dict):
            raise InputError(f"event file {self.event_path}: expected a JSON object")
        return data


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


class Commands:
    """Workflow commands, written to stdout where the runner reads them."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def _emit(self, command: str, message: str = "", **properties: str | None) -> None:
        props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items() if v)
        head = f"::{command} {props}" if props else f"::{command}"
        print(f"{head}::{_escape_data(message)}", file=self.stream, flush=True)

    def mask(self, secret: str | None) -> None:
        """Ask the runner to replace ``secret`` with ``***`` in every later log line."""
        if not secret:
            return
        # The runner masks line by line, so each line of a multi-line secret is masked alone.
        for line in secret.splitlines():
            if line.strip():
                self._emit("add-mask", line)

    def notice(self, message: str, title: str | None = None) -> None:
        self._emit("notice", message, title=title)

    def warning(self, message: str, title: str | None = None) -> None:
        self._emit("warning", message, title=title)

    def error(self, message: str, title: str | None = None) -> None:
        self._emit("error", message, title=title)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._emit("group", title)
        try:
            yield
        finally:
            self._emit("endgroup")


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append ``name<<DELIM`` blocks to ``GITHUB_OUTPUT``: safe for values with newlines."""
    if path is None:
        return
    blocks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter in name or delimiter in value:  # astronomically unlikely; refuse, as core does
            raise InputError(f"output {name!r}: value contains the delimiter")
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(blocks))


def append_summary(path: Path | None, markdown: str) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n")


def trust_directory(path: Path, env: MutableMapping[str, str] | None = None) -> None:
    """Let git work in ``path`` although its owner differs from ours.

    A container action runs as root over a workspace owned by the runner's user, and git then
    refuses the repository ("dubious ownership"). ``safe.directory`` is only honoured from
    protected configuration; ``GIT_CONFIG_COUNT``/``KEY``/``VALUE`` variables are such
    configuration (command scope), reach every git we start, and leave no global file behind.
    """
    add_config(os.environ if env is None else env, [("safe.directory", str(path))])
