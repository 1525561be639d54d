#!/usr/bin/env bash
# Sets up everything the test suite needs and runs it: the README's test command, and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh --test
scripts/setup-venv.sh "github,youtube,ai,marian,app,dev"
scripts/install-whisper.sh   # the optional whisper extra, CPU torch, without triton
scripts/start-services.sh
.venv/bin/ruff check .
.venv/bin/python -m mypy   # pipeline and app, settings in pyproject.toml [tool.mypy]
.venv/bin/python -m pytest -q --cov --cov-report=term --cov-report=xml:coverage.xml "$@"
