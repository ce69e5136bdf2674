"""Distils a multi-head model (a merge of per-corpus BiLSTM-CRFs) into one multi-task student: a single shared
encoder (word vectors + char-CNN + BiLSTM) whose linear output learns every head's emissions at once.

    python3 -m training.distill --teacher DIR --text FILE... --dev NAME=FILE ... --out DIR
        [--test NAME=FILE ...] [--max-minutes N] [--cache DIR] [model options]

The teacher runs once over the --text files (the train+dev splits of every corpus, gold tags unused) and its
emission rows are cached; the student then learns them (per word and head, the KL divergence between the softened
label distributions of both: Hinton et al. 2015), so every sentence trains every head, and it decodes with the
teacher's own CRFs. The student keeps the teacher's tokenizer, word vectors (frozen), heads, CRFs and default
output; it runs one BiLSTM where the teacher runs one per model. Events, exit codes and the atomic output are those of
training.train.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time

import numpy as np

from .batches import collate, length_buckets
from .data import Corpus, InputError, check_labels, read_bio
from .loop import Ranks, fit
from .merge import parse_pairs
from .multitask import export_folder, report_done
from .output import clean_stale, publish, temp_folder
from .predict import Encoded, encode, word_emissions
from .progress import Events, check_stop
from .train import Objective, Task, add_loop_options, build_tagger, cli_main, hyper, tagger_steps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m training.distill", description=__doc__.split("\n\n")[0])
    p.add_argument("--teacher", required=True, metavar="DIR", help="a multi-head model folder (training.merge)")
    p.add_argument("--text", nargs="+", required=True, metavar="FILE",
                   help="BIO files whose sentences the student learns from (their tags are not read)")
    p.add_argument("--dev", action="append", required=True, metavar="NAME=FILE", help="a head's dev file, scored")
    p.add_argument("--test", action="append", default=[], metavar="NAME=FILE", help="a head's test file, scored")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder to write (replaced if it is a model)")
    p.add_argument("--cache", default="build/distill", metavar="DIR",
                   help="where the teacher's emissions are kept between runs (default build/distill)")
    add_loop_options(p, "the text")
    p.add_argument("--name", default="BioNER distilled model", help="model name for the model card")
    args = p.parse_args(argv)
    args.freeze_embeddings = True
    args.embeddings = args.teacher
    return args


def read_teacher(folder: str) -> dict:
    """The teacher's config (heads, labels, windowing), tokenizer and word vectors."""
    from tokenizers import Tokenizer

    config_path = os.path.join(folder, "config.json")
    graph = os.path.join(folder, "onnx", "model.onnx")
    for path in (config_path, graph, os.path.join(folder, "tokenizer.json")):
        if not os.path.exists(path):
            raise InputError(f"--teacher {folder}: no {os.path.relpath(path, folder)}")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    bioner = config.get("bioner", {})
    if not bioner.get("heads"):
        raise InputError(f"--teacher {folder}: config.json has no bioner.heads (not a multi-head model)")
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    return {"config": bioner, "labels": labels, "graph": graph,
            "tokenizer": Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))}


def word_vectors(graph: str, n_words: int):
    """The teacher's word embedding table: the graph's one initializer of n_words rows (stored scaled)."""
    import onnx
    from onnx import numpy_helper

    tables = [t for t in onnx.load(graph).graph.initializer if len(t.dims) == 2 and t.dims[0] == n_words]
    if len(tables) != 1:
        raise InputError(f"{graph}: expected one word-vector table of {n_words} rows, found {len(tables)}")
    return numpy_helper.to_array(tables[0]).astype(np.float32)


def teacher_emissions(teacher: dict, data: list[Encoded], files: list[str], cache: str, ev: Events) -> list:
    """Per sentence, the teacher's emission rows [words, labels] (float16), computed once per teacher graph and
    text files and cached."""
    from .export import onnx_runner, session

    h = hashlib.sha256()
    for path in [teacher["graph"], *files]:
        st = os.stat(path)
        h.update(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns};".encode())
    path = os.path.join(cache, f"teacher-{h.hexdigest()[:16]}.npz")
    if os.path.exists(path):
        saved = np.load(path)
        rows, ends = saved["rows"], saved["ends"]
        if len(ends) == len(data):
            ev.log(f"teacher emissions from {path}")
            return np.split(rows, ends[:-1])
    t = time.time()
    run = onnx_runner(session(teacher["graph"]))
    out = []
    chunk = 2048
    for i in range(0, len(data), chunk):
        out += [np.asarray(e, dtype=np.float16) for e in word_emissions(data[i : i + chunk], run)]
        check_stop()
        ev.emit("teacher", sentences=min(i + chunk, len(data)), total=len(data), seconds=round(time.time() - t, 1))
    os.makedirs(cache, exist_ok=True)
    tmp = path + f".tmp-{os.getpid()}.npz"
    np.savez(tmp, rows=np.concatenate(out), ends=np.cumsum([len(e) for e in out]))
    os.replace(tmp, path)
    return out


def windows_with_targets(data: list[Encoded], targets: list) -> list[tuple]:
    """(ids, word positions, the words' teacher rows) per window."""
    items = []
    for enc, rows in zip(data, targets):
        for (ids, pos), (s, e) in zip(enc.inputs, enc.wins):
            items.append((ids, pos, rows[s:e]))
    return items


TEMPERATURE = 2.0


def distillation(torch, items: list[tuple], batch_size: int, ranges: list[tuple[int, int]], device) -> Objective:
    """Batches of windows of similar length; the loss is, per word and head, the KL divergence between the
    softened label distributions of the teacher's and the student's emissions (Hinton et al. 2015, T = 2, scaled by
    T²). Emissions are only compared where they matter to a decision: matching every logit (mean squared error,
    centred per head) spent the student on the very negative scores of labels no path takes, and its dev recall
    after two epochs was 56% at 80% precision."""

    def batches(_epoch: int, rng: random.Random) -> list:
        return length_buckets(list(range(len(items))), batch_size, rng, lambda i: len(items[i][0]))

    def loss(model, batch):
        ids, am, _pos, _tags, wm = collate(torch, [(items[i][0], items[i][1], []) for i in batch], device)
        W = wm.shape[1]
        target = torch.zeros(len(batch), W, items[batch[0]][2].shape[1])
        for b, i in enumerate(batch):
            target[b, : len(items[i][2])] = torch.from_numpy(items[i][2].astype(np.float32))
        em, _ = model.word_emissions(ids, am)
        em, target = em[:, :W][wm] / TEMPERATURE, target.to(device)[wm] / TEMPERATURE
        total = 0
        for lo, hi in ranges:
            teacher = torch.log_softmax(target[:, lo:hi], -1)
            student = torch.log_softmax(em[:, lo:hi], -1)
            total = total + (teacher.exp() * (teacher - student)).sum(-1).mean()
        return total * TEMPERATURE**2

    return Objective(batches, loss)


def run(args, ev: Events) -> dict:
    t0 = time.time()
    ranks = Ranks()
    if ranks.world > 1:
        raise InputError("training.distill runs in one process (WORLD_SIZE=1)")
    hp = hyper(args)
    out = os.path.abspath(args.out)
    clean_stale(out, ev.log)
    if os.path.exists(out) and os.listdir(out) and not os.path.exists(os.path.join(out, "config.json")):
        raise InputError(f"--out {args.out} exists, is not empty and holds no model (config.json)")
    tmp = temp_folder(out)
    teacher = read_teacher(args.teacher)
    config = teacher["config"]
    names = [h["name"] for h in config["heads"]]
    devs, tests = parse_pairs(args.dev, "--dev"), parse_pairs(args.test, "--test")
    if set(names) - set(devs):
        raise InputError(f"no --dev for the head(s) {', '.join(sorted(set(names) - set(devs)))}: every head is scored")
    for what, given in (("--dev", devs), ("--test", tests)):
        unknown = set(given) - set(names)
        if unknown:
            raise InputError(f"{what} names no head of the teacher: {', '.join(sorted(unknown))} (heads: {', '.join(names)})")
    text = Corpus("text", [s for f in args.text for s in read_bio(f).sentences])

    import torch

    from . import export as exporter
    from .tokenization import WordEncoder, spelling

    ranks.start(args)
    tok = teacher["tokenizer"]
    enc = WordEncoder(tok)
    tables, chars, word_vocab = spelling(tok)
    vectors = word_vectors(teacher["graph"], len(word_vocab))
    hp["emb_dim"] = vectors.shape[1]  # the student reads the teacher's word vectors
    args.max_length, args.window_overlap = max_length, overlap = config["max_length"], config["window_overlap"]
    labels, heads, ranges = teacher["labels"], [], []
    for h in config["heads"]:
        ids = h["labels"]
        head_labels = [labels[i] for i in ids]
        types = {l[2:] for l in head_labels if l != "O"}
        label_ids = {l: i for i, l in enumerate(head_labels)}
        dev = read_bio(devs[h["name"]])
        test = read_bio(tests[h["name"]]) if h["name"] in tests else None
        for c, split in ((dev, "dev"), (test, "test")):
            if c:
                check_labels(types, c, f"{h['name']} {split}")
        encoded = lambda c: encode(c, enc, label_ids, hp, max_length, overlap) if c else None  # noqa: E731
        heads.append({"name": h["name"], "labels": head_labels, "files": args.text, "dev": dev, "test": test,
                      "encoded_test": encoded(test), "encoded_dev": encoded(dev), "crf": h["crf"]})
        ranges.append((ids[0], ids[-1] + 1))
    ev.emit("start", mode="distill", teacher=os.path.abspath(args.teacher), text=args.text, out=out,
            heads=names, labels=labels, text_sentences=len(text.sentences), hyper=hp, seed=args.seed,
            max_minutes=args.max_minutes)
    data = encode(text, enc, {}, hp, max_length, overlap)
    targets = teacher_emissions(teacher, data, args.text, args.cache, ev)
    t0 = time.time()  # --max-minutes is the student's budget
    items = windows_with_targets(data, targets)
    del data, targets

    core = build_tagger(torch, hp, args, tables, chars, word_vocab, labels, None, heads=ranges)
    with torch.no_grad():
        core.embed.weight.copy_(torch.from_numpy(vectors))
        for crf, h in zip(core.crfs, heads):
            for name in ("transitions", "start", "end"):
                getattr(crf, name).copy_(torch.tensor(h["crf"][name]))
    core = core.to(ranks.device)
    n_params = sum(p.numel() for p in core.parameters() if p.requires_grad)
    ev.log(f"{len(heads)} heads, {len(items)} windows of {len(text.sentences)} sentences, {n_params} trainable parameters")
    # The CRFs stay the teacher's: only the encoder and the emissions learn.
    for crf in core.crfs:
        crf.requires_grad_(False)
    tasks = [Task(h["name"], h["labels"], [], (h["dev"], h["encoded_dev"])) for h in heads]
    steps = tagger_steps(torch, core, ranks, hp, args, tasks, distillation(torch, items, hp["batch_size"], ranges, ranks.device))
    res = fit(steps, args, ev, ranks, t0)
    core.cpu().eval()
    check_stop()
    args.not_default = [h["name"] for h in config["heads"] if h.get("default") is False]
    result = export_folder(tmp, core, tok, heads, labels, ranges, hp, args, ev, exporter, {
        "steps": res.step, "epochs": res.epoch, "stop_reason": res.stop_reason,
        "train_seconds": round(res.train_seconds, 1), "parameters": n_params,
        "teacher": os.path.basename(os.path.abspath(args.teacher))}, method="distill")
    check_stop()
    publish(tmp, out)
    return {"out": out, **result, "seconds": round(time.time() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, parse_args, run, report_done)


if __name__ == "__main__":
    sys.exit(main())
