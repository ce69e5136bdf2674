"""The trainer's side of CRF decoding, as a reference for the TypeScript decoder (test/unit/crfReference.test.ts).

Reads {"model": DIR, "onnx": PATH, "sentences": [[word, ...], ...]} on stdin and prints, per sentence, the word
emissions of the ONNX graph (the trainer's encoding and windowing), the trainer's Viterbi path
(training.predict.viterbi_np) and the label marginals of the trainer's CRF (training.model.CRF).
Run it with /usr/bin/python3 from anywhere.
"""
from __future__ import annotations

import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from training.export import onnx_runner, session  # noqa: E402
from training.model import CRF  # noqa: E402
from training.predict import Encoded, viterbi_np, word_emissions  # noqa: E402
from training.tokenization import WordEncoder  # noqa: E402


def crf_module(labels: list[str], crf: dict) -> CRF:
    """The training CRF with the model's learned scores: its own IOB2 mask (NEG where forbidden) stays in force."""
    module = CRF(labels).double()
    with torch.no_grad():
        module.transitions.copy_(torch.tensor(crf["transitions"], dtype=torch.float64))
        module.start.copy_(torch.tensor(crf["start"], dtype=torch.float64))
        module.end.copy_(torch.tensor(crf["end"], dtype=torch.float64))
    return module


def marginals(module: CRF, em) -> list[list[float]]:
    """p(label j at word t), as the gradient of the training loss: d nll / d em[t, j] = p(y_t = j) - [gold_t = j].
    The gold path is all label 0 (O), which the CRF always allows."""
    em = torch.tensor(np.asarray(em, dtype=np.float64)[None], requires_grad=True)
    n = em.shape[1]
    gold = torch.zeros(1, n, dtype=torch.long)
    module.nll(em, gold, torch.ones(1, n, dtype=torch.bool)).backward()
    grad = em.grad[0].clone()
    grad[:, 0] += 1
    return grad.tolist()


def main() -> None:
    request = json.load(sys.stdin)
    with open(os.path.join(request["model"], "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    crf = config["bioner"]["crf"]
    enc = WordEncoder(Tokenizer.from_file(os.path.join(request["model"], "tokenizer.json")))
    data = [Encoded(enc.words(words), [0] * len(words), config["bioner"]["max_length"] - 2,
                    config["bioner"]["window_overlap"], enc.cls, enc.sep) for words in request["sentences"]]
    ems = word_emissions(data, onnx_runner(session(request["onnx"]), enc.pad))
    trans, start, end = (np.asarray(crf[k], dtype=np.float64) for k in ("transitions", "start", "end"))
    module = crf_module(labels, crf)
    out = [{"emissions": np.asarray(em, dtype=np.float64).tolist(), "path": viterbi_np(np, em, trans, start, end),
            "marginals": marginals(module, em), "windows": len(d.wins)} for em, d in zip(ems, data)]
    json.dump({"labels": labels, "sentences": out}, sys.stdout)


if __name__ == "__main__":
    main()
