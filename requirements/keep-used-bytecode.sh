#!/usr/bin/env bash
# Bytecode caches only for the modules the action imports. pip writes a cache for every module
# of every wheel and Debian's py3compile one for every module of the standard library (50 MiB
# together); a run imports about a quarter of them. This deletes them all, runs what an Action
# run runs with bytecode writing on, and keeps what that wrote, so the modules a run imports
# still start from their caches and the rest are compiled in memory if anything imports them.
# The Dockerfile's build stage and requirements/measure-image.sh both run it after trim-venv.sh.
#   requirements/keep-used-bytecode.sh VENV STDLIB_CACHES
# VENV: the finished environment, its caches rewritten in place. STDLIB_CACHES: a new folder
# that gets the standard library's caches under their absolute paths (the Dockerfile copies it
# onto / of an image whose Debian caches scripts/install-system-deps.sh --image removed).
set -euo pipefail
venv=$1
out=$2
stdlib=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
find "$venv" "$stdlib" -name __pycache__ -type d -prune -exec rm -rf {} +

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# env, not a shell, passes the INPUT_ names with hyphens on (dash drops them, as it must).
run() {
  local dir=$1
  shift
  env -u PYTHONDONTWRITEBYTECODE -C "$dir" HOME="$work" PATH="$venv/bin:$PATH" "$@"
}

# The demo: facts from git, story, cards, the Piper servers and their word timings, the reel,
# and a Spanish dub (Apertium's translation, espeak-ng's voice).
run "$work" releasecast demo --languages es --out "$work/demo-site" >/dev/null

# The Action's own path, offline: runner context, inputs, a dry run of the demo release into an
# empty local blog repository (site scaffolded, checked out, post written, nothing pushed).
run "$work" python -c 'import sys; from pathlib import Path
from pipeline.demo_project import create_demo_project
create_demo_project(Path(sys.argv[1]))' "$work/project"
git init -q --bare -b main "$work/blog.git"
touch "$work/output" "$work/summary"
run "$work/project/widgets" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=release \
  GITHUB_EVENT_PATH="$work/project/release-event.json" \
  GITHUB_WORKSPACE="$work/project/widgets" GITHUB_REPOSITORY=acme/widgets \
  GITHUB_OUTPUT="$work/output" GITHUB_STEP_SUMMARY="$work/summary" RUNNER_TEMP="$work" \
  INPUT_DRY-RUN=true INPUT_CREATE-SITE=true INPUT_BLOG-REMOTE-URL="file://$work/blog.git" \
  releasecast action >/dev/null
grep -qx dry-run "$work/output" || { echo "the Action's dry run did not finish:" >&2
                                      cat "$work/output" "$work/summary" >&2; exit 1; }

mkdir -p "$out"
(cd / && find "${stdlib#/}" -name '*.pyc' -print0 | xargs -0r cp --parents -t "$out")
