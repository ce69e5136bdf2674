"""Skip-gram (negative sampling) pre-training of the word-piece embeddings on unlabelled text.

Used by `--pretrain-text FILES`: the BIO/CoNLL files' words (first column; tags ignored), encoded with the
model's own tokenizer, give piece sequences; the learnt input vectors initialise the model's piece embeddings.
"""
from __future__ import annotations

import time


def skipgram(torch, seqs: list[list[int]], vocab_size: int, dim: int, epochs: int, seed: int,
             window: int = 5, negatives: int = 5, batch: int = 8192, lr: float = 3e-3, sample: float = 1e-4,
             check_stop=lambda: None, log=lambda msg: None):
    import numpy as np

    rng = np.random.default_rng(seed)
    g = torch.Generator().manual_seed(seed)
    flat = np.fromiter((i for s in seqs for i in s + [-1]), dtype=np.int64)
    counts = np.bincount(flat[flat >= 0], minlength=vocab_size).astype(np.float64)
    total = counts.sum()
    freq = counts / max(total, 1.0)
    keep_p = np.minimum(1.0, np.sqrt(sample / np.maximum(freq, 1e-12)) + sample / np.maximum(freq, 1e-12))
    noise = torch.tensor(counts ** 0.75 / max((counts ** 0.75).sum(), 1e-12), dtype=torch.float)
    emb_in = torch.nn.Embedding(vocab_size, dim)
    emb_out = torch.nn.Embedding(vocab_size, dim)
    with torch.no_grad():
        emb_in.weight.copy_((torch.rand(vocab_size, dim, generator=g) - 0.5) / dim)
    torch.nn.init.zeros_(emb_out.weight)
    opt = torch.optim.Adam(list(emb_in.parameters()) + list(emb_out.parameters()), lr=lr)
    t0 = time.time()
    for epoch in range(epochs):
        # Sub-sample frequent pieces (sentence breaks stay), then pairs at distances 1..window with a
        # dynamic window (distance d kept with probability (window - d + 1) / window).
        keep = (flat < 0) | (rng.random(len(flat)) < keep_p[np.maximum(flat, 0)])
        toks = flat[keep]
        sent = np.cumsum(toks < 0)  # sentence index of each position
        centers, contexts = [], []
        for d in range(1, window + 1):
            a, b = toks[:-d], toks[d:]
            ok = (a >= 0) & (b >= 0) & (sent[:-d] == sent[d:])  # no pair across a sentence break
            ok &= rng.random(len(a)) < (window - d + 1) / window
            centers += [a[ok], b[ok]]
            contexts += [b[ok], a[ok]]
        c = torch.from_numpy(np.concatenate(centers))
        o = torch.from_numpy(np.concatenate(contexts))
        perm = torch.randperm(len(c), generator=g)
        c, o = c[perm], o[perm]
        run = 0.0
        nb = 0
        for i in range(0, len(c), batch):
            check_stop()
            cb, ob = c[i : i + batch], o[i : i + batch]
            neg = torch.multinomial(noise, len(cb) * negatives, replacement=True, generator=g).view(len(cb), negatives)
            v = emb_in(cb)  # [B, D]
            pos = (v * emb_out(ob)).sum(1)
            negs = torch.bmm(emb_out(neg), v.unsqueeze(2)).squeeze(2)
            loss = -(torch.nn.functional.logsigmoid(pos).mean() + torch.nn.functional.logsigmoid(-negs).sum(1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
            run += loss.item()
            nb += 1
        log(f"skip-gram epoch {epoch + 1}/{epochs}: {len(c)} pairs, loss {run / max(nb, 1):.3f}, {time.time() - t0:.0f}s")
    return emb_in.weight.detach()
