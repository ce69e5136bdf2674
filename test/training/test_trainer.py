"""Trainer tests: a tiny model trained for a few steps on BIO files written here.

Run from the repository root: /usr/bin/python3 -m pytest -q test/training
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

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

from training.metrics import chunks, score  # noqa: E402
from training.predict import owner, windows  # noqa: E402

DISEASES = [["diabetes"], ["breast", "cancer"], ["Alzheimer", "disease"], ["ataxia", "-", "telangiectasia"],
            ["myotonic", "dystrophy"], ["DM"], ["colorectal", "carcinoma"], ["hemophilia", "A"]]
CHEMICALS = [["aspirin"], ["naloxone"], ["cisplatin"], ["lithium", "carbonate"]]
FILLER = "the patients with a history of were treated using and showed no signs in this study".split()


def make_corpus(n: int, seed: int, chemicals: bool = False) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        words: list[tuple[str, str]] = []
        for _ in range(rng.randint(1, 3)):
            words += [(w, "O") for w in rng.sample(FILLER, rng.randint(1, 4))]
            kinds = [("Disease", DISEASES)] + ([("Chemical", CHEMICALS)] if chemicals else [])
            typ, pool = rng.choice(kinds)
            ent = rng.choice(pool)
            words += [(w, ("B-" if i == 0 else "I-") + typ) for i, w in enumerate(ent)]
        words.append((".", "O"))
        lines += [f"{w}\t{t}" for w, t in words] + [""]
    return "\n".join(lines)


def write_train_dev(directory, train: int, dev: int) -> dict[str, str]:
    """A made-up train and dev file of `train` and `dev` sentences in `directory`, by path."""
    paths = {}
    for name, n, seed in (("train", train, 1), ("dev", dev, 2)):
        paths[name] = str(directory / f"{name}.tsv")
        with open(paths[name], "w", encoding="utf-8") as f:
            f.write(make_corpus(n, seed))
    return paths


def run_trainer(args: list[str], timeout: float = 60) -> tuple[int, list[dict], str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-m", "training.train", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=timeout)
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, events, p.stderr


def sha(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    paths = write_train_dev(tmp_path_factory.mktemp("data"), 60, 15)
    # One long sentence that needs several windows at --max-length 24.
    with open(paths["dev"], "a", encoding="utf-8") as f:
        f.write("\n".join(f"{w}\tO" for w in FILLER * 3) + "\ndiabetes\tB-Disease\n.\tO\n")
    return paths


@pytest.fixture(scope="module")
def trained(files, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("models") / "tiny")
    before = {k: sha(v) for k, v in files.items()}
    rc, events, stderr = run_trainer([
        "--train", files["train"], "--dev", files["dev"], "--out", out, "--preset", "tiny", "--epochs", "2",
        "--log-every", "5", "--max-length", "24", "--window-overlap", "4", "--seed", "3",
        "--pretrain-text", files["train"], "--pretrain-epochs", "1",
    ])
    assert rc == 0, stderr
    return {"out": out, "events": events, "stderr": stderr, "before": before}


def test_folder_layout(trained):
    out = trained["out"]
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "README.md", "onnx/model.onnx"):
        assert os.path.isfile(os.path.join(out, name)), name
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["model_type"] == "bert"
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    assert labels == ["O", "B-Disease", "I-Disease"]
    assert cfg["label2id"] == {l: i for i, l in enumerate(labels)}
    b = cfg["bioner"]
    assert b["scheme"] == "IOB2" and b["decoder"] == "crf" and b["max_length"] == 24
    assert b["architecture"] and b["word_alignment"] == "first_subword"
    crf = b["crf"]
    assert np.array(crf["transitions"]).shape == (3, 3)
    assert len(crf["start"]) == 3 and len(crf["end"]) == 3
    assert crf["transitions"][0][2] <= -1000  # O -> I-Disease is invalid in IOB2
    assert crf["start"][2] <= -1000  # a sentence cannot start with I-
    tc = json.load(open(os.path.join(out, "tokenizer_config.json")))
    assert tc["tokenizer_class"] == "BertTokenizer" and tc["do_lower_case"] is False
    card = open(os.path.join(out, "README.md"), encoding="utf-8").read()
    assert "F1" in card and "Licence" in card
    # No temporary folder is left beside the output.
    assert [n for n in os.listdir(os.path.dirname(out)) if ".tmp-" in n] == []


def test_tokenizer_round_trip(trained):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(trained["out"], "tokenizer.json"))
    enc = tok.encode("breast cancer", add_special_tokens=True)
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    assert tok.token_to_id("[PAD]") == 0
    # Cased: upper and lower case differ.
    assert tok.encode("DM", add_special_tokens=False).ids != tok.encode("dm", add_special_tokens=False).ids


def test_progress_events(trained):
    ev = trained["events"]
    kinds = [e["event"] for e in ev]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert "export" in kinds and "pretrain" in kinds and "error" not in kinds
    steps = [e for e in ev if e["event"] == "step"]
    assert steps and all(isinstance(e["step"], int) and isinstance(e["loss"], float) for e in steps)
    epochs = [e for e in ev if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    for e in epochs:
        assert set(e["dev"]) == {"precision", "recall", "f1"}
    done = ev[-1]
    assert done["out"] == trained["out"] and isinstance(done["dev_f1"], float)
    exp = next(e for e in ev if e["event"] == "export")
    assert exp["padding_max_diff"] < 1e-4


def test_onnx_graph_and_padding(trained):
    import onnxruntime as ort

    sess = ort.InferenceSession(os.path.join(trained["out"], "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    ins = {i.name: i for i in sess.get_inputs()}
    assert set(ins) == {"input_ids", "attention_mask"}
    for i in ins.values():
        assert i.type == "tensor(int64)" and len(i.shape) == 2
        assert all(isinstance(d, str) for d in i.shape), "batch and sequence axes must be dynamic"
    (out,) = sess.get_outputs()
    assert out.name == "logits" and out.type == "tensor(float)"
    assert out.shape[2] == 3
    a = [2, 7, 8, 9, 10, 3]
    b = [2, 11, 3]
    c = [2] + list(range(5, 25)) + [3]
    alone = sess.run(None, {"input_ids": np.array([a]), "attention_mask": np.ones((1, len(a)), np.int64)})[0]
    S = len(c)
    ids = np.zeros((3, S), np.int64)
    am = np.zeros((3, S), np.int64)
    for k, seq in enumerate((a, b, c)):
        ids[k, : len(seq)] = seq
        am[k, : len(seq)] = 1
    batch = sess.run(None, {"input_ids": ids, "attention_mask": am})[0]
    assert batch.shape == (3, S, 3) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[0, : len(a)], alone[0], atol=1e-5)


def test_inputs_unchanged(trained, files):
    assert {k: sha(v) for k, v in files.items()} == trained["before"]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return str(path)


def test_bad_input(tmp_path, files):
    out = str(tmp_path / "out")
    empty = write(tmp_path / "empty.tsv", "\n\n")
    rc, ev, _ = run_trainer(["--train", empty, "--dev", files["dev"], "--out", out])
    assert rc == 2 and ev[-1]["event"] == "error" and "empty" in ev[-1]["message"] and empty in ev[-1]["message"]

    bad = write(tmp_path / "bad.tsv", "aspirin\tO\nno-tag-here\n")
    rc, ev, _ = run_trainer(["--train", bad, "--dev", files["dev"], "--out", out])
    assert rc == 2 and f"{bad}:2" in ev[-1]["message"] and "malformed" in ev[-1]["message"]

    badtag = write(tmp_path / "badtag.tsv", "aspirin\tB_Chemical\n")
    rc, ev, _ = run_trainer(["--train", files["train"], "--dev", badtag, "--out", out])
    assert rc == 2 and f"{badtag}:1" in ev[-1]["message"] and "B_Chemical" in ev[-1]["message"]

    dev2 = write(tmp_path / "dev2.tsv", "x\tO\n\nthe\tO\naspirin\tB-Chemical\n")
    rc, ev, _ = run_trainer(["--train", files["train"], "--dev", dev2, "--out", out])
    assert rc == 2 and "Chemical" in ev[-1]["message"] and f"{dev2}:4" in ev[-1]["message"]

    rc, ev, _ = run_trainer(["--train", str(tmp_path / "missing.tsv"), "--dev", files["dev"], "--out", out])
    assert rc == 2 and "no such file" in ev[-1]["message"]
    assert not os.path.exists(out)


def test_sigterm_leaves_nothing(tmp_path, files):
    out = tmp_path / "model"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.Popen([sys.executable, "-m", "training.train", "--train", files["train"], "--dev", files["dev"],
                          "--out", str(out), "--preset", "tiny", "--epochs", "100000", "--patience", "100000",
                          "--log-every", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        deadline = time.time() + 40
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
    assert not out.exists()
    assert [n for n in os.listdir(tmp_path) if n.startswith(".model")] == []


def test_max_minutes_still_exports(tmp_path, files):
    out = tmp_path / "timed"
    rc, ev, err = run_trainer(["--train", files["train"], "--dev", files["dev"], "--out", str(out), "--preset", "tiny",
                               "--epochs", "100000", "--patience", "100000", "--max-minutes", "0.05",
                               "--no-quantize"])
    assert rc == 0, err
    assert ev[-1]["event"] == "done" and (out / "onnx" / "model.onnx").is_file()
    cfg = json.load(open(out / "config.json"))
    assert cfg["bioner"]["training"]["stop_reason"] == "max-minutes"


def test_refuses_to_replace_a_foreign_folder(tmp_path, files):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc, ev, _ = run_trainer(["--train", files["train"], "--dev", files["dev"], "--out", str(out)])
    assert rc == 2 and "refusing" in ev[-1]["message"]
    assert (out / "notes.txt").read_text() == "mine"


def test_conlleval_chunking():
    assert chunks(["B-X", "I-X", "O", "I-Y", "I-Y", "B-Y", "I-X"]) == [("X", 0, 2), ("Y", 3, 5), ("Y", 5, 6), ("X", 6, 7)]
    s = score([["B-X", "I-X", "O", "B-Y"]], [["B-X", "I-X", "O", "O"]])
    assert (s["precision"], s["recall"], s["f1"]) == (100.0, 50.0, 66.67)
    # Strict: a boundary error is both a false positive and a false negative.
    s = score([["B-X", "I-X"]], [["B-X", "O"]])
    assert s["f1"] == 0.0


def test_windows_cover_and_overlap():
    counts = [1, 2, 1, 3, 1, 1, 2, 1, 1, 1]
    wins = windows(counts, 5, 2)
    assert wins[0][0] == 0 and wins[-1][1] == len(counts)
    for (s1, e1), (s2, e2) in zip(wins, wins[1:]):
        assert s1 < s2 <= e1  # progress, no gap
    for s, e in wins:
        assert sum(counts[s:e]) <= 5 or e - s == 1
    own = owner(wins, len(counts))
    assert all(wins[k][0] <= w < wins[k][1] for w, k in enumerate(own))
    assert windows([1, 1, 1], 5, 2) == [(0, 3)]


def test_shipped_fixture_model_is_consistent():
    """test/fixtures/model (made by `python3 -m training.make_test_model`) matches its own samples.json."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from training.predict import viterbi_np

    folder = os.path.join(ROOT, "test", "fixtures", "model")
    size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(folder) for n in ns)
    assert size < 3 * 1024 * 1024
    cfg = json.load(open(os.path.join(folder, "config.json")))
    crf = [np.array(cfg["bioner"]["crf"][k]) for k in ("transitions", "start", "end")]
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    sess = ort.InferenceSession(os.path.join(folder, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    samples = json.load(open(os.path.join(folder, "samples.json"), encoding="utf-8"))
    labels = samples["labels"]
    assert labels == [cfg["id2label"][str(i)] for i in range(len(labels))]
    for s in samples["samples"]:
        rows = [None] * len(s["words"])
        for k, w in enumerate(s["windows"]):
            start, end = w["words"]
            pieces = [tok.encode(x, add_special_tokens=False).ids or [tok.token_to_id("[UNK]")]
                      for x in s["words"][start:end]]
            assert w["input_ids"] == [tok.token_to_id("[CLS]")] + [i for p in pieces for i in p] + [tok.token_to_id("[SEP]")]
            ids = np.array([w["input_ids"]], np.int64)
            logits = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
            for j, pos in enumerate(w["word_positions"]):
                if s["word_owner_window"][start + j] == k:
                    rows[start + j] = logits[pos]
        np.testing.assert_allclose(np.array(rows), np.array(s["emissions"]), atol=1e-3)
        assert [labels[i] for i in viterbi_np(np, np.array(s["emissions"]), *crf)] == s["tags"]


def test_graph_spells_each_word_from_its_pieces():
    """Tagger.words: a frequent word is one piece with its own vector; any other word is reassembled from its
    pieces (long ones keep head and tail), has the unknown word's vector, and sits in its own word slot."""
    import torch

    from training.model import Tagger
    from training.tokenization import WordEncoder, spelling, train_word_tokenizer

    tok = train_word_tokenizer([["cancer", "cancer", "of", "of", "Cancer"]], vocab_size=1000, min_frequency=2)
    tables, chars, words = spelling(tok)
    model = Tagger(tables, len(chars), len(words), ["O", "B-Disease", "I-Disease"], word_chars=8).eval()
    sentence = ["cancer", "ofcancers", "X", "hyperphenylalaninemia"]
    ids = [tok.token_to_id("[CLS]")] + [i for p in WordEncoder(tok).words(sentence) for i in p] + [tok.token_to_id("[SEP]")]
    word_of, n_words, grid, lengths, word_ids = model.words(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
    assert int(n_words[0]) == 4
    spelled = ["".join(chars[c] for c in grid[0, w].tolist() if c) for w in range(4)]
    assert spelled == ["cancer", "ofcacers", "X", "hypeemia"]
    assert lengths[0, :5].tolist() == [6, 8, 1, 8, 0]
    assert [words[i] for i in word_ids[0, :4].tolist()] == ["cancer", "<unk>", "x", "<unk>"]
    assert word_of[0].tolist()[:3] == [-1, 0, 1]


def test_merged_heads_keep_each_heads_logits(tmp_path, files):
    """Heads trained on one embedding base merge into one graph: each head's logits unchanged (an ensemble
    head's are its models' mean), shared weights stored once, config.json naming each head's labels and CRF."""
    chem = write(tmp_path / "chem.tsv", make_corpus(40, 5, chemicals=True))
    base = str(tmp_path / "base")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    subprocess.run([sys.executable, "-m", "training.pretrain", "--text", files["train"], chem, "--out", base,
                    "--vocab-size", "200", "--dim", "16", "--epochs", "1"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    heads = {}
    for name, train, seed in (("disease", files["train"], 1), ("disease2", files["train"], 2), ("chem", chem, 1)):
        heads[name] = str(tmp_path / name)
        rc, _, stderr = run_trainer(["--train", train, "--dev", files["dev"], "--out", heads[name], "--preset", "tiny",
                                     "--epochs", "1", "--embeddings", base, "--freeze-embeddings", "--no-quantize",
                                     "--seed", str(seed)])
        assert rc == 0, stderr
    out = str(tmp_path / "merged")
    p = subprocess.run([sys.executable, "-m", "training.merge", "--head", f"disease={heads['disease']}+{heads['disease2']}",
                        "--head", f"chem={heads['chem']}", "--test", f"chem={chem}", "--out", out, "--no-quantize"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    cfg = json.load(open(os.path.join(out, "config.json")))
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    assert labels == ["O", "B-Disease", "I-Disease", "O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    assert [(h["name"], h["labels"]) for h in cfg["bioner"]["heads"]] == [("disease", [0, 1, 2]), ("chem", [3, 4, 5, 6, 7])]
    assert np.array(cfg["bioner"]["heads"][1]["crf"]["transitions"]).shape == (5, 5)
    assert "test" in cfg["bioner"]["heads"][1]["metrics"]

    from training.export import onnx_runner, session

    samples = [[2, 7, 8, 9, 3], [2, 30, 3]]
    merged = onnx_runner(session(os.path.join(out, "onnx", "model.onnx")))(samples)
    logits = {n: onnx_runner(session(os.path.join(d, "onnx", "model.onnx")))(samples) for n, d in heads.items()}
    np.testing.assert_allclose(merged[:, :, 0:3], (logits["disease"] + logits["disease2"]) / 2, atol=1e-5)
    np.testing.assert_allclose(merged[:, :, 3:8], logits["chem"], atol=1e-5)
    assert np.abs(logits["disease"] - logits["disease2"]).max() > 1e-3, "two seeds give two different models"
    crfs = [json.load(open(os.path.join(heads[n], "config.json")))["bioner"]["crf"]["end"] for n in ("disease", "disease2")]
    np.testing.assert_allclose(cfg["bioner"]["heads"][0]["crf"]["end"], np.mean(crfs, axis=0), atol=1e-4)
    import onnx

    vectors = np.load(os.path.join(base, "word_vectors.npy"))
    shapes = [tuple(i.dims) for i in onnx.load(os.path.join(out, "onnx", "model.onnx")).graph.initializer]
    assert shapes.count(vectors.shape) == 1, "the frozen word vectors all heads use are stored once"

    # A head trained on its own tokenizer cannot join.
    p = subprocess.run([sys.executable, "-m", "training.merge", "--head", f"a={heads['disease']}",
                        "--head", f"b={str(tmp_path / 'lone')}", "--out", str(tmp_path / "x")], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    assert p.returncode == 2 and "has no config.json" in p.stderr
