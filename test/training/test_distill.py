"""Distillation: a multi-head teacher's emissions learned by one shared-encoder student, which keeps its CRFs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from test_multitask import ENV, run_multitask
from test_trainer import ROOT, make_corpus, write


def run_distill(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.distill", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


def make_teacher(tmp_path) -> tuple[str, dict]:
    """A two-head multi-task model (chem by default, disease by name) and its corpora."""
    data = {f"{kind}-{split}": write(tmp_path / f"{kind}-{split}.tsv", make_corpus(n, seed, chemicals=kind == "chem"))
            for kind, split, n, seed in (("chem", "train", 80, 3), ("chem", "test", 30, 4),
                                          ("disease", "train", 80, 1), ("disease", "test", 30, 2))}
    base = str(tmp_path / "base")
    subprocess.run([sys.executable, "-m", "training.pretrain", "--text", data["disease-train"], data["chem-train"],
                    "--out", base, "--vocab-size", "200", "--dim", "16", "--epochs", "1"], cwd=ROOT, env=ENV,
                   check=True, capture_output=True)
    teacher = str(tmp_path / "teacher")
    p = run_multitask(["--head", f"chem={data['chem-train']}", "--head", f"disease={data['disease-train']}",
                       "--dev", f"chem={data['chem-test']}", "--dev", f"disease={data['disease-test']}",
                       "--not-default", "disease", "--embeddings", base, "--freeze-embeddings", "--preset", "tiny",
                       "--emb-dim", "16", "--hidden", "16", "--epochs", "6", "--no-quantize", "--out", teacher])
    assert p.returncode == 0, p.stderr
    return teacher, data


def test_the_student_learns_every_head_from_the_teacher_and_keeps_its_crfs(tmp_path):
    teacher, data = make_teacher(tmp_path)
    out, cache = str(tmp_path / "student"), str(tmp_path / "cache")
    args = ["--teacher", teacher, "--text", data["chem-train"], data["disease-train"],
            "--dev", f"chem={data['chem-test']}", "--dev", f"disease={data['disease-test']}",
            "--test", f"chem={data['chem-test']}", "--test", f"disease={data['disease-test']}",
            "--preset", "tiny", "--hidden", "12", "--epochs", "12", "--no-quantize",
            "--cache", cache, "--out", out]
    p = run_distill(args)
    assert p.returncode == 0, p.stderr
    events = [json.loads(line) for line in p.stdout.splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    assert any(e["event"] == "teacher" for e in events), "the teacher ran over the text"

    taught, learned = (json.load(open(os.path.join(d, "config.json"))) for d in (teacher, out))
    assert learned["id2label"] == taught["id2label"]
    for t, s in zip(taught["bioner"]["heads"], learned["bioner"]["heads"]):
        assert (s["name"], s["labels"], s.get("default", True)) == (t["name"], t["labels"], t.get("default", True))
        for k in ("transitions", "start", "end"):
            assert np.allclose(s["crf"][k], t["crf"][k], atol=1e-4), f"{s['name']}: the teacher's CRF {k} is kept"
        # Both heads were learned from the teacher alone (the text's tags are never read).
        assert s["metrics"]["test"]["f1"] > 50, s
    assert learned["bioner"]["architecture"].startswith("distilled")

    import onnx

    graph = onnx.load(os.path.join(out, "onnx", "model.onnx")).graph
    assert [n.op_type for n in graph.node].count("LSTM") == 1
    assert len(os.listdir(cache)) == 1

    # A second run reads the teacher's emissions from the cache.
    p = run_distill(args[:-1] + [str(tmp_path / "again")])
    assert p.returncode == 0, p.stderr
    assert "teacher emissions from" in p.stderr
    assert not any(json.loads(line)["event"] == "teacher" for line in p.stdout.splitlines())


def test_bad_teachers_and_missing_dev_files_are_named(tmp_path):
    text = write(tmp_path / "t.tsv", make_corpus(10, 1))
    p = run_distill(["--teacher", str(tmp_path / "none"), "--text", text, "--dev", f"a={text}", "--out", str(tmp_path / "m")])
    assert p.returncode == 2 and "no config.json" in p.stderr
    teacher, data = make_teacher(tmp_path)
    p = run_distill(["--teacher", teacher, "--text", text, "--dev", f"chem={data['chem-test']}", "--out", str(tmp_path / "m")])
    assert p.returncode == 2 and "no --dev for the head(s) disease" in p.stderr
    p = run_distill(["--teacher", teacher, "--text", text, "--dev", f"chem={data['chem-test']}",
                     "--dev", f"disease={data['chem-test']}", "--out", str(tmp_path / "m")])
    assert p.returncode == 2 and "disease dev has entity types that the training data lacks" in p.stderr
    assert not os.path.exists(tmp_path / "m")
