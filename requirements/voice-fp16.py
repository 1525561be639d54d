"""Stores a Piper voice's float32 weights as float16, each followed by a Cast back to float32.

The file halves (63 -> 32 MB for en_US-joe-medium) while the graph onnxruntime runs stays the
float32 one: its constant folding turns every Cast of a weight into a float32 weight when the
session loads, so no float16 arithmetic and no casts are left at synthesis time. Measured for
the bundled voice (docs/action.md, "How big it is"): same synthesis CPU time, DNSMOS within
0.02 of the float32 file. Run by requirements/trim-venv.sh with the build stage's onnx:
    python requirements/voice-fp16.py MODEL.onnx
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from onnx import TensorProto, helper, numpy_helper

# Smaller tensors save nothing worth a node; larger values than this are infinite in float16.
MIN_ELEMENTS = 64
FLOAT16_MAX = 65504.0


def halve(model: onnx.ModelProto) -> int:
    """Rewrites ``model`` in place; returns how many weights were stored as float16."""
    graph = model.graph
    initializers: list[onnx.TensorProto] = []
    casts: list[onnx.NodeProto] = []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor) if tensor.data_type == TensorProto.FLOAT else None
        if values is None or values.size < MIN_ELEMENTS or \
                float(np.abs(values).max()) > FLOAT16_MAX:
            initializers.append(tensor)
            continue
        stored = numpy_helper.from_array(values.astype(np.float16), f"{tensor.name}__float16")
        initializers.append(stored)
        casts.append(helper.make_node("Cast", [stored.name], [tensor.name],
                                      name=f"{tensor.name}__to_float32", to=TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.initializer[:], graph.node[:]
    graph.initializer.extend(initializers)
    graph.node.extend(casts + nodes)  # the casts first: the graph stays topologically sorted
    return len(casts)


def main(path: Path) -> None:
    try:
        model = onnx.load(str(path))
    except (OSError, DecodeError) as exc:
        sys.exit(f"{path}: not an ONNX model ({exc})")
    if halve(model) == 0:
        sys.exit(f"{path}: no float32 weights to store as float16")
    partial = path.with_name(f".{path.name}.fp16")
    onnx.save(model, str(partial))
    os.replace(partial, path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: voice-fp16.py MODEL.onnx")
    main(Path(sys.argv[1]))
