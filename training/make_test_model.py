"""Builds test/fixtures/model: a small real model (mode (a), preset "small") trained on NCBI-disease.

    /usr/bin/python3 -m training.make_test_model [--data ../shared/data] [--out test/fixtures/model]

Reproducible: fixed seed, fixed number of epochs (no wall-clock limit), one thread. Besides the model folder it
writes `samples.json`: a few dev sentences with the sub-word ids, the first-piece position of each word, the
word-level emissions and the Viterbi tags, computed from the folder alone (onnxruntime + tokenizers), so that
the TypeScript engine's tests can check their tokenization, alignment, windowing and decoding against it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORPUS = "NCBI-disease"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m training.make_test_model")
    p.add_argument("--data", default=os.environ.get("BIONER_DATA", os.path.join(ROOT, "..", "shared", "data")))
    p.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "model"))
    p.add_argument("--epochs", type=int, default=12)
    a = p.parse_args(argv)
    d = os.path.join(a.data, CORPUS)
    from .export import CAMBRIDGE_LICENSE
    from .train import main as train_main

    rc = train_main([
        "--train", os.path.join(d, "train.tsv"), "--dev", os.path.join(d, "dev.tsv"),
        "--test", os.path.join(d, "test.tsv"), "--out", a.out, "--preset", "small", "--seed", "7",
        "--epochs", str(a.epochs), "--patience", "1000", "--max-length", "128", "--window-overlap", "16",
        "--threads", "1", "--log-every", "200", "--name", "BioNER test model (NCBI-disease, small)",
        "--data-name", "NCBI-disease train split",
        "--data-license", CAMBRIDGE_LICENSE.format(name="NCBI-disease")
        + " This folder is a test fixture of the BioNER engine, not a model for real use.",
    ])
    if rc != 0:
        return rc
    write_samples(a.out, os.path.join(d, "dev.tsv"))
    return 0


def write_samples(folder: str, dev_path: str) -> None:
    """Expected outputs for the engine's tests, computed from the model folder only."""
    import numpy as np
    from tokenizers import Tokenizer

    from .data import read_bio
    from .export import onnx_runner, session
    from .predict import Encoded, viterbi_np

    cfg = json.load(open(os.path.join(folder, "config.json")))
    b = cfg["bioner"]
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    unk, cls, sep = tok.token_to_id("[UNK]"), tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    run = onnx_runner(session(os.path.join(folder, "onnx", "model.onnx")))
    crf = [np.array(b["crf"][k], dtype=np.float64) for k in ("transitions", "start", "end")]
    dev = read_bio(dev_path).sentences
    # A few ordinary sentences with entities, the longest one (windowed) and a hand-made one with odd words.
    picks = [s for s in dev if any(t != "O" for t in s.tags)][:4]
    picks.append(max(dev, key=lambda s: len(s.words)))
    odd = ["Naïve", "β-catenin", "\u00ad", "mutations", "cause", "ataxia-telangiectasia", "(", "A-T", ")", "."]
    # Three long dev sentences run together: longer than max_length, so it is windowed.
    longest = sorted(dev, key=lambda s: -len(s.words))[:3]
    joined = type(longest[0])([w for s in longest for w in s.words], [t for s in longest for t in s.tags])
    samples = []
    for s in picks + [joined, None]:
        words = odd if s is None else s.words
        pieces = [tok.encode(w, add_special_tokens=False).ids or [unk] for w in words]
        enc = Encoded(pieces, [0] * len(words), b["max_length"] - 2, b["window_overlap"], cls, sep)
        from .predict import word_emissions

        (em,) = word_emissions([enc], run)
        em = np.asarray(em)
        tags = [labels[i] for i in viterbi_np(np, em, *crf)]
        samples.append({
            "words": words,
            "gold": None if s is None else s.tags,
            "windows": [{"words": list(w), "input_ids": ids, "word_positions": pos}
                        for w, (ids, pos) in zip(enc.wins, enc.inputs)],
            "word_owner_window": enc.owner or [0] * len(words),
            "emissions": np.round(em.astype(np.float64), 4).tolist(),
            "tags": tags,
        })
    with open(os.path.join(folder, "samples.json"), "w", encoding="utf-8") as f:
        json.dump({"about": "Expected engine behaviour on this model: per sentence, the windows "
                   "(word range [start, end), input_ids with [CLS]/[SEP], word_positions = index of each word's "
                   "first piece in input_ids), the window each word takes its emissions from, the word-level "
                   "emissions (float graph, 4 decimals) and the constrained-Viterbi tags.",
                   "labels": labels, "samples": samples}, f, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
