"""Multi-task trainer: one shared encoder, one CRF head per corpus, in the multi-head folder layout."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from test_trainer import ROOT, make_corpus, write

ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_multitask(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.multitask", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_one_encoder_feeds_a_crf_head_per_corpus(tmp_path):
    disease = {s: write(tmp_path / f"disease-{s}.tsv", make_corpus(n, seed)) for s, n, seed in (("train", 80, 1), ("test", 30, 2))}
    chem = {s: write(tmp_path / f"chem-{s}.tsv", make_corpus(n, seed, chemicals=True)) for s, n, seed in (("train", 80, 3), ("test", 30, 4))}
    base = str(tmp_path / "base")
    subprocess.run([sys.executable, "-m", "training.pretrain", "--text", disease["train"], chem["train"], "--out", base,
                    "--vocab-size", "200", "--dim", "16", "--epochs", "1"], cwd=ROOT, env=ENV, check=True,
                   capture_output=True)
    out = str(tmp_path / "model")
    p = run_multitask(["--head", f"chem={chem['train']}", "--head", f"disease={disease['train']}",
                       "--dev", f"chem={chem['test']}", "--dev", f"disease={disease['test']}",
                       "--test", f"chem={chem['test']}", "--test", f"disease={disease['test']}",
                       "--not-default", "disease", "--embeddings", base, "--freeze-embeddings", "--preset", "tiny",
                       "--emb-dim", "16", "--hidden", "16", "--epochs", "6", "--no-quantize", "--out", out])
    assert p.returncode == 0, p.stderr
    events = [json.loads(line) for line in p.stdout.splitlines()]
    assert [e["event"] for e in events][0] == "start" and events[-1]["event"] == "done"
    assert set(next(e for e in events if e["event"] == "epoch")["dev"]) == {"precision", "recall", "f1"}

    cfg = json.load(open(os.path.join(out, "config.json")))
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    assert labels == ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease", "O", "B-Disease", "I-Disease"]
    heads = cfg["bioner"]["heads"]
    assert [(h["name"], h["labels"], h.get("default", True)) for h in heads] == [
        ("chem", [0, 1, 2, 3, 4], True), ("disease", [5, 6, 7], False)]
    assert np.array(heads[0]["crf"]["transitions"]).shape == (5, 5)
    assert np.array(heads[1]["crf"]["transitions"]).shape == (3, 3)
    # Both heads learned their own corpus through the one encoder.
    assert heads[0]["metrics"]["test"]["f1"] > 60 and heads[1]["metrics"]["test"]["f1"] > 60, heads

    import onnx

    graph = onnx.load(os.path.join(out, "onnx", "model.onnx")).graph
    assert [n.op_type for n in graph.node].count("LSTM") == 1, "one BiLSTM runs for every head"
    card = open(os.path.join(out, "README.md"), encoding="utf-8").read()
    assert "| disease | Disease | no (`--heads`) |" in card


def test_every_head_needs_a_dev_file(tmp_path):
    train = write(tmp_path / "t.tsv", make_corpus(10, 1))
    p = run_multitask(["--head", f"a={train}", "--head", f"b={train}", "--dev", f"a={train}",
                       "--embeddings", str(tmp_path), "--out", str(tmp_path / "m")])
    assert p.returncode == 2 and "no --dev for the head(s) b" in p.stderr
    p = run_multitask(["--head", f"a={train}", "--dev", f"a={train}", "--not-default", "a",
                       "--embeddings", str(tmp_path), "--out", str(tmp_path / "m")])
    assert p.returncode == 2 and "every head is --not-default" in p.stderr
    assert not os.path.exists(tmp_path / "m")
