"""Stage timings, and progress people can follow: a spinner on a terminal, plain lines in CI."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status


class Progress:
    """Times named stages. Shows them on ``stream`` unless ``quiet``."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self._console: Console | None = None
        self._status: Status | None = None
        if not quiet and self.stream.isatty():
            from rich.console import Console

            self._console = Console(file=self.stream)

    @contextmanager
    def stage(self, name: str, what: str = "", *, spinner: bool = True) -> Iterator[None]:
        """Time a stage; ``spinner=False`` for stages running in a worker thread."""
        label = what or name
        start = time.perf_counter()
        if self._console is not None and spinner:
            with self._console.status(f"{label}…") as status:
                self._status = status
                try:
                    yield
                finally:
                    self._status = None
        else:
            yield
        elapsed = time.perf_counter() - start
        self.timings[name] = self.timings.get(name, 0.0) + elapsed
        self.say(f"{label}: done in {elapsed:.2f} s")

    def fraction(self, label: str) -> Callable[[float], None]:
        """A callback for a stage that knows how far it got: shown in the spinner's text."""

        def show(done: float) -> None:
            if self._status is not None:
                self._status.update(f"{label}… {done:.0%}")

        return show

    def say(self, line: str) -> None:
        if self.quiet:
            return
        if self._console is not None:
            self._console.print(f"releasecast: {line}", highlight=False, markup=False)
        else:
            print(f"releasecast: {line}", file=self.stream, flush=True)


def quiet() -> Progress:
    return Progress(quiet=True)
