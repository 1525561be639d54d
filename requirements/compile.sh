#!/usr/bin/env bash
# Regenerates requirements/action.txt, the pinned, hashed dependency set the Action's image
# installs; requirements/build.txt, the build backend that makes the releasecast wheel in the
# image's build stage (Dockerfile); and requirements/voice-patch.txt, the onnx that patches the
# bundled voice there (requirements/trim-venv.sh). Run it after changing the dependencies in
# pyproject.toml and commit the result:   requirements/compile.sh     (needs `uv`: pip install uv)
#
# The versions are the ones the test suite installs (scripts/test.sh resolves every extra
# together, and moviepy in `dev` holds pillow back), so the image runs what CI tested: the full
# set is resolved first and used as constraints for the image's extras.
# --universal: one file valid for linux/amd64 and linux/arm64 (the image is multi-arch).
# espeakng-loader is left out: the image has Debian's espeak-ng, which the espeak voice
# prefers; the wheel stays a dependency of the package so a pip-only install still speaks.
# onnx (and ml-dtypes, which only onnx needs) are left out too: they only patch a voice for
# alignments, which the build stage does once to the bundled voice (voice-patch.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-uv}
tested=$(mktemp)
trap 'rm -f "$tested"' EXIT
common=(--universal --python-version 3.11 --quiet)
"$uv" pip compile pyproject.toml "${common[@]}" \
  --extra github --extra youtube --extra ai --extra marian --extra app --extra dev \
  -o "$tested"
"$uv" pip compile pyproject.toml "${common[@]}" --extra github --extra youtube \
  --constraint "$tested" --generate-hashes --no-emit-package espeakng-loader \
  --no-emit-package onnx --no-emit-package ml-dtypes \
  --custom-compile-command "requirements/compile.sh" -o requirements/action.txt
# --no-deps: onnx's other dependencies (numpy, protobuf) are the lock's, in the venv it runs in.
printf 'onnx\nml-dtypes\n' | "$uv" pip compile - "${common[@]}" --no-deps --constraint "$tested" \
  --generate-hashes --custom-compile-command "requirements/compile.sh" -o requirements/voice-patch.txt
printf 'hatchling>=1.21\n' | "$uv" pip compile - "${common[@]}" --generate-hashes \
  --custom-compile-command "requirements/compile.sh" -o requirements/build.txt
# uv names the constraints file in its "via" comments: name it the same way every time, so a
# re-run without a dependency change leaves the files unchanged.
sed -i "s|-c $tested|-c (the test suite's versions)|" requirements/action.txt requirements/voice-patch.txt
