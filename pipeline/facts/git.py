"""Reading a local git checkout: tags, the commits between two of them, the diffstat, origin.

We call the ``git`` program with explicit ``--format`` strings rather than using GitPython:
GitPython shells out to the same program anyway, and parsing our own NUL-separated formats is
smaller and more predictable than its object model. Every revision we pass is either a full
``refs/tags/...`` name or a commit id, so a hostile tag name can never be read as an option.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError, ToolError
from ..gitcmd import git_env, run_git

# Field and record separators inside our --format strings; git forbids NUL in ref names and
# commit messages practically never contain these control characters.
_FIELD = "\x1f"
_RECORD = "\x1e"

_DUBIOUS = "dubious ownership"


@dataclass(frozen=True)
class TagRef:
    """A tag pointing (directly or through an annotated tag object) at a commit."""

    name: str
    commit: str
    date: datetime  # tagger date of an annotated tag, else the commit's committer date
    annotated: bool
    message: str = ""  # annotated tag message without any signature


@dataclass(frozen=True)
class RawCommit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: datetime
    message: str  # subject and body

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        parts = self.message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class GitRepo:
    """A git working tree or bare repository we only read from."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        if not path.exists():
            raise InputError(f"repository path does not exist: {path}")
        if not path.is_dir():
            raise InputError(f"repository path is not a directory: {path}")
        # Absolute: git runs in it (cwd) and is also told where it is (-C), so a relative path
        # would be taken twice (`--repo proj/widgets` asked for proj/widgets/proj/widgets).
        self.path = path.absolute()
        proc = self._run_raw(["rev-parse", "--is-bare-repository"])
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace")
            if _DUBIOUS in err:
                raise InputError(
                    f"git refuses to read {path}: it is owned by another user; run "
                    f"`git config --global --add safe.directory {path.resolve()}` first"
                )
            raise InputError(f"not a git repository: {path}")
        bare = proc.stdout.decode().strip() == "true"
        toplevel = None if bare else self.run(["rev-parse", "--show-toplevel"]).strip()
        self.root = Path(toplevel) if toplevel else path.resolve()

    # -- running git -------------------------------------------------------------------------

    def _run_raw(self, args: list[str], config: list[tuple[str, str]] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        # Settings (a credential header) as command-scope config: never on the command line,
        # where other processes could read them, and never written to a file.
        return run_git(args, cwd=self.path, env=git_env(config or ()), timeout=timeout,
                       options=["--no-pager", "-c", "color.ui=false",
                                "-c", "log.showSignature=false", "-C", str(self.path)])

    def run(self, args: list[str]) -> str:
        """Run git and return its output; commit text that is not UTF-8 is replaced, not fatal."""
        proc = self._run_raw(args)
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
            raise ToolError(f"git {args[0]} failed (exit {proc.returncode}): {' | '.join(tail)}")
        return proc.stdout.decode("utf-8", "replace")

    def fetch(self, args: list[str], config: list[tuple[str, str]]) -> None:
        """``git fetch ...`` with extra settings; ToolError with git's last line on failure
        (credentials never appear: they travel in the environment)."""
        proc = self._run_raw(args, config, timeout=600)
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            fatal = [line for line in lines if line.startswith("fatal:")] or lines[-1:]
            reason = fatal[0].removeprefix("fatal: ") if fatal else f"exit {proc.returncode}"
            raise ToolError(f"git fetch failed: {reason}")

    # -- facts -------------------------------------------------------------------------------

    def is_shallow(self) -> bool:
        return self.run(["rev-parse", "--is-shallow-repository"]).strip() == "true"

    def shallow_commits(self) -> set[str]:
        """The commits a shallow clone's history stops at (their parents are missing)."""
        path = self.run(["rev-parse", "--git-path", "shallow"]).strip()
        target = Path(path) if Path(path).is_absolute() else self.path / path
        try:
            return set(target.read_text(encoding="ascii").split())
        except OSError:
            return set()

    def range_complete(self, head: str, base: str | None) -> bool:
        """Whether every commit of ``base..head`` is here with its parents: False when a
        shallow clone's boundary lies inside the range (the count would stop short)."""
        boundary = self.shallow_commits()
        if not boundary:
            return True
        revs = [head] if base is None else [head, f"^{base}"]
        inside = set(self.run(["rev-list", *revs, "--"]).split())
        return not (inside & boundary)

    def tags(self) -> list[TagRef]:
        """All tags that lead to a commit, in no particular order."""
        fields = [
            "%(refname)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objecttype)",
            "%(*objectname)",
            "%(creatordate:iso-strict)",
            "%(*committerdate:iso-strict)",  # for old tag objects without a tagger line
            "%(contents)",  # (contents:subject folds a multi-line first paragraph into one)
            "%(contents:signature)",
        ]
        fmt = "%1f".join(fields) + "%1e"
        out = self.run(["for-each-ref", f"--format={fmt}", "refs/tags"])
        found = []
        for record in out.split(_RECORD):
            record = record.lstrip("\n")
            if not record:
                continue
            ref, kind, obj, deref_kind, deref_obj, date, commit_date, contents, signature = \
                record.split(_FIELD)
            if kind == "commit":
                commit, annotated = obj, False
            elif kind == "tag" and deref_kind == "commit":
                commit, annotated = deref_obj, True
            else:
                continue  # a tag of a tree or blob, or a tag of a tag: not a release
            message = contents.removesuffix(signature).strip() if signature else contents.strip()
            found.append(TagRef(
                name=ref.removeprefix("refs/tags/"),
                commit=commit,
                date=_parse_date(date or commit_date),
                annotated=annotated,
                message=message if annotated else "",
            ))
        return found

    def nearest_tag(self) -> str | None:
        """The most recent tag reachable from HEAD (what a user who just tagged means)."""
        proc = self._run_raw(["describe", "--tags", "--abbrev=0", "HEAD"])
        if proc.returncode != 0:
            return None
        return proc.stdout.decode("utf-8", "replace").strip() or None

    def commits(self, head: str, base: str | None) -> list[RawCommit]:
        """Commits reachable from ``head`` but not from ``base`` (all history when no base)."""
        fmt = "%x1f".join(["%H", "%P", "%aN", "%aE", "%aI", "%B"])  # %x1f is _FIELD
        revs = [head] if base is None else [f"{base}..{head}"]
        out = self.run(["log", "-z", f"--format={fmt}", *revs, "--"])
        commits = []
        for record in out.split("\0"):
            if not record:
                continue
            sha, parents, name, email, date, message = record.split(_FIELD, 5)
            commits.append(RawCommit(
                sha=sha,
                parents=tuple(parents.split()),
                author_name=name,
                author_email=email,
                date=datetime.fromisoformat(date),
                message=message.strip(),
            ))
        return commits

    def diffstat(self, head: str, base: str | None) -> tuple[int, int, int]:
        """(files, insertions, deletions) between two commits, as ``git diff --shortstat``."""
        if base is None:
            # The empty tree's id (also right in SHA-256 repositories); git knows it without
            # the object being stored, and hash-object without -w writes nothing.
            base = self.run(["hash-object", "-t", "tree", "--stdin"]).strip()
        out = self.run(["diff", "--shortstat", "--no-ext-diff", base, head, "--"])
        return parse_shortstat(out)

    def origin_url(self) -> str | None:
        proc = self._run_raw(["remote", "get-url", "origin"])
        if proc.returncode != 0:
            return None
        return proc.stdout.decode("utf-8", "replace").strip() or None


def _parse_date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


_SHORTSTAT = re.compile(
    r"(?P<files>\d+) files? changed"
    r"(?:, (?P<ins>\d+) insertions?\(\+\))?"
    r"(?:, (?P<dels>\d+) deletions?\(-\))?"
)


def parse_shortstat(text: str) -> tuple[int, int, int]:
    match = _SHORTSTAT.search(text)
    if not match:
        return (0, 0, 0)
    return (int(match["files"]), int(match["ins"] or 0), int(match["dels"] or 0))


_GITHUB_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:|"
    r"git://github\.com/)(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


def github_full_name(remote_url: str) -> str | None:
    """``owner/name`` from a github.com remote URL (credentials in it are ignored), else None."""
    match = _GITHUB_REMOTE.match(remote_url.strip())
    return f"{match['owner']}/{match['name']}" if match else None
