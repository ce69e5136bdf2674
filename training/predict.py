"""Sentences as model inputs (windows of whole words) and prediction with any runner (torch or onnxruntime).

The same rules as the TypeScript engine: each word encoded on its own, [CLS] pieces... [SEP], a word's
emission at its first piece, long sentences cut into overlapping windows of whole words.
"""
from __future__ import annotations

from .data import Corpus

def windows(counts: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) whose sub-word counts fit `budget`; consecutive ranges share up to `overlap`
    words. One range when the sentence fits."""
    n = len(counts)
    if sum(counts) <= budget:
        return [(0, n)]
    out = []
    s = 0
    while True:
        e, tot = s, 0
        while e < n and tot + counts[e] <= budget:
            tot += counts[e]
            e += 1
        e = max(e, s + 1)
        out.append((s, e))
        if e >= n:
            return out
        s = max(s + 1, e - overlap)


def owner(wins: list[tuple[int, int]], n: int) -> list[int]:
    """For each word, the window whose emissions it takes: the one where it is farthest from an inner edge."""
    best = [0] * n
    for w in range(n):
        score = -1
        for k, (s, e) in enumerate(wins):
            if s <= w < e:
                left = w - s if s > 0 else n
                right = e - 1 - w if e < n else n
                if min(left, right) > score:
                    score, best[w] = min(left, right), k
    return best


class Encoded:
    """A sentence's windows as model inputs."""

    __slots__ = ("wins", "inputs", "tags", "owner", "n")

    def __init__(self, pieces: list[list[int]], tags: list[int], budget: int, overlap: int, cls: int, sep: int):
        self.n = len(pieces)
        pieces = [p[:budget] for p in pieces]
        self.wins = windows([len(p) for p in pieces], budget, overlap)
        self.inputs = []  # (ids, word_pos) per window
        for s, e in self.wins:
            ids, pos = [cls], []
            for p in pieces[s:e]:
                pos.append(len(ids))
                ids.extend(p)
            ids.append(sep)
            self.inputs.append((ids, pos))
        self.tags = tags
        self.owner = owner(self.wins, self.n) if len(self.wins) > 1 else None


def encode(corpus: Corpus, enc, label_ids: dict[str, int], hp: dict, max_length: int, overlap: int) -> list[Encoded]:
    out = []
    for s in corpus.sentences:
        out.append(Encoded(enc.words(s.words), [label_ids.get(t, 0) for t in s.tags], max_length - 2,
                           overlap, enc.cls, enc.sep))
    return out


# ---------------------------------------------------------------------------------------------------------
# Prediction (torch during training; the same windowing is used with onnxruntime in export.py)


def word_emissions(data: list[Encoded], run_batch, batch_size: int = 64):
    """Per sentence, a [words, labels] list of emission rows assembled from the windows.
    run_batch(list_of_id_lists) -> array [B, S, L]."""
    flat = [(k, w) for k, enc in enumerate(data) for w in range(len(enc.inputs))]
    flat.sort(key=lambda kw: len(data[kw[0]].inputs[kw[1]][0]))
    per_window: dict[tuple[int, int], object] = {}
    for i in range(0, len(flat), batch_size):
        chunk = flat[i : i + batch_size]
        logits = run_batch([data[k].inputs[w][0] for k, w in chunk])
        for b, (k, w) in enumerate(chunk):
            per_window[(k, w)] = logits[b][data[k].inputs[w][1]]
    result = []
    for k, enc in enumerate(data):
        if enc.owner is None:
            result.append(per_window[(k, 0)])
        else:
            rows = []
            for word in range(enc.n):
                w = enc.owner[word]
                rows.append(per_window[(k, w)][word - enc.wins[w][0]])
            result.append(rows)
    return result


def viterbi_np(np, em, trans, start, end) -> list[int]:
    em = np.asarray(em, dtype=np.float64)
    score = start + em[0]
    back = []
    for t in range(1, len(em)):
        total = score[:, None] + trans
        idx = total.argmax(0)
        score = total[idx, np.arange(len(idx))] + em[t]
        back.append(idx)
    best = int((score + end).argmax())
    path = [best]
    for idx in reversed(back):
        best = int(idx[best])
        path.append(best)
    return path[::-1]


def evaluate(data: list[Encoded], corpus: Corpus, labels: list[str], run_batch, crf_arrays) -> dict:
    import numpy as np

    from .metrics import score

    trans, start, end = (np.asarray(a, dtype=np.float64) for a in crf_arrays)
    ems = word_emissions(data, run_batch)
    pred = [[labels[i] for i in viterbi_np(np, em, trans, start, end)] for em in ems]
    return score([s.tags for s in corpus.sentences], pred)


