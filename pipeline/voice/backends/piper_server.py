"""Piper's own server program (``python -m piper.http_server``), loaded once and serving from
:data:`PROCESSES` processes (see :mod:`.piper` for why it is a separate program).

Each process speaks one sentence at a time on one core. The model is loaded once: a launcher
(``_LAUNCHER``, run with ``python -c``) stops Piper where it starts serving (``Flask.run``,
after the voice is loaded) and forks there, so the processes share the loaded model's pages
copy-on-write instead of paying an interpreter start, Flask's imports and an onnxruntime
session load each (~0.45 s CPU a process: measured). Each process then binds its own loopback
port and logs its own ``Running on`` line.

Forking is safe only while the process has one thread: onnxruntime's session here runs on the
calling thread (one intra-op, one inter-op thread: no pool), OpenBLAS (numpy's) is held to one
thread, and onnxruntime's telemetry thread (1.29+ on Linux: it looks up a Microsoft host every
few seconds) is not started (``ORT_DISABLE_TELEMETRY``). The launcher checks the count before it
forks and refuses otherwise, so a new version that starts a thread fails as one clear error.

The processes live and die together: the first (the launcher, which releasecast started and
watches) stops and reaps the others when it is stopped or when one of them ends, and each
forked one is stopped by the kernel if the first dies first (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ...errors import ToolError
from .piper_voice import ONNXRUNTIME_ENVIRONMENT, PiperVoiceFile

# Serving processes per voice model, each speaking one sentence at a time on one core: two
# single-thread sessions speak the demo's sentences in about half the CPU of one two-thread
# session. Forking the loaded server needs Linux (/proc for the thread count, PR_SET_PDEATHSIG).
PROCESSES = max(1, min(2, os.cpu_count() or 1)) if sys.platform.startswith("linux") else 1
START_TIMEOUT_S = 60.0
_REQUEST_TIMEOUT_S = 120.0
_LISTENING = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")
# Set before the server's first import: see the module docstring.
_ENVIRONMENT = ONNXRUNTIME_ENVIRONMENT

# Run in the server. Piper has no option for the session's threads (by default a session spins
# a thread per core, ~2x the CPU for the same speech: measured). For a model that already has
# the alignment output, `import onnx` fails (a None in sys.modules), so that Piper hands the
# file to onnxruntime directly. PR_SET_PDEATHSIG is cleared by fork: each copy sets its own,
# then checks that its parent had not already gone.
_LAUNCHER = """
import ctypes, os, runpy, signal, sys
import flask, onnxruntime
if {aligned}:
    sys.modules["onnx"] = None
_options = onnxruntime.SessionOptions
def _one_thread():
    chosen = _options()
    chosen.intra_op_num_threads = 1
    chosen.inter_op_num_threads = 1
    return chosen
onnxruntime.SessionOptions = _one_thread
_run = flask.Flask.run
_copies = []
def _stop(signum, frame):
    if os.getpid() != _first:
        os._exit(1)
    for pid in _copies:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    for pid in _copies:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    os._exit(0 if signum == signal.SIGTERM else 1)
def _serve(app, *args, **kwargs):
    global _first
    threads = len(os.listdir("/proc/self/task")) if {processes} > 1 else 1
    if threads > 1:
        sys.exit(f"piper: {{threads}} threads after loading the voice, cannot fork safely")
    _first = os.getpid()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGCHLD, _stop)
    for _ in range({processes} - 1):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _copies.clear()
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)
            if os.getppid() != _first:
                os._exit(1)
            break
        _copies.append(pid)
    return _run(app, *args, **kwargs)
flask.Flask.run = _serve
runpy.run_module("piper.http_server", run_name="__main__", alter_sys=True)
"""


class _Endpoint:
    """One serving process's URL, with its own client. One sentence at a time, since the
    process's ``/info`` reports its last synthesis: :meth:`Server.synthesize` lends each
    endpoint to one caller at a time."""

    def __init__(self, server: Server, url: str) -> None:
        self.server = server
        self.url = url
        # One client for the server's life: httpx.post() builds a client (and its TLS context)
        # per call, ~50 ms, twice a sentence. Loopback only: no proxy from the environment.
        self.client = httpx.Client(timeout=_REQUEST_TIMEOUT_S, trust_env=False)

    def synthesize(self, text: str, length_scale: float) -> tuple[bytes, dict]:
        try:
            response = self.client.post(f"{self.url}/synthesize",
                                        json={"text": text, "length_scale": length_scale})
            response.raise_for_status()
            info = self.client.get(f"{self.url}/info").json()
        except httpx.HTTPError as exc:
            raise ToolError(f"piper failed on a sentence: {exc}; {self.server.tail()}") from None
        return response.content, info.get("last") or {}


class Server:
    """One voice model loaded by ``piper.http_server``, served on :data:`PROCESSES` loopback
    ports; :meth:`wait_until_listening` waits for all of them."""

    def __init__(self, voice: PiperVoiceFile, model: Path, aligned: bool) -> None:
        """Start serving ``model`` (``voice``'s file or its patched copy; ``aligned``: it has
        the alignment output)."""
        self.voice = voice
        # Its working directory is Piper's voice data dir (and download dir): a private one.
        self._home = tempfile.TemporaryDirectory(prefix="releasecast-piper-")
        self._tail: list[str] = []
        launcher = _LAUNCHER.format(aligned=aligned, processes=PROCESSES)
        args = [sys.executable, "-c", launcher, "-m", str(model),
                "--host", "127.0.0.1", "--port", "0", "--data-dir", self._home.name]
        try:
            self.process = subprocess.Popen(  # nosec B603 - an argument list, no shell
                args, cwd=self._home.name, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                env={**os.environ, **_ENVIRONMENT},
            )
        except OSError as exc:
            self._home.cleanup()
            raise ToolError(f"piper could not start: {exc}") from None
        self._found: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_log, name="piper-log", daemon=True).start()
        self.endpoints: list[_Endpoint] = []
        self._idle: queue.SimpleQueue[_Endpoint] = queue.SimpleQueue()

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        # Every process logs every request to the one pipe: drain it for the server's life.
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self._tail = [*self._tail[-4:], line]
            match = _LISTENING.search(line)
            if match and len(self._found) < PROCESSES:
                self._found.append(match.group(1))
                if len(self._found) == PROCESSES:
                    self._ready.set()
        self._ready.set()

    def tail(self) -> str:
        """The server's last log lines, for an error message."""
        return " | ".join(self._tail[-2:])

    def wait_until_listening(self, deadline: float) -> None:
        while not self._ready.wait(0.1):
            if time.monotonic() > deadline:
                self.close()
                raise ToolError(f"piper did not start within {START_TIMEOUT_S:g} s")
        if len(self._found) < PROCESSES:
            self.close()
            raise ToolError(f"piper could not load {self.voice.model.name}: {self.tail()}")
        self.endpoints = [_Endpoint(self, url) for url in self._found]
        for endpoint in self.endpoints:
            self._idle.put(endpoint)

    def synthesize(self, text: str, length_scale: float) -> tuple[bytes, dict]:
        """Speak ``text`` on whichever process is free: the WAV and Piper's ``last`` info."""
        endpoint = self._idle.get()
        try:
            return endpoint.synthesize(text, length_scale)
        finally:
            self._idle.put(endpoint)

    @property
    def alive(self) -> bool:
        # The first process ends when any of them does (the launcher's SIGCHLD handler).
        return self.process.poll() is None

    def close(self) -> None:
        """Stop every process (the first reaps the others before it exits)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()  # the others then get PR_SET_PDEATHSIG's SIGTERM
                self.process.wait()
        for endpoint in self.endpoints:
            endpoint.client.close()
        self._home.cleanup()


def _die_with_parent() -> None:
    # A worker that ends with os._exit (RQ's work horse) skips atexit: on Linux the kernel then
    # stops the server with the process that started it.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
