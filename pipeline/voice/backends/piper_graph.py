"""A Piper voice's graph rewritten so that onnxruntime speaks it with less CPU, the same speech.

VITS' convolutions are one-dimensional ([batch, channels, time]); onnxruntime's CPU provider
runs two-dimensional ones with its blocked (NCHWc) kernels, and one-dimensional ones by a
slower generic path. Each ``Conv``/``ConvTranspose`` with a 3-D weight becomes the same
convolution over [batch, channels, 1, time] (a 1 x k kernel) between an ``Unsqueeze`` and a
``Squeeze``: the same arithmetic, in another order of summation. Measured for
en_US-joe-medium on the demo's 15 sentences, one thread: 2.39 -> 1.92 s of CPU (-20 %), the
audio equal within 1e-4 (noise off). Carrying the 4-D tensors on through the activations
between the convolutions saved nothing more (onnxruntime reorders around each activation).

A rewritten model is used only if it speaks a test phrase as the original does (within
:data:`TOLERANCE`); otherwise the original is kept. Run as a program, in a process of its own
(releasecast's own process never loads onnxruntime), with onnx and onnxruntime only, never
Piper (GPL-3.0-or-later)::

    python piper_graph.py MODEL.onnx OUT.onnx   # releasecast's voice cache
    python piper_graph.py --flat MODEL.onnx     # the Action's image, when it is built

The first writes OUT.onnx: the model (rewritten when that worked and onnx is installed) as
onnxruntime's optimizer leaves it for this machine (``ORT_ENABLE_ALL``: fusions, constant
folding and the blocked layout of this CPU's kernels, so the copy belongs to this kind of CPU:
the cache key names it). Loading that copy costs less CPU than optimizing at each load, and
less memory: optimized at load, the blocked weights are kept beside the original ones (+66 MB
for en_US-joe-medium; the Action's image, whose voice must suit any CPU, pays that). The second
rewrites MODEL.onnx in place, and fails unless the rewrite is used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

# The rewrite's version: a cached copy made by another one is made again.
VERSION = 3
# The largest difference allowed between the two models' audio samples (full scale is 1).
TOLERANCE = 1e-3
_AXIS = "releasecast__axis2"
# Each per-dimension attribute's value for the new leading dimension of size 1.
_NEW_DIMENSION = {"kernel_shape": 1, "strides": 1, "dilations": 1, "output_padding": 0,
                  "output_shape": 1}
# A short phrase as Piper phoneme ids (^, then phonemes between pads, then $): any ids below
# the voice's alphabet size make audio; the noise is turned off, so both models must agree.
_PHRASE = [1, 0, 20, 0, 14, 0, 32, 0, 25, 0, 3, 0, 39, 0, 18, 0, 27, 0, 2]


def conv1d_as_2d(model: Any) -> int:
    """Rewrites ``model`` (an ``onnx.ModelProto``) in place; returns how many convolutions
    now run in two dimensions."""
    import numpy as np
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    nodes: list[Any] = []
    rewritten = 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type in ("Conv", "ConvTranspose") \
            and len(node.input) > 1 else None
        if weight is None or len(weight.dims) != 3:
            nodes.append(node)
            continue
        kernel = numpy_helper.to_array(weight)
        weight.CopyFrom(numpy_helper.from_array(kernel[:, :, None, :], weight.name))
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        attributes.setdefault("kernel_shape", [kernel.shape[2]])
        for name, leading in _NEW_DIMENSION.items():
            if name in attributes:
                attributes[name] = [leading, *attributes[name]]
        if "pads" in attributes:  # all begins, then all ends: [0, begin, 0, end]
            begin, end = attributes["pads"]
            attributes["pads"] = [0, begin, 0, end]
        flat_in, flat_out = f"{node.output[0]}__in2d", f"{node.output[0]}__out2d"
        nodes += [
            helper.make_node("Unsqueeze", [node.input[0], _AXIS], [flat_in],
                             name=f"{node.name}__unsqueeze"),
            helper.make_node(node.op_type, [flat_in, *node.input[1:]], [flat_out],
                             name=node.name, **attributes),
            helper.make_node("Squeeze", [flat_out, _AXIS], [node.output[0]],
                             name=f"{node.name}__squeeze"),
        ]
        rewritten += 1
    if rewritten:
        graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), _AXIS))
        del graph.node[:]
        graph.node.extend(nodes)
        del graph.value_info[:]  # shapes inferred for the 1-D convolutions no longer hold
    return rewritten


def same_speech(original: Path, rewritten: Path) -> bool:
    """Whether both models speak :data:`_PHRASE` alike (a model without Piper's inputs: no)."""
    import numpy as np
    import onnxruntime

    outputs = []
    for path in (original, rewritten):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
        names = {argument.name for argument in session.get_inputs()}
        if not {"input", "input_lengths", "scales"} <= names <= {"input", "input_lengths",
                                                                 "scales", "sid"}:
            return False
        feed = {"input": np.array([_PHRASE], dtype=np.int64),
                "input_lengths": np.array([len(_PHRASE)], dtype=np.int64),
                "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32)}
        if "sid" in names:
            feed["sid"] = np.array([0], dtype=np.int64)
        outputs.append(session.run(None, feed)[0])
    first, second = outputs
    return bool(first.shape == second.shape and first.size > 0
                and float(np.abs(first - second).max()) <= TOLERANCE)


def rewritten_copy(model: Path, out: Path) -> Path:
    """``out``: ``model`` with its convolutions in two dimensions, when onnx is installed and
    the copy speaks alike; else ``model``."""
    try:
        import onnx
    except ImportError:
        return model
    loaded = onnx.load(str(model))
    if conv1d_as_2d(loaded) == 0:
        return model
    onnx.save(loaded, str(out))
    if same_speech(model, out):
        return out
    out.unlink()
    return model


def optimize(model: Path, out: Path) -> None:
    """Write ``out``: the rewritten (or original) model as onnxruntime's optimizer leaves it."""
    import onnxruntime

    flat = out.with_name(f".{out.stem}.2d.onnx")
    try:
        source = rewritten_copy(model, flat)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.optimized_model_filepath = str(out)
        onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    finally:
        if flat.exists():
            os.unlink(flat)


def _rewrite_in_place(model: Path) -> None:
    flat = model.with_name(f".{model.name}.2d")
    if rewritten_copy(model, flat) != flat:
        sys.exit(f"{model}: its convolutions were not rewritten (no onnx, none found, or the "
                 "rewritten copy did not speak alike)")
    os.replace(flat, model)


if __name__ == "__main__":
    if sys.argv[1] == "--flat":
        _rewrite_in_place(Path(sys.argv[2]))
    else:
        optimize(Path(sys.argv[1]), Path(sys.argv[2]))
