"""Batches of encoded windows (predict.encode) for both modes."""
from __future__ import annotations

import random

from .predict import Encoded


def collate(torch, items: list[tuple[list[int], list[int], list[int]]], device):
    """items: (ids, word_pos, word_tags) -> padded tensors."""
    B = len(items)
    S = max(len(i[0]) for i in items)
    W = max(len(i[1]) for i in items)
    ids = torch.zeros(B, S, dtype=torch.long)
    am = torch.zeros(B, S, dtype=torch.long)
    pos = torch.zeros(B, W, dtype=torch.long)
    tags = torch.zeros(B, W, dtype=torch.long)
    wm = torch.zeros(B, W, dtype=torch.bool)
    for b, (i, p, t) in enumerate(items):
        ids[b, : len(i)] = torch.tensor(i)
        am[b, : len(i)] = 1
        pos[b, : len(p)] = torch.tensor(p)
        tags[b, : len(t)] = torch.tensor(t)
        wm[b, : len(p)] = True
    return [x.to(device) for x in (ids, am, pos, tags, wm)]


def train_batches(data: list[Encoded], batch_size: int, rng: random.Random, begin_of: dict[int, int]) -> list[list[tuple]]:
    """begin_of maps each I-X id to B-X's: a window that starts inside an entity starts it there, since the
    CRF forbids a sequence that starts with I-X (the item's loss would be about 10,000)."""
    items = []
    for enc in data:
        for (ids, pos), (s, e) in zip(enc.inputs, enc.wins):
            tags = list(enc.tags[s:e])
            if s > 0 and tags and tags[0] in begin_of:
                tags[0] = begin_of[tags[0]]
            items.append((ids, pos, tags))
    return length_buckets(items, batch_size, rng, lambda it: len(it[0]))


def length_buckets(items: list, batch_size: int, rng: random.Random, length) -> list[list]:
    """Batches of items of similar length, in random order. A little noise on the lengths makes the batches differ
    between epochs while padding stays small."""
    ordered = sorted(items, key=lambda it: length(it) + rng.uniform(0, 8))
    batches = [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
    rng.shuffle(batches)
    return batches
