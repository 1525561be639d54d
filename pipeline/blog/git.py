"""Committing generated files to a blog repository and pushing them, the way CI must.

* The token never appears in a URL, a config file or a message: git receives it as an
  ``http.<server>/.extraheader`` in environment configuration, scoped to the GitHub server so a
  remote elsewhere never sees it, and every error text is scrubbed of it.
* Git never prompts (``GIT_TERMINAL_PROMPT=0``): a rejected token is an error, not a hang.
* The clone is shallow; a push rejected because someone else pushed first is recovered by
  fetching, rebasing and pushing again, under the project's :class:`~pipeline.retry.RetryPolicy`.
* Nothing changed means no commit: a re-run for the same release is a no-op.
"""

from __future__ import annotations

import base64
import re
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PublishError
from ..gitcmd import git_env, run_git
from ..retry import RetryPolicy

# Waits between push attempts: a rejected push is another run racing us, so a few attempts
# with growing, jittered waits spread the racers out.
PUSH_RETRY = RetryPolicy(attempts=5, initial_wait=1.0, max_wait=16.0)


@dataclass(frozen=True)
class GitIdentity:
    name: str
    email: str


# The identity GitHub shows with the Actions logo; the number is the bot's user id.
ACTIONS_BOT = GitIdentity(
    "github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"
)


@dataclass(frozen=True)
class GitAuth:
    """A GitHub token (Actions, App installation or personal) for one server."""

    token: str
    server_url: str = "https://github.com"

    @property
    def header(self) -> str:
        # What actions/checkout sends: Basic with the "x-access-token" user that GitHub expects.
        pair = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return f"AUTHORIZATION: basic {pair}"

    @property
    def config(self) -> tuple[str, str]:
        """The git setting that sends the token to this server, and nowhere else."""
        return f"http.{self.server_url.rstrip('/')}/.extraheader", self.header

    @property
    def secrets(self) -> list[str]:
        return [self.token, self.header.split()[-1]]


class Git:
    """Runs git in one directory with our identity and credentials; never prompts."""

    def __init__(self, cwd: Path, *, auth: GitAuth | None = None,
                 identity: GitIdentity = ACTIONS_BOT) -> None:
        self.cwd = cwd
        self.auth = auth
        self.identity = identity

    def env(self) -> dict[str, str]:
        config: list[tuple[str, str]] = [("credential.helper", "")]
        if self.auth:
            config.append(self.auth.config)
        return git_env(
            config,
            GIT_AUTHOR_NAME=self.identity.name, GIT_AUTHOR_EMAIL=self.identity.email,
            GIT_COMMITTER_NAME=self.identity.name, GIT_COMMITTER_EMAIL=self.identity.email,
        )

    def scrub(self, text: str) -> str:
        for secret in self.auth.secrets if self.auth else []:
            text = text.replace(secret, "***")
        return text

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        raw = run_git(args, cwd=self.cwd, env=self.env(), timeout=600, slow=PublishError)
        proc = subprocess.CompletedProcess(raw.args, raw.returncode,
                                           raw.stdout.decode("utf-8", "replace"),
                                           raw.stderr.decode("utf-8", "replace"))
        if check and proc.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {self.explain(proc.stderr)}")
        return proc

    def explain(self, stderr: str) -> str:
        """One line from git's stderr: the fatal/error lines, scrubbed of secrets."""
        lines = [ln.strip() for ln in self.scrub(stderr).splitlines() if ln.strip()]
        important = [ln for ln in lines if ln.startswith(("fatal:", "error:", "remote:"))]
        text = " | ".join((important or lines)[-3:]) or "no message"
        if re.search(r"\b(401|403)\b|Authentication failed|could not read Username"
                     r"|Invalid username or password|Permission to .* denied", text):
            text += " (the token was rejected or lacks `contents: write` on this repository)"
        return text

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").stdout.strip()


def remote_default_branch(remote_url: str, *, auth: GitAuth | None = None,
                          cwd: Path | None = None) -> str | None:
    """The branch the remote's HEAD points to, or None for an empty repository."""
    proc = Git(cwd or Path.cwd(), auth=auth).run("ls-remote", "--symref", remote_url, "HEAD")
    match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", proc.stdout, re.M)
    return match.group(1) if match else None


# `git push --porcelain` status lines: "!<TAB>src:dst<TAB>[rejected] (fetch first)".
_RETRYABLE = re.compile(
    r"\[rejected\] \((fetch first|non-fast-forward)\)"
    r"|\[remote rejected\] \(.*(failed to update ref|cannot lock ref|incorrect old value)",
)


@dataclass
class BlogCheckout:
    """A shallow working copy of one branch of the blog repository."""

    git: Git
    remote_url: str
    branch: str
    exists_on_remote: bool
    retry: RetryPolicy = PUSH_RETRY
    _paths: list[str] = field(default_factory=list)
    _message: str = ""

    @property
    def path(self) -> Path:
        return self.git.cwd

    @classmethod
    def clone(cls, remote_url: str, branch: str, dest: Path, *, auth: GitAuth | None = None,
              identity: GitIdentity = ACTIONS_BOT, retry: RetryPolicy = PUSH_RETRY
              ) -> BlogCheckout:
        """Check out the tip of ``branch`` (depth 1); a branch that does not exist yet starts
        empty and is created by the first push."""
        dest.mkdir(parents=True, exist_ok=True)
        git = Git(dest, auth=auth, identity=identity)
        git.run("init", "-q", "-b", branch)
        git.run("remote", "add", "origin", remote_url)
        probe = git.run("ls-remote", "--exit-code", "origin", f"refs/heads/{branch}", check=False)
        if probe.returncode not in (0, 2):  # 2: reachable, but no such branch
            raise PublishError(
                f"cannot read the blog repository {remote_url}: {git.explain(probe.stderr)}"
            )
        exists = probe.returncode == 0
        if exists:
            git.run("fetch", "-q", "--depth=1", "origin",
                    f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
            git.run("checkout", "-q", "-B", branch, f"refs/remotes/origin/{branch}")
        return cls(git, remote_url, branch, exists, retry)

    def commit(self, paths: Iterable[str], message: str) -> str | None:
        """Stage ``paths`` (additions, changes and deletions under them) and commit.

        Returns the new commit, or None when the files are already as they should be.
        """
        self._paths = sorted(set(paths))
        if not self._paths:
            return None
        self.git.run("add", "-A", "--", *self._paths)
        if self.git.run("diff", "--cached", "--quiet", check=False).returncode == 0:
            return None
        self._message = message
        self.git.run("commit", "-q", "--no-verify", "-m", message)
        return self.git.head()

    def push(self, on_retry: Callable[[str], None] | None = None) -> str:
        """Push the branch; on a race, fetch, rebase and retry. Returns the remote's tip."""
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            proc = self.git.run("push", "--porcelain", "origin",
                                f"HEAD:refs/heads/{self.branch}", check=False)
            if proc.returncode == 0:
                self.exists_on_remote = True
                return self.git.head()
            status = proc.stdout + proc.stderr
            if not _RETRYABLE.search(status):
                raise PublishError(f"push to {self.remote_url} ({self.branch}) was refused: "
                                   f"{self._refusal(proc)}")
            if attempt == attempts:
                break
            wait = self.retry.wait(attempt)
            if on_retry:
                on_retry(f"push rejected: {self.branch} moved on the remote; fetching, rebasing "
                         f"and retrying in {wait:.1f} s (attempt {attempt + 1} of {attempts})")
            time.sleep(wait)
            if not self._integrate_remote():
                return self.git.head()  # the remote already holds exactly our files
        raise PublishError(f"push to {self.remote_url} ({self.branch}) still rejected after "
                           f"{attempts} attempts: other pushes keep landing first")

    def _refusal(self, proc: subprocess.CompletedProcess[str]) -> str:
        """Why a push failed: the porcelain status ("[remote rejected] (pre-receive hook
        declined)") and what the server said ("remote: ..."), else git's own error."""
        reasons = [ln.split("\t")[-1] for ln in proc.stdout.splitlines() if ln.startswith("!")]
        said = [ln.strip() for ln in self.git.scrub(proc.stderr).splitlines()
                if ln.startswith("remote:") and ln[7:].strip()]
        if not reasons:
            return self.git.explain(proc.stderr)
        return "; ".join(reasons) + (f": {' | '.join(said[-3:])}" if said else "")

    def _integrate_remote(self) -> bool:
        """Put our commit on top of the remote tip. False when nothing is left to push."""
        ours = self.git.head()
        remote_ref = f"refs/remotes/origin/{self.branch}"
        # Not shallow: from a shallow clone this fetches just the new commits down to the tip
        # we already have, so the rebase finds its merge base.
        self.git.run("fetch", "-q", "origin", f"+refs/heads/{self.branch}:{remote_ref}")
        if self.git.run("rebase", "-q", remote_ref, check=False).returncode != 0:
            # Someone changed the same files (e.g. the same release, published twice at once):
            # our version of our files wins, on top of everything else they pushed.
            self.git.run("rebase", "--abort", check=False)
            self.git.run("reset", "-q", "--hard", remote_ref)
            self.git.run("restore", f"--source={ours}", "--staged", "--worktree", "--",
                         *self._paths)
            if self.git.run("diff", "--cached", "--quiet", check=False).returncode == 0:
                return False
            self.git.run("commit", "-q", "--no-verify", "-m", self._message)
        tip = self.git.run("rev-parse", remote_ref).stdout.strip()
        return self.git.head() != tip

    def push_branch(self, branch: str) -> bool:
        """Publish HEAD as ``branch`` (ours alone, e.g. a pull request's head).

        Returns False when the branch already holds the same files (nothing pushed).
        """
        probe = self.git.run("ls-remote", "--exit-code", "origin", f"refs/heads/{branch}",
                             check=False)
        lease = ""
        if probe.returncode == 0:
            remote_sha = probe.stdout.split()[0]
            self.git.run("fetch", "-q", "--depth=1", "origin", remote_sha)
            ours = self.git.run("rev-parse", "HEAD^{tree}").stdout.strip()
            theirs = self.git.run("rev-parse", f"{remote_sha}^{{tree}}").stdout.strip()
            if ours == theirs:
                return False
            lease = remote_sha
        elif probe.returncode != 2:
            raise PublishError(f"cannot reach {self.remote_url}: {self.git.explain(probe.stderr)}")
        proc = self.git.run("push", "--porcelain", f"--force-with-lease=refs/heads/{branch}:"
                            f"{lease}", "origin", f"HEAD:refs/heads/{branch}", check=False)
        if proc.returncode != 0:
            raise PublishError(f"push of {branch} to {self.remote_url} was refused: "
                               f"{self._refusal(proc)}")
        return True
