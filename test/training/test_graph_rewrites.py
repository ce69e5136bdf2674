"""training.half_lookups, training.export.quantize and `python3 -m training.graph_rewrites`: large lookup tables in
float16 with the same labels, an int8 graph whose lookups and logit projections stay float, and an older folder
brought to the export's form."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from training import graph_rewrites, half_lookups  # noqa: E402
from training.export import quantize  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_MODEL = ROOT / "test" / "fixtures" / "model"


class Tiny(torch.nn.Module):
    """A word table big enough for float16 (1,000 × 80), a small one that is not, an LSTM and a projection."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.words = torch.nn.Embedding(1000, 80)
        self.shapes = torch.nn.Embedding(20, 8)
        self.lstm = torch.nn.LSTM(88, 32, batch_first=True, bidirectional=True)
        self.out = torch.nn.Linear(64, 5)

    def forward(self, ids):
        x = torch.cat([self.words(ids), self.shapes(ids % 20)], dim=-1)
        return self.out(self.lstm(x)[0])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model.onnx"
    model = Tiny().eval()
    ids = torch.randint(0, 1000, (4, 9))
    torch.onnx.export(model, (ids,), str(path), input_names=["ids"], output_names=["logits"], opset_version=17,
                      dynamic_axes={"ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    return path, {"ids": ids.numpy()}


def run(graph, feeds):
    data = graph.SerializeToString() if hasattr(graph, "SerializeToString") else str(graph)
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def table_types(graph):
    return {t.name: t.data_type for t in graph.graph.initializer if len(t.dims) == 2}


def test_half_lookups_store_the_large_table_in_float16(tiny):
    path, feeds = tiny
    graph = onnx.load(str(path))
    expected = run(graph, feeds)
    assert half_lookups.rewrite(graph) == 1
    onnx.checker.check_model(graph)
    types = table_types(graph)
    assert types["words.weight"] == onnx.TensorProto.FLOAT16
    assert types["shapes.weight"] == onnx.TensorProto.FLOAT, "a small table is not worth a Cast"
    got = run(graph, feeds)
    assert graph_rewrites.logit_error(expected, got) < graph_rewrites.LOGIT_TOLERANCE
    assert (got.argmax(-1) == expected.argmax(-1)).all()
    assert half_lookups.rewrite(graph) == 0, "nothing is left to store in float16"


def test_a_table_read_by_arithmetic_stays_float32(tiny):
    """A table that a MatMul also reads (tied weights) would lose precision where it is multiplied."""
    path, _ = tiny
    graph = onnx.load(str(path))
    from onnx import helper

    graph.graph.node.append(helper.make_node("MatMul", ["ids_float", "words.weight"], ["tied"]))
    assert half_lookups.rewrite(graph) == 0
    assert table_types(graph)["words.weight"] == onnx.TensorProto.FLOAT


def test_int8_quantizes_the_arithmetic_only(tiny, tmp_path):
    path, feeds = tiny
    graph = onnx.load(str(path))
    half_lookups.rewrite(graph)
    onnx.save(graph, str(tmp_path / "float.onnx"))
    quantize(str(tmp_path / "float.onnx"), str(tmp_path / "int8.onnx"))
    int8 = onnx.load(str(tmp_path / "int8.onnx"))
    ops = [n.op_type for n in int8.graph.node]
    assert "DynamicQuantizeLSTM" in ops and "LSTM" not in ops
    assert "DequantizeLinear" not in ops, "the lookups stay as they are"
    assert "MatMul" in ops and "MatMulInteger" not in ops, "the projection to the logits stays float"
    float_logits, int8_logits = run(graph, feeds), run(int8, feeds)
    error = np.abs(int8_logits - float_logits).mean()
    assert error < 0.05 * float_logits.std(), f"int8 logits off by {error} on average"


def test_the_command_brings_an_older_folder_to_the_export_form(tmp_path, capsys):
    """The test model was exported before the char tables and float16: a convolution, a float32 word table and an
    int8 graph that quantized everything."""
    folder = tmp_path / "model"
    shutil.copytree(FIXTURE_MODEL, folder)
    before = onnx.load(str(folder / "onnx" / "model.onnx"))
    assert "Conv" in [n.op_type for n in before.graph.node]
    assert graph_rewrites.main([str(folder)]) == 0
    after = onnx.load(str(folder / "onnx" / "model.onnx"))
    assert "Conv" not in [n.op_type for n in after.graph.node]
    assert table_types(after)["tagger.embed.weight"] == onnx.TensorProto.FLOAT16
    int8_ops = [n.op_type for n in onnx.load(str(folder / "onnx" / "model_quantized.onnx")).graph.node]
    assert "ConvInteger" not in int8_ops and "DequantizeLinear" not in int8_ops and "DynamicQuantizeLSTM" in int8_ops
    ids, mask = graph_rewrites.sample_batch(str(folder))
    feeds = {"input_ids": ids, "attention_mask": mask}
    assert graph_rewrites.logit_error(run(before, feeds), run(after, feeds)) < graph_rewrites.LOGIT_TOLERANCE
    assert "1 char-CNN(s) as lookup tables, 1 table(s) stored in float16" in capsys.readouterr().out
    unchanged = (folder / "onnx" / "model.onnx").read_bytes()
    assert graph_rewrites.main([str(folder)]) == 0
    assert "already in the export's form" in capsys.readouterr().out
    assert (folder / "onnx" / "model.onnx").read_bytes() == unchanged
