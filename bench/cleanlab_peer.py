"""The cleanlab peer of `npm run bench:review`, run by bench/review.ts in its own venv (build/cleanlab-peer/venv):
  cleanlab_peer.py PROBS_F32 META_JSON OUT_JSON
      PROBS_F32: every token's type-collapsed probabilities (O, then each type), float32 little-endian, sentence after
      sentence; META_JSON: {"classes": [...], "lengths": [tokens per sentence], "labels": {RUN: [[class id per token]]}}.
      For each run (one set of noisy gold labels) scores the sentences with
      cleanlab.token_classification.rank.get_label_quality_scores (self-confidence, a sentence's worst token) and
      flags tokens with cleanlab.token_classification.filter.find_label_issues (confident learning), both on the
      same probabilities; writes {"version", "runs": {RUN: {"sentenceScores", "issues": [[sentence, token]], "seconds"}}}.
"""
import json
import os
import sys
import time

# One thread, like the engine's side; set before numpy is imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import cleanlab  # noqa: E402
import numpy as np  # noqa: E402
from cleanlab.token_classification.filter import find_label_issues  # noqa: E402
from cleanlab.token_classification.rank import get_label_quality_scores  # noqa: E402


def main(probs_file, meta_file, out_file):
    with open(meta_file) as f:
        meta = json.load(f)
    flat = np.fromfile(probs_file, dtype="<f4").reshape(-1, len(meta["classes"])).astype(np.float64)
    # Rows summed to 1 in float32; cleanlab checks the sums more strictly.
    flat /= flat.sum(axis=1, keepdims=True)
    bounds = np.cumsum([0] + meta["lengths"])
    pred_probs = [flat[bounds[i]:bounds[i + 1]] for i in range(len(meta["lengths"]))]
    runs = {}
    for run, labels in meta["labels"].items():
        started = time.perf_counter()
        sentence_scores, _ = get_label_quality_scores(labels, pred_probs)
        issues = find_label_issues(labels, pred_probs)
        runs[run] = {
            "sentenceScores": [float(s) for s in sentence_scores],
            "issues": [[int(i), int(j)] for i, j in issues],
            "seconds": time.perf_counter() - started,
        }
    with open(out_file, "w") as f:
        json.dump({"version": cleanlab.__version__, "runs": runs}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
