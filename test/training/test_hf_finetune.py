"""Mode (b) tests: a tiny, randomly initialised BERT checkpoint built here (no download) fine-tuned with LoRA.

Run from the repository root: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -m pytest -q test/training
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from training import hf_finetune as hf  # noqa: E402

CHEMICALS = [["aspirin"], ["naloxone"], ["cisplatin"], ["lithium", "carbonate"]]
DISEASES = [["cancer"], ["diabetes"], ["breast", "carcinoma"], ["Alzheimer", "disease"]]
FILLER = "the patients with a history of were treated using and showed no signs in this study".split()
# Spelled with single '##' characters by the tokenizer below: several pieces per word.
RARE = {"naloxone", "carcinoma", "Alzheimer"}


def sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = []
        for _ in range(rng.randint(1, 2)):
            for typ, pool in (("Chemical", CHEMICALS), ("Disease", DISEASES)):
                words += [(w, "O") for w in rng.sample(FILLER, rng.randint(1, 3))]
                words += [(w, ("B-" if i == 0 else "I-") + typ) for i, w in enumerate(rng.choice(pool))]
        out.append(words + [(".", "O")])
    return out


def write_bio(path, sents) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join("\n".join(f"{w}\t{t}" for w, t in s) + "\n" for s in sents))
    return str(path)


def build_bert(folder, words: set[str]) -> None:
    """A BERT checkpoint as a hub folder holds it: config.json, model.safetensors (BertForMaskedLM, random weights),
    tokenizer.json + tokenizer_config.json + special_tokens_map.json (WordPiece over the given words)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast, logging

    logging.set_verbosity_error()

    chars = sorted({c for w in words for c in w})
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = special + chars + ["##" + c for c in chars] + sorted(words - RARE - set(chars))
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = BertTokenizerFast(tokenizer_object=tok, do_lower_case=False, model_max_length=64, unk_token="[UNK]",
                             sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]")
    config = BertConfig(vocab_size=len(pieces), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    model = BertForMaskedLM(config)
    with torch.no_grad():
        # Words drawn wider than positions (both N(0, 0.02) by default), so that a random 32-d encoder keeps word
        # identity apart from position and the data is learnt within a few epochs, as a pretrained model would.
        model.bert.embeddings.word_embeddings.weight.mul_(5)
    model.save_pretrained(str(folder))
    fast.save_pretrained(str(folder))


def digest(folder) -> dict:
    out = {}
    for d, _, names in os.walk(folder):
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                out[os.path.relpath(os.path.join(d, n), folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def trainer(args: list[str], **kw) -> subprocess.Popen:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-m", "training.train", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def run_trainer(args: list[str], timeout: float = 90) -> tuple[int, list[dict], str]:
    p = trainer(args)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("hf")
    train, dev = sentences(100, 1), sentences(12, 2)
    # One dev sentence longer than the checkpoint's 64 positions: windowed.
    dev.append([(w, "O") for w in FILLER * 4] + [("aspirin", "B-Chemical"), ("cancer", "B-Disease"), (".", "O")])
    words = {w for s in train + dev for w, _ in s}
    build_bert(d / "bert", words)
    return {"dir": d, "base": str(d / "bert"), "train": write_bio(d / "train.tsv", train),
            "dev": write_bio(d / "dev.tsv", dev)}


@pytest.fixture(scope="module")
def trained(data):
    out = str(data["dir"] / "models" / "lora")
    before = {"base": digest(data["base"]), "train": digest(data["dir"])["train.tsv"]}
    rc, events, err = run_trainer(["--base", data["base"], "--train", data["train"], "--dev", data["dev"], "--test",
                                   data["dev"], "--out", out, "--epochs", "6", "--lr", "0.01", "--batch-size", "8",
                                   "--log-every", "4", "--seed", "3"])
    assert rc == 0, err
    return {"out": out, "events": events, "before": before}


def test_events(trained):
    ev = trained["events"]
    kinds = [e["event"] for e in ev]
    assert kinds[0] == "start" and kinds[-1] == "done" and "export" in kinds and "error" not in kinds
    start = ev[0]
    assert start["mode"] == "b" and start["method"] == "lora" and start["model_type"] == "bert"
    assert start["max_length"] == 64  # the checkpoint's positions, below --max-length 256
    assert 0 < start["trainable_parameters"] < 0.5 * start["parameters"]
    steps = [e for e in ev if e["event"] == "step"]
    assert steps and all(isinstance(e["loss"], float) for e in steps)
    epochs = [e for e in ev if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    assert all(set(e["dev"]) == {"precision", "recall", "f1"} for e in epochs)
    export = next(e for e in ev if e["event"] == "export")
    assert export["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    assert export["torch_max_diff"] < 1e-4 and export["padding_max_diff"] < 1e-4
    done = ev[-1]
    assert done["out"] == trained["out"] and done["dev_f1"] >= 90, ev  # the trivial data is learnt
    assert done["test_f1"] == done["dev_f1"]


def test_folder(trained, data):
    out = trained["out"]
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "README.md", "onnx/model.onnx"):
        assert os.path.isfile(os.path.join(out, name)), name
    cfg = json.load(open(os.path.join(out, "config.json")))
    labels = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    assert cfg["model_type"] == "bert" and cfg["id2label"] == {str(i): l for i, l in enumerate(labels)}
    assert cfg["label2id"] == {l: i for i, l in enumerate(labels)}
    assert cfg["architectures"] == ["BertForTokenClassification"]
    b = cfg["bioner"]
    assert b["decoder"] == "argmax" and b["word_alignment"] == "first_subword" and b["max_length"] == 64
    assert "crf" not in b and b["metrics"]["dev"]["f1"] >= 90
    assert b["training"]["hyper"]["lora_r"] == 16 and b["training"]["hyper"]["lora_alpha"] == 32
    with open(os.path.join(out, "tokenizer.json"), "rb") as f, open(os.path.join(data["base"], "tokenizer.json"), "rb") as g:
        assert f.read() == g.read()
    card = open(os.path.join(out, "README.md"), encoding="utf-8").read()
    assert "LoRA (r=16, alpha=32, dropout=0.05)" in card and "parameters trained" in card and "test (onnx float)" in card
    assert [n for n in os.listdir(os.path.dirname(out)) if ".tmp-" in n] == []


def test_inputs_unchanged(trained, data):
    assert digest(data["base"]) == trained["before"]["base"]
    assert digest(data["dir"])["train.tsv"] == trained["before"]["train"]


def test_onnx_graph_contract(trained):
    import onnxruntime as ort

    sess = ort.InferenceSession(os.path.join(trained["out"], "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    assert all(isinstance(d, str) for i in sess.get_inputs() for d in i.shape), "batch and sequence axes are dynamic"
    (out,) = sess.get_outputs()
    assert out.name == "logits" and out.shape[2] == 5


def test_word_alignment(data):
    enc = hf.SubwordEncoder(os.path.join(data["base"], "tokenizer.json"))
    words = ["the", "naloxone", "and", "Alzheimer", "disease"]
    pieces = enc.words(words)
    assert len(pieces[1]) == len("naloxone") and len(pieces[2]) == 1  # a rare word is spelled, a frequent one whole
    whole = enc.tok.encode(" ".join(words))
    assert whole.ids == [enc.cls] + [i for p in pieces for i in p] + [enc.sep]
    from training.predict import Encoded

    e = Encoded(pieces, [0, 1, 0, 3, 4], 62, 4, enc.cls, enc.sep)
    (ids, pos), = e.inputs
    ids_t, pos_t = torch.tensor([ids]), torch.tensor([pos])
    labels = hf.label_tensor(ids_t, pos_t, torch.tensor([[0, 1, 0, 3, 4]]), torch.ones(1, 5, dtype=torch.bool))
    expected = [-100] * len(ids)
    for p, t in zip(pos, [0, 1, 0, 3, 4]):
        expected[p] = t
    assert labels[0].tolist() == expected and pos == [1, 2, 10, 11, 20]


def test_byte_level_words_get_their_space(tmp_path):
    """RoBERTa-style tokenizers: words after the first are encoded with a leading space, as in running text."""
    from training.make_hf_fixtures import byte_bpe

    tok = byte_bpe(["the patients were treated with aspirin and naloxone"] * 4)
    tok.save(str(tmp_path / "tokenizer.json"))
    enc = hf.SubwordEncoder(str(tmp_path / "tokenizer.json"))
    words = ["treated", "with", "aspirin"]
    assert enc.space_marked
    assert [i for p in enc.words(words) for i in p] == tok.encode(" ".join(words), add_special_tokens=False).ids


def test_lora_trains_adapters_and_head_only(data, tmp_path):
    """The real loop (fit) with mode (b)'s step moves only LoRA matrices and the classifier; merging folds them into
    query/value; the exported graph of the merged model gives torch's logits."""
    from training.data import read_bio
    from training.loop import Ranks, fit
    from training.predict import encode
    from training.progress import Events

    labels = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    enc = hf.SubwordEncoder(os.path.join(data["base"], "tokenizer.json"))
    train = encode(read_bio(data["train"]), enc, {l: i for i, l in enumerate(labels)}, {}, 64, 4)
    torch.manual_seed(0)
    core = hf.add_lora(hf.load_model(data["base"], labels), "bert", 16, 32, 0.05)
    before = {n: p.detach().clone() for n, p in core.named_parameters()}
    args = SimpleNamespace(seed=1, epochs=1, max_steps=3, max_minutes=None, log_every=100, eval_every=None,
                           patience=5, select="best")
    hp = {"lr": 0.01, "batch_size": 8, "weight_decay": 0.01, "max_grad_norm": 1.0}
    ranks = Ranks({})
    ranks.device = torch.device("cpu")
    steps = hf.finetune_steps(core, ranks, hp, args, train, lambda: {"f1": 1.0, "precision": 1.0, "recall": 1.0},
                              hf.contextlib.nullcontext)
    res = fit(steps, args, Events(enabled=False), ranks, time.time())
    assert res.step == 3 and res.stop_reason == "max-steps"
    changed = {n for n, p in core.named_parameters() if not torch.equal(p, before[n])}
    trainable = {n for n, p in core.named_parameters() if p.requires_grad}
    assert changed and changed <= trainable
    assert all("lora_" in n or "modules_to_save" in n for n in trainable)
    assert any("lora_B" in n for n in changed) and any("classifier.modules_to_save" in n for n in changed)
    n_train, n_all = hf.parameter_counts(core)
    assert n_train < 0.5 * n_all

    base_q = before["base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.weight"]
    base_k = before["base_model.model.bert.encoder.layer.0.attention.self.key.weight"]
    merged = core.merge_and_unload().eval()
    attn = merged.bert.encoder.layer[0].attention.self
    assert not torch.equal(attn.query.weight, base_q) and torch.equal(attn.key.weight, base_k)
    assert type(merged).__name__ == "BertForTokenClassification"

    path = str(tmp_path / "model.onnx")
    samples = [e.inputs[0][0] for e in train[:4]]
    assert hf.export_onnx(merged, path, samples[:2]) == ["input_ids", "attention_mask", "token_type_ids"]
    from training.export import onnx_runner, session

    run = onnx_runner(session(path))
    pad_diff, torch_diff = hf.check_graph(merged, run, samples + [[enc.cls, enc.sep]])
    assert pad_diff < 1e-4 and torch_diff < 1e-4
    got = run(samples)
    want = hf.torch_runner(merged, torch.device("cpu"), hf.contextlib.nullcontext)(samples)
    for b, s in enumerate(samples):
        np.testing.assert_allclose(got[b, : len(s)], want[b, : len(s)], atol=1e-4)


def test_full_fine_tuning_stops_at_max_minutes(data, tmp_path):
    out = tmp_path / "full"
    rc, ev, err = run_trainer(["--base", data["base"], "--train", data["train"], "--dev", data["dev"], "--out", str(out),
                               "--full", "--epochs", "100000", "--patience", "100000", "--max-minutes", "0.04",
                               "--no-quantize", "--log-every", "1000"])
    assert rc == 0, err
    start = ev[0]
    assert start["method"] == "full" and start["trainable_parameters"] == start["parameters"]
    assert ev[-1]["event"] == "done" and (out / "onnx" / "model.onnx").is_file()
    assert not (out / "onnx" / "model_quantized.onnx").exists()
    cfg = json.load(open(out / "config.json"))
    assert cfg["bioner"]["training"]["stop_reason"] == "max-minutes" and cfg["bioner"]["training"]["hyper"]["method"] == "full"


def test_sigterm_leaves_nothing(data, tmp_path):
    out = tmp_path / "model"
    p = trainer(["--base", data["base"], "--train", data["train"], "--dev", data["dev"], "--out", str(out),
                 "--epochs", "100000", "--patience", "100000", "--log-every", "1"])
    try:
        deadline = time.time() + 60
        for line in p.stdout:
            if json.loads(line)["event"] == "step":
                break
            assert time.time() < deadline
        p.send_signal(signal.SIGTERM)
        rest, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 143
    last = json.loads(rest.strip().splitlines()[-1])
    assert last["event"] == "error" and "SIGTERM" in last["message"]
    assert not out.exists() and [n for n in os.listdir(tmp_path) if n.startswith(".model")] == []


@pytest.mark.parametrize("damage, message", [
    ("no-config", "no config.json"),
    ("gpt2", "model_type 'gpt2' is not supported"),
    ("no-tokenizer", "no tokenizer.json"),
    ("no-weights", "no PyTorch weights"),
])
def test_bad_base(data, tmp_path, damage, message):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(data["base"], base)
    if damage == "no-config":
        os.remove(base / "config.json")
    elif damage == "gpt2":
        cfg = json.load(open(base / "config.json"))
        json.dump({**cfg, "model_type": "gpt2"}, open(base / "config.json", "w"))
    else:
        os.remove(base / {"no-tokenizer": "tokenizer.json", "no-weights": "model.safetensors"}[damage])
    out = tmp_path / "out"
    rc, ev, _ = run_trainer(["--base", str(base), "--train", data["train"], "--dev", data["dev"], "--out", str(out)])
    assert rc == 2 and ev[-1]["event"] == "error" and ev[-1]["kind"] == "input"
    assert message in ev[-1]["message"] and str(base) in ev[-1]["message"]
    assert not out.exists()
