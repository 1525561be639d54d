#!/usr/bin/env bash
# Installs the optional `whisper` extra (bring-your-own narration) into .venv, CPU only:
# openai-whisper without its triton dependency (999 MB, GPU kernels only) and with the CPU
# build of torch. `pip install 'releasecast[whisper]'` works too but pulls triton and, where
# no CPU wheel is configured, a CUDA torch of several GB.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if $py -c "import whisper, torch" 2>/dev/null; then
  exit 0
fi
# torch first, pinned to the CPU wheel (on this project's machines it lies in pip's find-links)
$py -m pip install -q "torch==2.13.0"
$py -m pip install -q numba tiktoken more-itertools tqdm
$py -m pip install -q --no-deps "openai-whisper>=20240930"
