"""training.char_tables: the char-CNN rewritten as lookup tables gives the convolution's logits, for words shorter
and longer than the character window, padded sequences and padded batches, and batches whose longest word is short
(the tables read only the positions up to it); export_onnx writes the table form."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from training import char_tables  # noqa: E402
from training.export import export_onnx  # noqa: E402
from training.model import ExportModel, Tagger  # noqa: E402
from training.tokenization import WordEncoder, spelling, train_word_tokenizer  # noqa: E402

LABELS = ["O", "B-Chemical", "I-Chemical"]
SENTENCES = [
    ["cisplatin", "nephrotoxicity", "in", "rats"],
    ["hyperphenylalaninemia", "and", "5-fluorouracil-induced", "cardiotoxicity", "of", "a"],
    ["X"],
    ["pneumonoultramicroscopicsilicovolcanoconiosis", "in", "X"],
]


@pytest.fixture(scope="module")
def tagger():
    torch.manual_seed(3)
    tok = train_word_tokenizer([["in", "in", "of", "of", "and", "and", "rats", "rats"]], vocab_size=1000, min_frequency=2)
    tables, chars, words = spelling(tok)
    model = Tagger(tables, len(chars), len(words), LABELS, word_chars=12).eval()
    with torch.no_grad():
        # Trained weights are far from the initial ones; so should the test's be (the padding row stays zero).
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
        model.char_embed.weight[0].zero_()
    encoder = WordEncoder(tok)
    windows = [[tok.token_to_id("[CLS]")] + [i for p in encoder.words(s) for i in p] + [tok.token_to_id("[SEP]")] for s in SENTENCES]
    width = max(len(w) for w in windows)
    ids = np.zeros((len(windows), width), np.int64)
    mask = np.zeros_like(ids)
    for b, w in enumerate(windows):
        ids[b, : len(w)] = w
        mask[b, : len(w)] = 1
    return model, {"input_ids": ids, "attention_mask": mask}


def conv_graph(model, path):
    torch.onnx.export(ExportModel(model).eval(), (torch.tensor([[2, 10, 11, 3]]), torch.ones(1, 4, dtype=torch.long)), str(path),
                      input_names=["input_ids", "attention_mask"], output_names=["logits"], opset_version=17,
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "logits")})
    return onnx.load(str(path))


def logits(model_proto, feeds):
    return ort.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def ops(model_proto):
    return [n.op_type for n in model_proto.graph.node]


def test_tables_give_the_convolutions_logits(tagger, tmp_path):
    model, feeds = tagger
    graph = conv_graph(model, tmp_path / "conv.onnx")
    expected = logits(graph, feeds)
    assert "Conv" in ops(graph)
    assert char_tables.rewrite(graph) == 1
    assert "Conv" not in ops(graph) and "Where" not in [n.op_type for n in graph.graph.node if "conv" in n.name.lower()]
    onnx.checker.check_model(graph)
    np.testing.assert_allclose(logits(graph, feeds), expected, atol=1e-4)
    # Each sentence alone (no padding in its batch) gives its rows of the padded batch.
    for b in range(len(SENTENCES)):
        n = int(feeds["attention_mask"][b].sum())
        alone = {k: v[b : b + 1, :n] for k, v in feeds.items()}
        np.testing.assert_allclose(logits(graph, alone)[0], expected[b, :n], atol=1e-4)
    # With torch's own emissions too.
    with torch.no_grad():
        reference = model.emissions(torch.tensor(feeds["input_ids"]), torch.tensor(feeds["attention_mask"])).numpy()
    np.testing.assert_allclose(logits(graph, feeds), reference, atol=1e-4)


def test_a_graph_without_the_pattern_is_left_alone(tagger, tmp_path):
    model, _ = tagger
    graph = conv_graph(model, tmp_path / "conv.onnx")
    assert char_tables.rewrite(graph) == 1
    before = graph.SerializeToString()
    assert char_tables.rewrite(graph) == 0, "no char-CNN is left to rewrite"
    assert graph.SerializeToString() == before
    # A padding character with an embedding of its own would make the tables wrong at the word's edges.
    with torch.no_grad():
        model.char_embed.weight[0].fill_(0.1)
    try:
        assert char_tables.rewrite(conv_graph(model, tmp_path / "nonzero-padding.onnx")) == 0
    finally:
        with torch.no_grad():
            model.char_embed.weight[0].zero_()


def test_export_writes_the_table_form(tagger, tmp_path):
    model, feeds = tagger
    path = tmp_path / "model.onnx"
    export_onnx(model, str(path), len(LABELS))
    graph = onnx.load(str(path))
    assert "Conv" not in ops(graph)
    with torch.no_grad():
        reference = model.emissions(torch.tensor(feeds["input_ids"]), torch.tensor(feeds["attention_mask"])).numpy()
    np.testing.assert_allclose(logits(graph, feeds), reference, atol=1e-4)

