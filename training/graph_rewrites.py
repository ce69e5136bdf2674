"""The rewrites the export applies to every graph torch writes, and a command that applies them to an older folder.

- `char_tables`: each char-CNN as lookup tables (the same logits, a third of the default model's time less);
- `half_lookups`: large lookup tables (word embeddings) stored in float16 (half their bytes).

    python3 -m training.graph_rewrites MODEL_DIR   rewrites MODEL_DIR/onnx/model.onnx in place, after checking
                                                   its logits on the tokenizer's pieces, and makes
                                                   onnx/model_quantized.onnx again from it when the folder has one
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from . import char_tables, half_lookups

REWRITES = {"char-CNN(s) as lookup tables": char_tables.rewrite, "table(s) stored in float16": half_lookups.rewrite}

# A rewritten graph's logits may differ from the reference by this fraction of their largest value (float16
# tables keep 11 significant bits; the char tables only reorder sums).
LOGIT_TOLERANCE = 1e-3


def apply(model) -> list[str]:
    """Applies every rewrite to `model` in place; returns what each changed ("1 char-CNN(s) as lookup tables")."""
    done = []
    for what, rewrite in REWRITES.items():
        count = rewrite(model)
        if count:
            done.append(f"{count} {what}")
    return done


def logit_error(reference, logits) -> float:
    """The largest difference between two logit arrays, as a fraction of the reference's largest value (at least 1)."""
    reference = np.asarray(reference)
    return float(np.abs(reference - np.asarray(logits)).max()) / max(1.0, float(np.abs(reference).max()))


def save(model, path: str) -> None:
    """Checks the graph and writes it in place of `path` through a temporary file."""
    import onnx

    onnx.checker.check_model(model)
    tmp = f"{path}.tmp-{os.getpid()}"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.graph_rewrites", description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    args = ap.parse_args(argv)
    import onnx

    from .export import quantize, session

    path = os.path.join(args.model_dir, "onnx", "model.onnx")
    before = onnx.load(path)
    after = onnx.ModelProto()
    after.CopyFrom(before)
    done = apply(after)
    if not done:
        print(f"{path}: already in the export's form; left as it is")
        return 0
    feeds = dict(zip(("input_ids", "attention_mask"), sample_batch(args.model_dir)))
    old, new = (session(m.SerializeToString()).run(None, feeds)[0] for m in (before, after))
    error = logit_error(old, new)
    if error > LOGIT_TOLERANCE:
        print(f"{path}: the rewritten graph's logits differ by {error:.2g} of their largest value; left as it is", file=sys.stderr)
        return 1
    save(after, path)
    print(f"{path}: {', '.join(done)}; logits within {error:.2g} of their largest value on {len(old)} windows")
    quantized = os.path.join(args.model_dir, "onnx", "model_quantized.onnx")
    if os.path.exists(quantized):
        quantize(path, quantized)
        print(f"{quantized}: made again from it")
    return 0


def sample_batch(model_dir: str):
    """Windows of every piece of the tokenizer (a few at a time, long and short), to compare two graphs on."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    size = tok.get_vocab_size()
    rng = np.random.default_rng(0)
    order = rng.permutation(np.arange(5, size))
    rows = [order[i:i + n] for i, n in zip(range(0, len(order), 40), rng.integers(1, 40, len(order) // 40 + 1))][:400]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    width = max(len(r) for r in rows) + 2
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for b, r in enumerate(rows):
        ids[b, : len(r) + 2] = [cls, *r, sep]
        mask[b, : len(r) + 2] = 1
    return ids, mask


if __name__ == "__main__":
    sys.exit(main())
