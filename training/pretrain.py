"""Skip-gram (negative sampling) pre-training of the word embeddings on unlabelled text, and the shared
embedding base several models can be trained on (and then merged into one multi-head model):

    python3 -m training.pretrain --text F... --out DIR [--vocab-size N] [--dim N] [--epochs N]

writes DIR/tokenizer.json and DIR/word_vectors.npy; `train --embeddings DIR` starts from them.
The text is BIO/CoNLL files (first column; tags ignored).
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


def word_sequences(tok, sentences) -> list[list[int]]:
    """Each sentence as the word-embedding indices the model's graph looks up (see model.Tagger.words): a word
    that is one whole piece has its own vector, any other word is the unknown word."""
    from .tokenization import WordEncoder, spelling

    tables = spelling(tok)[0]
    enc = WordEncoder(tok)
    index = lambda pieces: tables["words"][pieces[0]] if len(pieces) == 1 and tables["starts"][pieces[0]] else tables["unk_word"]  # noqa: E731
    return [[index(p) for p in enc.words(s.words)] for s in sentences]


def word_vectors(torch, tok, sentences, dim: int, epochs: int, seed: int, check_stop=lambda: None,
                 log=lambda msg: None):
    """Skip-gram vectors [word vocabulary, dim] for the tokenizer's word embeddings; row 0 (padding) is zero."""
    from .tokenization import spelling

    n_words = len(spelling(tok)[2])
    vec = skipgram(torch, word_sequences(tok, sentences), n_words, dim, epochs, seed, check_stop=check_stop, log=log)
    vec[0] = 0.0
    return vec


def main(argv=None) -> int:
    import argparse
    import os

    import numpy as np
    import torch

    from .data import read_bio
    from .tokenization import save_tokenizer, train_word_tokenizer

    p = argparse.ArgumentParser(prog="python3 -m training.pretrain", description=__doc__.split("\n\n")[0])
    p.add_argument("--text", nargs="+", required=True, metavar="F", help="BIO/CoNLL files (first column is read)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--vocab-size", type=int, default=30000)
    p.add_argument("--min-frequency", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=13)
    a = p.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    torch.set_num_threads(1)
    sentences = [s for f in a.text for s in read_bio(f).sentences]
    tok = train_word_tokenizer((s.words for s in sentences), a.vocab_size, a.min_frequency)
    vec = word_vectors(torch, tok, sentences, a.dim, a.epochs, a.seed, log=print)
    os.makedirs(a.out, exist_ok=True)
    save_tokenizer(tok, os.path.join(a.out, "tokenizer.json"))
    np.save(os.path.join(a.out, "word_vectors.npy"), vec.numpy())
    print(f"{len(sentences)} sentences, {tok.get_vocab_size()} pieces, vectors {tuple(vec.shape)} -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
