"""Peak memory of a benchmark job (its own process, its largest child, the whole tree), and
the CPU of its children that ``RUSAGE_CHILDREN`` leaves out.

``ru_maxrss`` cannot say what a child itself used: Linux carries the parent's high-water mark
into a child across fork and exec, so ``RUSAGE_CHILDREN`` reports at least the job process's
own peak at the moment it started the child. Each process's ``VmHWM`` (``/proc/PID/status``)
belongs to its current program only, so this module samples the job's descendants' ``VmHWM``
while the job runs (every 50 ms: a child that lives shorter may be missed or seen before its
peak), from the benchmark's driver process: a sampling thread inside the job took the job's
GIL every 50 ms and made the pipeline ~10 % slower (3.43 s against 3.11 s, interleaved). Also
the sum of the tree's ``VmRSS`` at each sample (pages shared between processes
count once per process, so the sum is an upper bound) and of its ``Pss`` (``/proc/PID/
smaps_rollup``: each shared page split between the processes sharing it, so the sum is what
the tree as a whole holds, e.g. a voice model two servers share after a fork counted once).

CPU likewise: ``RUSAGE_CHILDREN`` counts only children already waited for, and a helper that
lives until the interpreter exits (the Piper voice server) is not; :func:`unreaped_cpu_s`,
called by the job as it ends, is the CPU of its descendants still there.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from types import TracebackType

INTERVAL_S = 0.05


def _status(pid: int | str) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _kib(status: dict[str, str], field: str) -> int:
    value = status.get(field, "").split()
    return int(value[0]) if value else 0


def _cpu_s(pid: int) -> float:
    """A process's CPU time and that of the children it waited for (``/proc/PID/stat``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the name, which may hold spaces
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _pss_kib(pid: int | str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def own_peak_mb() -> float:
    """This process's own peak RSS (``VmHWM``), in MB."""
    return _kib(_status("self"), "VmHWM") / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _name(pid: int, status: dict[str, str]) -> str:
    """The program's file name (``comm`` is cut at 15 characters); for Python, the module it
    runs (``-m MODULE``, or the dotted name a ``-c`` snippet runs: the Piper server)."""
    args = [arg.decode(errors="replace") for arg in _cmdline(pid).split(b"\0") if arg]
    if not args:
        return status.get("Name", "?").strip()
    program = Path(args[0]).name
    if program.startswith("python") and len(args) > 2 and args[1] in ("-m", "-c"):
        if args[1] == "-m":
            return args[2]
        module = re.search(r"['\"]([A-Za-z_]\w*(?:\.\w+)+)['\"]", args[2])
        return module.group(1) if module else f"{program} -c"
    return program


def descendants(root: int) -> list[int]:
    """``root``'s descendants that run their own program (between fork and exec a child is
    still a copy of its parent: not its own yet)."""
    own = _cmdline(root)
    found: list[int] = []
    pending = _children(root)
    while pending:
        pid = pending.pop()
        pending += _children(pid)
        if _cmdline(pid) != own:
            found.append(pid)
    return found


def unreaped_cpu_s() -> float:
    """CPU of this process's descendants not yet waited for (a zombie's too), with what they
    waited for: none of it is in this process's ``RUSAGE_CHILDREN``."""
    return sum(_cpu_s(pid) for pid in descendants(os.getpid()))


class TreeMemory:
    """Context manager sampling the process ``root`` and its descendants while the block runs
    (from another process: the benchmark's driver samples each job)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.children: dict[int, tuple[str, float]] = {}  # pid: (name, VmHWM MB last seen)
        self.tree_peak_mb = 0.0
        self.tree_pss_peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self._sample()

    def _sample(self) -> None:
        root = _status(self.root)
        if "VmRSS" not in root:
            return  # the job has ended (or not begun)
        total, proportional = _kib(root, "VmRSS"), _pss_kib(self.root)
        before = descendants(self.root)
        for pid in before:
            status = _status(pid)
            if "VmHWM" not in status:  # gone, or a zombie: keep what was seen last
                continue
            total += _kib(status, "VmRSS")
            proportional += _pss_kib(pid)
            self.children[pid] = (_name(pid, status), _kib(status, "VmHWM") / 1024)
        if set(descendants(self.root)) != set(before):
            # A process ended (or began) while the tree was read: pages it shared have moved
            # to the survivors, which may have been read after it, so this sum counts some
            # twice. Its parts are not one moment of the tree: the next sample is.
            return
        self.tree_peak_mb = max(self.tree_peak_mb, total / 1024)
        self.tree_pss_peak_mb = max(self.tree_pss_peak_mb, proportional / 1024)

    def largest_child(self) -> tuple[str, float]:
        """The descendant with the largest own peak: (its name, MB); ("", 0) if none seen."""
        return max(self.children.values(), key=lambda item: item[1], default=("", 0.0))
