"""Running ``releasecast action`` the way a GitHub Actions runner does, for the tests.

The runner starts the container's entrypoint with the inputs as ``INPUT_<NAME>`` variables
(hyphens kept), the event payload in a file named by ``GITHUB_EVENT_PATH`` and two files it
reads back afterwards: ``GITHUB_OUTPUT`` (``name<<DELIMITER`` blocks) and
``GITHUB_STEP_SUMMARY``. These helpers set that up, run the real console script in a
subprocess, and parse what it left, the way the runner parses it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factories import WEBHOOKS

FIXTURES = WEBHOOKS
# The console script installed next to the interpreter running the tests (the venv's).
RELEASECAST = str(Path(sys.executable).with_name("releasecast"))

# Narration short enough for a reel of a few seconds; tests that only check publishing turn
# the reel off altogether.
NO_REEL_CONFIG = "reel:\n  enabled: false\n"
# The default voice (Piper): for the Action test that stands for what a maintainer gets.
PIPER_SHORT_REEL_CONFIG = "reel:\n  min_duration: 5\n  max_duration: 30\n" \
                          "  preset: ultrafast\nvoice:\n  rate: 300\n"
# espeak-ng where the reel is needed but its voice is not what is tested (storage, uploads,
# re-runs): Piper starts a server and loads its model in every Action run (one run on a busy
# machine: 20 s with Piper, 12 s with espeak-ng).
SHORT_REEL_CONFIG = PIPER_SHORT_REEL_CONFIG + "  backend: espeak\n"


def release_event(*, tag: str = "v1.2.0", name: str = "", action: str = "published",
                  draft: bool = False, prerelease: bool = False, repository: str | None = None,
                  body: str | None = None, published_at: str = "2024-05-01T12:00:00Z",
                  server_url: str = "https://github.com") -> dict[str, Any]:
    """GitHub's sample ``release.published`` payload, changed where a test needs it."""
    payload = json.loads((FIXTURES / "release/published.payload.json").read_text())
    event = copy.deepcopy(payload)
    release = event["release"]
    release.update({
        "tag_name": tag, "name": name or f"Hello World {tag}", "draft": draft,
        "prerelease": prerelease, "published_at": None if draft else published_at,
        "created_at": published_at,
        "body": body if body is not None else (
            "## What's Changed\n"
            f"* feat: sparkly {tag} dashboard by @octocat in "
            f"{server_url}/Codertocat/Hello-World/pull/7\n"
            "* fix: crash when the config file is empty\n"),
    })
    if repository:
        event["repository"]["full_name"] = repository
        event["repository"]["name"] = repository.split("/")[1]
        event["repository"]["html_url"] = f"{server_url}/{repository}"
    release["html_url"] = f"{event['repository']['html_url']}/releases/tag/{tag}"
    event["action"] = action
    return event


def parse_output_file(text: str) -> dict[str, str]:
    """The runner's reading of ``GITHUB_OUTPUT``: ``name=value`` or ``name<<DELIM`` blocks."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
            i += 1
    return outputs


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def kept(self, output: str) -> str:
        """A path output (post-path, video-path) relative to the step's output-dir, where the
        action keeps the files: the same layout as the blog repository."""
        value = self.outputs[output]
        return Path(value).relative_to(self.outputs["output-dir"]).as_posix() if value else ""

    def kept_all(self, output: str) -> list[str]:
        """A multiline path output (image-paths), each relative to output-dir."""
        base = Path(self.outputs["output-dir"])
        return [Path(p).relative_to(base).as_posix() for p in self.outputs[output].split("\n")
                if p]

    def commands(self, name: str) -> list[str]:
        """The messages of the ``::name ...::message`` workflow commands printed."""
        return [m.group(1) for m in re.finditer(rf"^::{name}(?: [^:]*)?::(.*)$", self.stdout, re.M)]


CLOSED_API_URL = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback


class ActionEnv:
    """A runner's view of one job: workspace, event file, output and summary files."""

    def __init__(self, root: Path, *, repository: str = "Codertocat/Hello-World",
                 config: str | None = NO_REEL_CONFIG) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.home = root / "home"
        self.home.mkdir(exist_ok=True)
        self.repository = repository
        self.runs = 0
        if config is not None:
            (self.workspace / ".github").mkdir(exist_ok=True)
            (self.workspace / ".github/releasecast.yml").write_text(config)

    def run(self, event: dict[str, Any] | None, *, event_name: str = "release",
            inputs: dict[str, str] | None = None, extra_env: dict[str, str] | None = None,
            event_path: Path | None = None, timeout: float = 300,
            start_only: bool = False) -> ActionRun | tuple[subprocess.Popen[str], Path]:
        self.runs += 1
        step = self.root / f"step-{self.runs}"
        step.mkdir()
        if event is not None:
            event_path = step / "event.json"
            event_path.write_text(json.dumps(event))
        (step / "output").touch()
        (step / "summary.md").touch()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "GIT_"))}
        env.update({
            "HOME": str(self.home),  # no ~/.gitconfig: identity must come from the action
            "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_OUTPUT": str(step / "output"),
            "GITHUB_STEP_SUMMARY": str(step / "summary.md"),
            "RUNNER_TEMP": str(self.root / "runner-temp"),
            # A runner always names its API; here a closed loopback port unless a test passes
            # its local GitHub, so no test token is ever sent to api.github.com.
            "GITHUB_API_URL": CLOSED_API_URL,
        })
        (self.root / "runner-temp").mkdir(exist_ok=True)
        if event_path is not None:
            env["GITHUB_EVENT_PATH"] = str(event_path)
        for name, value in (inputs or {}).items():
            env["INPUT_" + name.replace(" ", "_").upper()] = value
        env.update(extra_env or {})
        proc = subprocess.Popen([RELEASECAST, "action"], cwd=self.workspace, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if start_only:
            return proc, step
        return self.finish(proc, step, timeout)

    @staticmethod
    def finish(proc: subprocess.Popen[str], step: Path, timeout: float = 300) -> ActionRun:
        stdout, stderr = proc.communicate(timeout=timeout)
        return ActionRun(proc.returncode, stdout, stderr,
                         parse_output_file((step / "output").read_text()),
                         (step / "summary.md").read_text())


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def bare_repo(path: Path, *, branch: str = "main", seed: dict[str, str] | None = None) -> Path:
    """A bare repository as the blog's remote, optionally with a first commit of ``seed``."""
    git("init", "-q", "--bare", "-b", branch, str(path))
    if seed:
        seed_branch(path, branch, seed)
    return path


def seed_branch(bare: Path, branch: str, files: dict[str, str]) -> None:
    """Push a commit with ``files`` to ``branch`` of ``bare``, as the blog's owner."""
    work = bare.with_name(bare.name + "-seed")
    git("clone", "-q", str(bare), str(work))
    git("checkout", "-q", "-B", branch, cwd=work)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git("-c", "user.name=Blog Owner", "-c", "user.email=owner@example.com", "commit", "-q",
        "-m", "Blog", cwd=work)
    git("push", "-q", "origin", f"HEAD:{branch}", cwd=work)
    shutil.rmtree(work)


def tree(bare: Path, ref: str = "main") -> list[str]:
    """Every file path in ``ref`` of a bare repository."""
    out = git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", ref)
    return out.splitlines()


def commit_count(bare: Path, ref: str = "main") -> int:
    proc = subprocess.run(["git", "--git-dir", str(bare), "rev-list", "--count", ref],
                          capture_output=True, text=True)
    return int(proc.stdout.strip()) if proc.returncode == 0 else 0
