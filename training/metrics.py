"""Strict entity-level precision/recall/F1 with conlleval-style chunking.

Chunking (conlleval, lenient about ill-formed IOB): an entity starts at B-X, at an I-X that follows O, and at
an I-X that follows a tag of another type; it continues while I-X follows. A predicted entity counts as
correct only when its type, first and last token all match a gold entity (strict match).
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence


def chunks(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entities as (type, start, end_exclusive), conlleval chunking."""
    out: list[tuple[str, int, int]] = []
    cur_type = None
    cur_start = 0
    for i, tag in enumerate(tags):
        prefix, typ = (tag[0], tag[2:]) if tag != "O" and len(tag) > 1 else ("O", "")
        if prefix == "E" or prefix == "S" or prefix == "L" or prefix == "U":
            prefix = "I" if prefix in "EL" else "B"
        starts = prefix == "B" or (prefix == "I" and typ != cur_type)
        if cur_type is not None and (prefix == "O" or starts):
            out.append((cur_type, cur_start, i))
            cur_type = None
        if starts:
            cur_type, cur_start = typ, i
    if cur_type is not None:
        out.append((cur_type, cur_start, len(tags)))
    return out


def prf(correct: int, n_pred: int, n_gold: int) -> dict:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(100 * p, 2), "recall": round(100 * r, 2), "f1": round(100 * f, 2),
            "correct": correct, "predicted": n_pred, "gold": n_gold}


def score(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]], per_type: bool = False) -> dict:
    """Strict entity-level scores (percentages rounded to 2 decimals) over parallel tag sequences."""
    correct = n_pred = n_gold = 0
    by_type: dict[str, Counter] = {}
    for g, p in zip(gold, pred, strict=True):
        if len(g) != len(p):
            raise ValueError("gold and predicted sentences differ in length")
        gc, pc = set(chunks(g)), set(chunks(p))
        correct += len(gc & pc)
        n_pred += len(pc)
        n_gold += len(gc)
        if per_type:
            for name, group in (("gold", gc), ("pred", pc), ("correct", gc & pc)):
                for c in group:
                    by_type.setdefault(c[0], Counter())[name] += 1
    result = prf(correct, n_pred, n_gold)
    if per_type:
        result["types"] = {t: prf(c["correct"], c["pred"], c["gold"]) for t, c in sorted(by_type.items())}
    return result
