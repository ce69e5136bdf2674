"""The compact trainer learns: a small model trained for about half a minute on a real corpus slice beats chance.

Run from the repository root: /usr/bin/python3 -m pytest -q test/training/test_learning.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXCERPT = os.path.join(ROOT, "test", "fixtures", "corpus", "BC5CDR-test-300.tsv")
# Measured here (seeds 1-4, one thread): best dev F1 44-50 after 20 epochs in 27-41 s. A model whose loss does
# not reach the encoder (only the CRF or the output layer trained) stays at 0, as does an untrained one.
MIN_DEV_F1 = 30.0


def test_dev_f1_after_a_short_training_run_is_far_above_an_untrained_model(tmp_path):
    with open(EXCERPT, encoding="utf-8") as f:
        sentences = f.read().strip("\n").split("\n\n")
    # Whole abstracts on each side: the first 240 sentences train, the last 60 (other abstracts) are the dev set.
    for name, part in (("train", sentences[:240]), ("dev", sentences[240:])):
        (tmp_path / f"{name}.tsv").write_text("\n\n".join(part) + "\n", encoding="utf-8")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run(
        [sys.executable, "-m", "training.train", "--train", str(tmp_path / "train.tsv"), "--dev", str(tmp_path / "dev.tsv"),
         "--out", str(tmp_path / "model"), "--preset", "small", "--lr", "0.005", "--epochs", "20", "--max-minutes", "1.5",
         "--threads", "1", "--seed", "1", "--no-quantize", "--log-every", "5"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    epochs = [e["dev"]["f1"] for e in events if e["event"] == "epoch"]
    losses = [e["loss"] for e in events if e["event"] == "step"]
    done = events[-1]
    assert done["event"] == "done", run.stderr
    assert done["dev_f1"] > MIN_DEV_F1, f"dev F1 {done['dev_f1']} after {len(epochs)} epochs: {epochs}"
    # The exported ONNX model scores what the trainer measured.
    export = next(e for e in events if e["event"] == "export")
    assert abs(export["dev"]["f1"] - done["dev_f1"]) < 0.5, (export["dev"], done["dev_f1"])
    head, tail = losses[: len(losses) // 5], losses[-len(losses) // 5:]
    assert sum(tail) / len(tail) < 0.5 * sum(head) / len(head), f"training loss {losses[:3]} … {losses[-3:]}"
