#!/usr/bin/env bash
# Creates .venv in the checkout and installs releasecast into it.
#   scripts/setup-venv.sh            the package (offline pipeline)
#   scripts/setup-venv.sh EXTRAS     e.g. "github,youtube,ai,app,dev"
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [[ -n "$extras" ]]; then
  .venv/bin/python -m pip install -q -e ".[${extras}]"
else
  .venv/bin/python -m pip install -q -e .
fi
