"""Merges model folders trained on one embedding base into one multi-head model.

    python3 -m training.merge --head NAME=DIR[+DIR...] [--head ...] --out DIR
        [--test NAME=FILE ...] [--name TEXT] [--no-quantize] [--not-default NAME ...]

Every folder must come from `train --embeddings BASE --freeze-embeddings` with the same BASE: they then share
the tokenizer, the spelling tables and the word vectors. The merged graph runs every head on the same input and
puts their logits side by side; `config.json` → `bioner.heads` gives each head's labels and CRF, which is how
the engine decodes them. Weights the heads share are stored once (initializers with the same contents are
merged), so a head costs only its own char-CNN, BiLSTM and output layer. A head given several folders with the
same labels (e.g. one corpus trained with several seeds) is their ensemble: the average of their emissions and
of their CRF scores, i.e. a product of the models' distributions.
"""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys

import numpy as np

from .data import InputError, read_bio
from .export import FORMAT_VERSION, OPSET, onnx_runner, quantize, session
from .predict import encode, evaluate
from .tokenization import WordEncoder, dump_json, tokenizer_config

HEAD_FILES = ("config.json", "tokenizer.json", os.path.join("onnx", "model.onnx"))


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    out = {}
    for p in pairs:
        name, sep, value = p.partition("=")
        if not sep or not name or not value:
            raise InputError(f"{what} '{p}' must be NAME=PATH")
        if name in out:
            raise InputError(f"{what} name '{name}' is given twice")
        out[name] = value
    return out


def read_model(name: str, folder: str) -> dict:
    import json

    for f in HEAD_FILES:
        if not os.path.isfile(os.path.join(folder, f)):
            raise InputError(f"head {name}: {folder} has no {f}")
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    bioner = config.get("bioner", {})
    if "crf" not in bioner or not bioner.get("training", {}).get("freeze_embeddings"):
        raise InputError(f"head {name}: {folder} is not a mode (a) model trained with --freeze-embeddings")
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = f.read()
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    return {"dir": folder, "bioner": bioner, "labels": labels, "tokenizer": tokenizer}


def read_head(name: str, folders: str) -> dict:
    """A head: one model folder, or several ('+'-separated) with the same labels, averaged."""
    models = [read_model(name, d) for d in folders.split("+")]
    if any(m["labels"] != models[0]["labels"] for m in models):
        raise InputError(f"head {name}: the folders of an ensemble must have the same labels")
    crf = {k: np.mean([np.asarray(m["bioner"]["crf"][k]) for m in models], axis=0).round(5).tolist()
           for k in ("transitions", "start", "end")}
    return {"name": name, "dirs": [m["dir"] for m in models], "bioner": {**models[0]["bioner"], "crf": crf},
            "labels": models[0]["labels"], "tokenizers": {m["tokenizer"] for m in models},
            "training": [m["bioner"]["training"] for m in models]}


def merge_graphs(groups: list[list[str]]):
    """One graph: the inputs shared, every other name prefixed per model, identical initializers stored once,
    each group's logits averaged and the groups' logits concatenated on the label axis."""
    import onnx
    from onnx import helper, numpy_helper

    paths = [p for g in groups for p in g]
    models = [onnx.load(p) for p in paths]
    inputs = [i.name for i in models[0].graph.input]
    shared: dict[tuple, str] = {}
    initializers, nodes, outputs = [], [], []
    for h, m in enumerate(models):
        if [i.name for i in m.graph.input] != inputs:
            raise InputError(f"{paths[h]}: inputs {[i.name for i in m.graph.input]} differ from {inputs}")
        rename = {name: name for name in inputs}
        rename[""] = ""
        for init in m.graph.initializer:
            array = numpy_helper.to_array(init)
            key = (array.dtype.str, array.shape, array.tobytes())
            if key not in shared:
                shared[key] = f"h{h}/{init.name}"
                initializers.append(numpy_helper.from_array(array, shared[key]))
            rename[init.name] = shared[key]
        for node in m.graph.node:
            if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
                raise InputError(f"{paths[h]}: sub-graphs are not supported by the merge")
            for name in node.output:
                rename[name] = f"h{h}/{name}"
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = f"h{h}/{node.name}"
            copy.input[:] = [rename[x] for x in node.input]
            copy.output[:] = [rename[x] for x in node.output]
            nodes.append(copy)
        outputs.append(rename[m.graph.output[0].name])
    heads, k = [], 0
    for g, group in enumerate(groups):
        members, k = outputs[k : k + len(group)], k + len(group)
        if len(members) == 1:
            heads.append(members[0])
            continue
        initializers.append(numpy_helper.from_array(np.array(1 / len(members), dtype=np.float32), f"g{g}/weight"))
        nodes.append(helper.make_node("Sum", members, [f"g{g}/sum"], name=f"g{g}/sum"))
        nodes.append(helper.make_node("Mul", [f"g{g}/sum", f"g{g}/weight"], [f"g{g}/mean"], name=f"g{g}/mean"))
        heads.append(f"g{g}/mean")
    nodes.append(helper.make_node("Concat", heads, ["logits"], axis=2, name="heads/concat"))
    logits = helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["batch", "sequence", None])
    graph = helper.make_graph(nodes, "bioner_heads", list(models[0].graph.input), [logits], initializers)
    merged = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    merged.ir_version = models[0].ir_version
    onnx.checker.check_model(merged)
    return merged


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m training.merge", description=__doc__.split("\n\n")[0])
    p.add_argument("--head", action="append", required=True, metavar="NAME=DIR", help="a model folder, in order")
    p.add_argument("--test", action="append", default=[], metavar="NAME=FILE", help="a head's test file, scored")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--name", default="BioNER default model")
    p.add_argument("--no-quantize", action="store_true")
    p.add_argument("--not-default", action="append", default=[], metavar="NAME",
                   help="a head left out of the default output (another guideline for a type), decoded when named")
    a = p.parse_args(argv)
    try:
        merge(a)
    except InputError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    return 0


def merge(a) -> None:
    import onnx
    from tokenizers import Tokenizer

    heads = [read_head(n, d) for n, d in parse_pairs(a.head, "--head").items()]
    tests = parse_pairs(a.test, "--test")
    optional = set(a.not_default) - {h["name"] for h in heads}
    if optional:
        raise InputError(f"--not-default names no head: {', '.join(sorted(optional))}")
    unknown = set(tests) - {h["name"] for h in heads}
    if unknown:
        raise InputError(f"--test names {sorted(unknown)} are not heads")
    if len(set().union(*(h["tokenizers"] for h in heads))) != 1:
        raise InputError("the heads were trained with different tokenizers: train them on one --embeddings folder")
    out = os.path.abspath(a.out)
    tmp = f"{out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "onnx"))
    graph_path = os.path.join(tmp, "onnx", "model.onnx")
    onnx.save(merge_graphs([[os.path.join(d, "onnx", "model.onnx") for d in h["dirs"]] for h in heads]), graph_path)

    labels, offset = [], 0
    for h in heads:
        h["ids"] = list(range(offset, offset + len(h["labels"])))
        offset += len(h["labels"])
        labels += h["labels"]
    first = heads[0]["dirs"][0]
    tok = Tokenizer.from_file(os.path.join(first, "tokenizer.json"))
    enc = WordEncoder(tok)
    merged = onnx_runner(session(graph_path))
    check_heads(heads, merged)

    def head_scores(run) -> dict:
        scores = {}
        for h in heads:
            if h["name"] not in tests:
                continue
            corpus = read_bio(tests[h["name"]])
            data = encode(corpus, enc, {l: i for i, l in enumerate(h["labels"])}, {}, h["bioner"]["max_length"],
                          h["bioner"]["window_overlap"])
            crf = h["bioner"]["crf"]
            lo, hi = h["ids"][0], h["ids"][-1] + 1
            scores[h["name"]] = evaluate(data, corpus, h["labels"], lambda ids: run(ids)[:, :, lo:hi],
                                         [np.asarray(crf[k]) for k in ("transitions", "start", "end")])
            print(f"{h['name']}: test F1 {scores[h['name']]['f1']}", file=sys.stderr)
        return scores

    scores = head_scores(merged)
    quantized = None
    if not a.no_quantize:
        q_path = os.path.join(tmp, "onnx", "model_quantized.onnx")
        quantize(graph_path, q_path)
        q_scores = head_scores(onnx_runner(session(q_path)))
        kept = all(q_scores[n]["f1"] >= scores[n]["f1"] - 0.5 for n in scores)
        quantized = {"kept": kept, "scores": q_scores}
        if not kept:
            os.remove(q_path)

    shutil.copy(os.path.join(first, "tokenizer.json"), os.path.join(tmp, "tokenizer.json"))
    for f in ("tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(first, f)):
            shutil.copy(os.path.join(first, f), os.path.join(tmp, f))
    max_length = min(h["bioner"]["max_length"] for h in heads)
    entries = [{"name": h["name"], "labels": h["ids"], "crf": h["bioner"]["crf"], "test": scores.get(h["name"]),
                "training": h["training"]} for h in heads]
    config = heads_config(labels, entries, tok.get_vocab_size(), max_length, heads[0]["bioner"]["window_overlap"],
                          bool(quantized and quantized["kept"]),
                          "multi-head " + heads[0]["bioner"]["architecture"], a.not_default)
    dump_json(config, os.path.join(tmp, "config.json"))
    dump_json(tokenizer_config(max_length), os.path.join(tmp, "tokenizer_config.json"))
    with open(os.path.join(tmp, "README.md"), "w", encoding="utf-8") as f:
        f.write(model_card(a.name, heads, scores, quantized, tmp, a.not_default))
    if os.path.exists(out):
        shutil.rmtree(out)
    os.rename(tmp, out)
    print(f"wrote {out}: {len(heads)} heads, {folder_bytes(out) / 1e6:.1f} MB", file=sys.stderr)


def heads_config(labels: list[str], heads: list[dict], vocab_size: int, max_length: int, window_overlap: int,
                 quantized: bool, architecture: str, not_default: list[str], training: dict | None = None) -> dict:
    """config.json of a model with several heads. heads: name, labels (ids on the label axis), crf, test
    (scores or None) and, for merged heads, training (their models' records)."""
    short = lambda s: {k: s[k] for k in ("precision", "recall", "f1")}  # noqa: E731
    return {
        "model_type": "bert",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in reversed(list(enumerate(labels)))},
        "vocab_size": vocab_size,
        "pad_token_id": 0,
        "bioner": {
            "format_version": FORMAT_VERSION,
            "architecture": architecture,
            "max_length": max_length,
            "scheme": "IOB2",
            "decoder": "crf",
            "word_alignment": "first_subword",
            "window_overlap": window_overlap,
            "quantized": quantized,
            "heads": [{"name": h["name"], "labels": h["labels"], "crf": h["crf"],
                       **({"default": False} if h["name"] in not_default else {}),
                       "metrics": {"test": short(h["test"])} if h.get("test") else {},
                       **({"training": h["training"]} if "training" in h else {})} for h in heads],
            **({"training": training} if training else {}),
        },
    }


def check_heads(heads: list[dict], merged) -> None:
    """The merged graph must give each head exactly the logits of its own graph (the mean of an ensemble's)."""
    samples = [[2] + list(range(10, 10 + n)) + [3] for n in (1, 5, 17)]
    together = merged(samples)
    for h in heads:
        alone = np.mean([onnx_runner(session(os.path.join(d, "onnx", "model.onnx")))(samples) for d in h["dirs"]], axis=0)
        diff = float(np.abs(together[:, :, h["ids"][0] : h["ids"][-1] + 1] - alone).max())
        if diff > 1e-4:
            raise RuntimeError(f"head {h['name']}: merged logits differ from the head's graph by {diff}")


def folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(folder) for n in ns)


def model_card(name: str, heads: list[dict], scores: dict, quantized, folder: str, not_default: list[str]) -> str:
    def row(h):
        s = scores.get(h["name"])
        q = quantized["scores"].get(h["name"]) if quantized else None
        t = h["training"][0]
        seconds = sum(x["train_seconds"] for x in h["training"])
        ensemble = f" ({len(h['dirs'])} models, seeds {', '.join(str(x['seed']) for x in h['training'])}, averaged)" if len(h["dirs"]) > 1 else ""
        types = ", ".join(sorted({l[2:] for l in h["labels"] if l != "O"}))
        fmt = lambda x: f"{x['precision']:.2f} / {x['recall']:.2f} / **{x['f1']:.2f}**" if x else "–"  # noqa: E731
        default = "no (`--heads`)" if h["name"] in not_default else "yes"
        return (f"| {h['name']}{ensemble} | {types} | {default} | {t['data']} ({', '.join(t['train_files'])}) |"
                f" {seconds:.0f} s | {fmt(s)} | {fmt(q)} |")

    quant_line = ("`onnx/model_quantized.onnx` (int8) is included: every head's test F1 stays within 0.5 of the "
                  "float graph." if quantized and quantized["kept"] else "No quantized graph.")
    return f"""# {name}

One ONNX graph with {len(heads)} heads, written by `python3 -m training.merge` on {datetime.date.today().isoformat()}.
Each head is a mode (a) model (word embeddings + char-CNN + BiLSTM + CRF, trained from scratch on one corpus;
no pretrained weights) and all share one tokenizer and one set of skip-gram word vectors, kept frozen in
training and stored once. The engine decodes every head of the default output with its own CRF (`config.json` →
`bioner.heads`), drops the spans of types not chosen (`bioner.entityTypes`, `--types`) and keeps the most
confident spans that do not overlap. A head marked `"default": false` annotates a type under another corpus's
guideline; it is decoded only when named (`--heads`), so the two guidelines are never merged by confidence.

## Heads and scores

Strict entity-level precision / recall / F1 (%) on each corpus's official test split (conlleval chunking),
computed with onnxruntime on the merged graph, decoding only that head.

| head | entity types | default output | trained on | training time | test P / R / F1 (float) | test P / R / F1 (int8) |
|---|---|---|---|---|---|---|
{chr(10).join(row(h) for h in heads)}

{quant_line} Size of the folder: {folder_bytes(folder) / 1e6:.1f} MB.

## Licence

Trained on corpora redistributed by the GitHub repository `cambridgeltl/MTL-Bioinformatics-2016` (folder
`data/`) under the Creative Commons Attribution 4.0 licence (CC BY 4.0); the terms of each original corpus
also apply (JNLPBA: the GENIA corpus licence). Cite the original corpus papers when you use this model or
report numbers obtained with it.

## How to run it

The same contract as a single-head model (see a head's model card): `input_ids` and `attention_mask` in,
`logits` out, a word's scores at its first piece; the label axis holds the heads one after the other, in the
order of `bioner.heads`.
"""


if __name__ == "__main__":
    sys.exit(main())
