"""Trains one multi-task mode (a) model: a shared encoder (word embeddings + char-CNN + BiLSTM) with one linear +
CRF head per corpus (Wang et al. 2019, "Cross-type biomedical NER with deep multi-task learning").

    python3 -m training.multitask --head NAME=TRAIN[+TRAIN...] [--head ...] --dev NAME=FILE ... --out DIR
        --embeddings BASE [--test NAME=FILE ...] [--not-default NAME ...] [--max-minutes N] [model options]

Each batch holds one corpus's windows and trains the shared encoder and that corpus's head, so a corpus is only
ever scored against its own guideline. The folder has the layout of `training.merge`'s (config.json →
`bioner.heads`, the heads' logits side by side), but the encoder runs once for all heads: a head costs a few
output columns and its CRF, not a BiLSTM. Events, exit codes and the atomic output are those of training.train.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

import numpy as np

from .data import InputError, check_labels, label_list, read_bio, repair_iob2
from .loop import Ranks, fit
from .merge import folder_bytes, heads_config, parse_pairs
from .output import clean_stale, publish, temp_folder
from .predict import encode, evaluate
from .progress import Events, check_stop
from .train import Task, add_loop_options, build_tagger, cli_main, hyper, tagger_steps, word_base


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m training.multitask", description=__doc__.split("\n\n")[0])
    p.add_argument("--head", action="append", required=True, metavar="NAME=TRAIN[+TRAIN...]",
                   help="a head and its training BIO file(s), in the order of the label axis")
    p.add_argument("--dev", action="append", required=True, metavar="NAME=FILE", help="each head's dev file")
    p.add_argument("--test", action="append", default=[], metavar="NAME=FILE", help="a head's test file, scored")
    p.add_argument("--repeat", action="append", default=[], metavar="NAME=K",
                   help="pass over a head's data K times per epoch (more weight for a small corpus)")
    p.add_argument("--not-default", action="append", default=[], metavar="NAME",
                   help="a head left out of the default output (another guideline for a type), decoded when named")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder to write (replaced if it is a model)")
    p.add_argument("--embeddings", required=True, metavar="DIR",
                   help="tokenizer and word vectors of `python3 -m training.pretrain`")
    p.add_argument("--freeze-embeddings", action="store_true", help="keep the word vectors fixed")
    add_loop_options(p, "all heads' data")
    p.add_argument("--max-length", type=int, default=256, help="longest sequence in sub-words")
    p.add_argument("--window-overlap", type=int, default=32, help="words shared by consecutive windows")
    p.add_argument("--name", default="BioNER multi-task model", help="model name for the model card")
    return p.parse_args(argv)


def read_heads(args) -> list[dict]:
    """Per head: name, training sentences (IOB2-repaired), dev and test corpora, labels."""
    trains = parse_pairs(args.head, "--head")
    devs = parse_pairs(args.dev, "--dev")
    tests = parse_pairs(args.test, "--test")
    repeats = parse_pairs(args.repeat, "--repeat")
    for what, names in (("--dev", devs), ("--test", tests), ("--repeat", repeats),
                        ("--not-default", dict.fromkeys(args.not_default))):
        unknown = set(names) - set(trains)
        if unknown:
            raise InputError(f"{what} names no head: {', '.join(sorted(unknown))}")
    missing = set(trains) - set(devs)
    if missing:
        raise InputError(f"no --dev for the head(s) {', '.join(sorted(missing))}")
    if set(trains) <= set(args.not_default):
        raise InputError("every head is --not-default: the default output would be empty")
    heads = []
    for name, files in trains.items():
        sentences = [s for f in files.split("+") for s in read_bio(f).sentences]
        types = {t for s in sentences for t in (tag[2:] for tag in s.tags if tag != "O")}
        if not types:
            raise InputError(f"head {name}: {files} has no entity (only 'O' tags)")
        for s in sentences:
            s.tags, _ = repair_iob2(s.tags)
        dev = read_bio(devs[name])
        check_labels(types, dev, f"{name} dev")
        test = read_bio(tests[name]) if name in tests else None
        if test:
            check_labels(types, test, f"{name} test")
        repeat = repeats.get(name, "1")
        if not repeat.isdigit() or int(repeat) < 1:
            raise InputError(f"--repeat {name}={repeat}: K must be a whole number of at least 1")
        heads.append({"name": name, "files": files.split("+"), "sentences": sentences, "dev": dev, "test": test,
                      "labels": label_list(sorted(types)), "repeat": int(repeat)})
    return heads


def run(args, ev: Events) -> dict:
    t0 = time.time()
    ranks = Ranks()
    ev.enabled = ranks.main
    hp = hyper(args)
    out = os.path.abspath(args.out)
    if ranks.main:
        clean_stale(out, ev.log)
    if os.path.exists(out) and os.listdir(out) and not os.path.exists(os.path.join(out, "config.json")):
        raise InputError(f"--out {args.out} exists, is not empty and holds no model (config.json)")
    tmp = temp_folder(out)
    heads = read_heads(args)

    import torch

    from . import export as exporter
    from .data import Corpus
    from .tokenization import WordEncoder, spelling

    ranks.start(args)
    labels, ranges = [], []
    for h in heads:
        ranges.append((len(labels), len(labels) + len(h["labels"])))
        labels += h["labels"]
    ev.emit("start", mode="multitask", heads={h["name"]: h["files"] for h in heads}, out=out, labels=labels,
            device=str(ranks.device), train_sentences={h["name"]: len(h["sentences"]) for h in heads}, hyper=hp,
            seed=args.seed, max_minutes=args.max_minutes)
    tok, vectors = word_base(torch, args, hp, None, [], [], ev)
    enc = WordEncoder(tok)
    tables, chars, word_vocab = spelling(tok)
    tasks = []
    for h in heads:
        ids = {l: i for i, l in enumerate(h["labels"])}
        encoded = lambda c: encode(c, enc, ids, hp, args.max_length, args.window_overlap)  # noqa: E731
        h["encoded_test"] = encoded(h["test"]) if h["test"] else None
        tasks.append(Task(h["name"], h["labels"], encoded(Corpus(h["name"], h["sentences"])),
                          (h["dev"], encoded(h["dev"])), h["repeat"]))
        check_stop()
    core = build_tagger(torch, hp, args, tables, chars, word_vocab, labels, vectors, heads=ranges).to(ranks.device)
    n_params = sum(p.numel() for p in core.parameters())
    ev.log(f"{len(heads)} heads, {sum(len(t.train) for t in tasks)} training sentences, {n_params} parameters")

    res = fit(tagger_steps(torch, core, ranks, hp, args, tasks), args, ev, ranks, t0)
    if not ranks.main:
        return {}
    core.cpu().eval()
    check_stop()
    result = export_folder(tmp, core, tok, heads, labels, ranges, hp, args, ev, exporter, {
        "steps": res.step, "epochs": res.epoch, "stop_reason": res.stop_reason,
        "train_seconds": round(res.train_seconds, 1), "parameters": n_params})
    check_stop()
    publish(tmp, out)
    return {"out": out, **result, "seconds": round(time.time() - t0, 1)}


METHODS = {
    # method -> (config.json architecture, the model card's account of the training)
    "multitask": ("multi-task word-charcnn-bilstm-crf",
                  "each training batch holds one corpus and trains the encoder and that corpus's head only (Wang et "
                  "al. 2019)"),
    "distill": ("distilled multi-task word-charcnn-bilstm-crf",
                "it was distilled from the model `{teacher}`: the student regressed that model's emissions for every "
                "head on every sentence of the training text, and decodes with its CRFs"),
}


def export_folder(tmp, core, tok, heads, labels, ranges, hp, args, ev, exporter, info, method="multitask") -> dict:
    """The graph (checked against torch and padding), every head's test scores (float and int8), config.json."""
    import torch

    from .tokenization import dump_json, save_tokenizer, tokenizer_config

    os.makedirs(os.path.join(tmp, "onnx"), exist_ok=True)
    graph = os.path.join(tmp, "onnx", "model.onnx")
    exporter.export_onnx(core, graph, len(labels))
    run = exporter.onnx_runner(exporter.session(graph))
    samples = [h["encoded_test"][i].inputs[0][0] for h in heads if h["encoded_test"] for i in range(2)] + [[2, 3]]
    with torch.no_grad():
        ref = core.emissions(torch.tensor([samples[0]]), torch.ones(1, len(samples[0]), dtype=torch.long)).numpy()
    torch_diff = float(np.abs(ref[0] - run([samples[0]])[0]).max())
    pad_diff = exporter.check_padding(run, samples)
    if pad_diff > 1e-4 or torch_diff > 1e-3:
        raise RuntimeError(f"exported graph check failed: padding changes logits by {pad_diff}, "
                           f"torch vs onnxruntime differ by {torch_diff}")
    crfs = [[x.detach().numpy().astype(np.float64) for x in crf.masked()] for crf in core.crfs]

    def test_scores(run) -> dict:
        scores = {}
        for h, (lo, hi), crf in zip(heads, ranges, crfs):
            if h["test"]:
                scores[h["name"]] = evaluate(h["encoded_test"], h["test"], h["labels"],
                                             lambda ids, lo=lo, hi=hi: run(ids)[:, :, lo:hi], crf)
                ev.log(f"{h['name']}: test F1 {scores[h['name']]['f1']}")
                check_stop()
        return scores

    scores = test_scores(run)
    quantized = None
    if not args.no_quantize:
        q_path = os.path.join(tmp, "onnx", "model_quantized.onnx")
        exporter.quantize(graph, q_path)
        q_scores = test_scores(exporter.onnx_runner(exporter.session(q_path)))
        kept = all(q_scores[n]["f1"] >= scores[n]["f1"] - 0.5 for n in scores)
        quantized = {"kept": kept, "scores": q_scores}
        if not kept:
            os.remove(q_path)
    save_tokenizer(tok, os.path.join(tmp, "tokenizer.json"))
    dump_json(tokenizer_config(args.max_length), os.path.join(tmp, "tokenizer_config.json"))
    dump_json({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
               "mask_token": "[MASK]"}, os.path.join(tmp, "special_tokens_map.json"))
    training = {"data": {h["name"]: [os.path.basename(f) for f in h["files"]] for h in heads},
                "embeddings": os.path.basename(os.path.abspath(args.embeddings)),
                "freeze_embeddings": args.freeze_embeddings, "seed": args.seed, "hyper": hp, "select": args.select,
                **info, "date": datetime.date.today().isoformat()}
    entries = [{"name": h["name"], "labels": list(range(lo, hi)),
                "crf": {k: exporter.round_list(a) for k, a in zip(("transitions", "start", "end"), crf)},
                "test": scores.get(h["name"])} for h, (lo, hi), crf in zip(heads, ranges, crfs)]
    config = heads_config(labels, entries, tok.get_vocab_size(), args.max_length, args.window_overlap,
                          bool(quantized and quantized["kept"]), METHODS[method][0],
                          args.not_default, training)
    dump_json(config, os.path.join(tmp, "config.json"))
    with open(os.path.join(tmp, "README.md"), "w", encoding="utf-8") as f:
        f.write(model_card(args, heads, scores, quantized, info, tmp, method))
    ev.emit("export", out=os.path.abspath(args.out), padding_max_diff=pad_diff, torch_max_diff=torch_diff,
            test={n: {k: s[k] for k in ("precision", "recall", "f1")} for n, s in scores.items()},
            quantized=bool(quantized and quantized["kept"]))
    return {"test": scores, "quantized": bool(quantized and quantized["kept"])}


def trained_on(files: list[str], method: str, info: dict) -> str:
    if method == "distill":
        return f"`{info['teacher']}`'s emissions on {len(files)} text files"
    return " + ".join(os.path.basename(os.path.dirname(os.path.abspath(f))) + "/" + os.path.basename(f) for f in files)


def model_card(args, heads, scores, quantized, info, folder, method: str) -> str:
    how = METHODS[method][1].format(**info)
    fmt = lambda x: f"{x['precision']:.2f} / {x['recall']:.2f} / **{x['f1']:.2f}**" if x else "–"  # noqa: E731
    q = quantized["scores"] if quantized else {}
    rows = "\n".join(
        f"| {h['name']} | {', '.join(sorted({l[2:] for l in h['labels'] if l != 'O'}))} | "
        f"{'no (`--heads`)' if h['name'] in args.not_default else 'yes'} | "
        f"{trained_on(h['files'], method, info)}"
        f" | {fmt(scores.get(h['name']))} | {fmt(q.get(h['name']))} |" for h in heads)
    quant_line = ("`onnx/model_quantized.onnx` (int8) is included: every head's test F1 stays within 0.5 of the "
                  "float graph." if quantized and quantized["kept"] else "No quantized graph.")
    return f"""# {args.name}

One multi-task ONNX graph with {len(heads)} heads, written by `python3 -m training.{method}` on
{datetime.date.today().isoformat()}. One shared encoder (frozen skip-gram word vectors + char-CNN + BiLSTM,
trained from scratch; no pretrained weights) feeds one linear + CRF head per corpus; {how}. The engine decodes every head
of the default output with its own CRF (`config.json` → `bioner.heads`), drops the spans of types not chosen
(`bioner.entityTypes`, `--types`) and keeps the most confident spans that do not overlap. A head marked
`"default": false` annotates a type under another corpus's guideline; it is decoded only when named
(`--heads`), so the two guidelines are never merged by confidence.

## Heads and scores

Strict entity-level precision / recall / F1 (%) on each corpus's official test split (conlleval chunking),
computed with onnxruntime on the exported graph, decoding only that head.

| head | entity types | default output | trained on | test P / R / F1 (float) | test P / R / F1 (int8) |
|---|---|---|---|---|---|
{rows}

{quant_line} Size of the folder: {folder_bytes(folder) / 1e6:.1f} MB.

## Training

Seed {args.seed}; {info["steps"]} steps in {info["epochs"]} epoch(s) over all heads' data, {info["train_seconds"]} s
(stopped by: {info["stop_reason"]}); {info["parameters"]} parameters. Hyper-parameters: `config.json` →
`bioner.training.hyper`.

## Licence

Trained on corpora redistributed by the GitHub repository `cambridgeltl/MTL-Bioinformatics-2016` (folder
`data/`) under the Creative Commons Attribution 4.0 licence (CC BY 4.0); the terms of each original corpus
also apply (JNLPBA: the GENIA corpus licence). Cite the original corpus papers when you use this model or
report numbers obtained with it.

## How to run it

`input_ids` and `attention_mask` in, `logits` out, a word's scores at its first piece; the label axis holds the
heads one after the other, in the order of `bioner.heads`.
"""


def report_done(ev: Events, result: dict) -> None:
    ev.emit("done", out=result["out"], test_f1={n: s["f1"] for n, s in result["test"].items()},
            quantized=result["quantized"], seconds=result["seconds"])


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, parse_args, run, report_done)


if __name__ == "__main__":
    sys.exit(main())
