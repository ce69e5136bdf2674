"""Writes the model folder: ONNX graph(s), tokenizer, config.json with the CRF, and the model card.

Everything is written into a temporary folder; train.py renames it to --out at the very end. Each file is
written inside output.written(), so that a full disk names the file it stopped.
"""
from __future__ import annotations

import datetime
import inspect
import io
import os
import warnings
from contextlib import redirect_stderr

import numpy as np

from . import graph_rewrites
from .output import DiskFull, written
from .tokenization import dump_json, save_tokenizer, tokenizer_config

OPSET = 17
FORMAT_VERSION = 1

DEFAULT_LICENSE = (
    "The weights derive from the training data: the data's licence and terms apply to this model. "
    "The trainer does not know them; pass --data-license to record them here."
)

CAMBRIDGE_LICENSE = (
    "Trained on {name} as redistributed by the GitHub repository `cambridgeltl/MTL-Bioinformatics-2016` "
    "(folder `data/`) under the Creative Commons Attribution 4.0 licence (CC BY 4.0); the terms of the "
    "original {name} corpus also apply. Cite the original corpus paper when you use this model or report "
    "numbers obtained with it."
)


def session(path: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def onnx_runner(sess, pad_id: int = 0):
    """run(list of id lists) -> logits [B, S, L], right-padded; zero token_type_ids when the graph takes them."""
    token_types = "token_type_ids" in {i.name for i in sess.get_inputs()}

    def run(id_lists):
        S = max(len(i) for i in id_lists)
        ids = np.full((len(id_lists), S), pad_id, dtype=np.int64)
        am = np.zeros((len(id_lists), S), dtype=np.int64)
        for b, i in enumerate(id_lists):
            ids[b, : len(i)] = i
            am[b, : len(i)] = 1
        feeds = {"input_ids": ids, "attention_mask": am}
        if token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return sess.run(["logits"], feeds)[0]

    return run


def check_padding(run, samples: list[list[int]]) -> float:
    """Largest difference between a sequence's logits alone and inside a padded batch."""
    batched = run(samples)
    worst = 0.0
    for b, ids in enumerate(samples):
        alone = run([ids])[0]
        worst = max(worst, float(np.abs(alone - batched[b, : len(ids)]).max()))
    return worst


def export_onnx(model, path: str, n_labels: int) -> None:
    import torch

    from .model import ExportModel

    ex = ExportModel(model).eval()
    ids = torch.tensor([[2, 10, 11, 12, 3, 0, 0], [2, 13, 14, 15, 16, 17, 3]], dtype=torch.long)
    am = (ids != 0).long()
    axes = {0: "batch", 1: "sequence"}
    # torch >= 2.9 defaults to the dynamo exporter; the TorchScript one handles packed LSTMs (and is the only
    # one in torch 1.13).
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            ex, (ids, am), path, input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": axes}, opset_version=OPSET,
            do_constant_folding=True, **extra,
        )
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    out = m.graph.output[0].type.tensor_type.shape.dim
    assert out[2].dim_value == n_labels, "logits' last axis must be the number of labels"
    # The same features, faster and smaller; the graph is then checked against the model as exported.
    if graph_rewrites.apply(m):
        graph_rewrites.save(m, path)


def quantize(src: str, dst: str) -> None:
    """int8 weights, one scale per output channel, for the arithmetic: LSTMs, MatMuls, Gemms. Lookups stay as they
    are (they do no arithmetic, and one scale for the word embeddings cost BC5CDR 0.1 F1), and so do the projections
    to the logits, which decide the labels: the default model's int8 graph then scores within 0.25 F1 of the float
    one on every head (BC5CDR's default output 85.51 against 85.53, where quantizing everything gave 85.42)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(src)
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        quantize_dynamic(model, dst, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["LSTM", "MatMul", "Gemm"], nodes_to_exclude=logit_projections(model.graph))


def logit_projections(g) -> list[str]:
    """The MatMul and Gemm nodes nearest the graph's outputs, found walking back from them: the projections to the
    logits. The walk stops at LSTMs and does not follow Shape nodes, which read no values."""
    producer = {o: n for n in g.node for o in n.output}
    found, seen, todo = [], set(), [o.name for o in g.output]
    while todo:
        node = producer.get(todo.pop())
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.op_type in ("MatMul", "Gemm"):
            found.append(node.name)
        elif node.op_type not in ("LSTM", "Shape"):
            todo.extend(node.input)
    return found


def export_folder(tmp, model, tok, labels, hp, args, ev, check_stop, dev, test, info) -> dict:
    import torch

    from .predict import evaluate

    with written(tmp, "onnx") as folder:
        os.makedirs(folder, exist_ok=True)
    with written(tmp, "onnx/model.onnx") as onnx_path:
        export_onnx(model, onnx_path, len(labels))
    check_stop()
    sess = session(onnx_path)
    run = onnx_runner(sess)
    dev_c, dev_data = dev

    # The graph must match torch and must not depend on padding.
    samples = [dev_data[i].inputs[0][0] for i in range(min(8, len(dev_data)))]
    samples.append([2, 3])  # the empty sentence: [CLS] [SEP]
    pad_diff = check_padding(run, samples)
    with torch.no_grad():
        ref = model.emissions(torch.tensor([samples[0]]), torch.ones(1, len(samples[0]), dtype=torch.long))
    torch_diff = graph_rewrites.logit_error(ref.numpy()[0], run([samples[0]])[0])
    if pad_diff > 1e-4 or torch_diff > graph_rewrites.LOGIT_TOLERANCE:
        raise RuntimeError(f"exported graph check failed: padding changes logits by {pad_diff}, "
                           f"torch vs onnxruntime differ by {torch_diff:.2g} of the largest logit")

    trans, start, end = (x.detach().numpy().astype(np.float64) for x in model.crf.masked())
    crf = [trans, start, end]
    scores = {"dev": evaluate(dev_data, dev_c, labels, run, crf)}
    check_stop()
    if test:
        scores["test"] = evaluate(test[1], test[0], labels, run, crf)
        check_stop()
    ev.log(f"onnx float: dev F1 {scores['dev']['f1']}" + (f", test F1 {scores['test']['f1']}" if test else ""))

    quant = None
    if not args.no_quantize:
        q_path = os.path.join(tmp, "onnx", "model_quantized.onnx")
        try:
            with written(tmp, "onnx/model_quantized.onnx"):
                quantize(onnx_path, q_path)
            q_run = onnx_runner(session(q_path))
            q_dev = evaluate(dev_data, dev_c, labels, q_run, crf)
            keep = q_dev["f1"] >= scores["dev"]["f1"] - 0.5
            quant = {"dev": q_dev, "kept": keep, "bytes": os.path.getsize(q_path)}
            if keep and test:
                quant["test"] = evaluate(test[1], test[0], labels, q_run, crf)
            if not keep:
                os.remove(q_path)
            ev.log(f"quantized: dev F1 {q_dev['f1']} -> {'kept' if keep else 'dropped'}")
        except DiskFull:
            raise  # the rest of the folder would not fit either
        except Exception as e:  # noqa: BLE001 - the float model is enough
            ev.log(f"quantization failed, float model only: {e}")
            quant = {"kept": False, "error": str(e)}
            if os.path.exists(q_path):
                os.remove(q_path)
        check_stop()

    with written(tmp, "tokenizer.json") as path:
        save_tokenizer(tok, path)
    with written(tmp, "tokenizer_config.json") as path:
        dump_json(tokenizer_config(args.max_length), path)
    with written(tmp, "special_tokens_map.json") as path:
        dump_json({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, path)

    name = args.name or os.path.basename(os.path.abspath(args.out))
    data_name = args.data_name or default_data_name(args.train)
    short = lambda s: {k: s[k] for k in ("precision", "recall", "f1")}  # noqa: E731
    config = {
        "model_type": "bert",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
        "vocab_size": tok.get_vocab_size(),
        "pad_token_id": 0,
        "bioner": {
            "format_version": FORMAT_VERSION,
            "architecture": "word-charcnn-bilstm-crf",
            "max_length": args.max_length,
            "scheme": "IOB2",
            "decoder": "crf",
            "word_alignment": "first_subword",
            "window_overlap": args.window_overlap,
            "crf": {
                "transitions": round_list(trans),
                "start": round_list(start),
                "end": round_list(end),
            },
            "quantized": bool(quant and quant["kept"]),
            "metrics": {"dev": short(scores["dev"]), **({"test": short(scores["test"])} if test else {})},
            "training": {
                "data": data_name,
                "train_files": [os.path.basename(f) for f in args.train],
                "dev_file": os.path.basename(args.dev),
                "pretrain_text": [default_data_name([f]) for f in args.pretrain_text],
                "embeddings": os.path.basename(os.path.abspath(args.embeddings)) if args.embeddings else None,
                "freeze_embeddings": args.freeze_embeddings,
                "seed": args.seed,
                "hyper": hp,
                "select": args.select,
                **{k: info[k] for k in ("steps", "epochs", "best_epoch", "stop_reason", "train_seconds",
                                        "parameters")},
                "date": datetime.date.today().isoformat(),
            },
        },
    }
    with written(tmp, "config.json") as path:
        dump_json(config, path)
    with written(tmp, "README.md") as path, open(path, "w", encoding="utf-8") as f:
        f.write(model_card(name, data_name, args, hp, labels, scores, quant, info, test is not None))

    files = sorted(os.path.relpath(os.path.join(d, n), tmp) for d, _, ns in os.walk(tmp) for n in ns)
    size = sum(os.path.getsize(os.path.join(tmp, n)) for n in files)
    ev.emit("export", out=os.path.abspath(args.out), files=files, bytes=size, opset=OPSET,
            padding_max_diff=pad_diff, torch_max_diff=torch_diff, dev=short(scores["dev"]),
            test=short(scores["test"]) if test else None,
            quantized={"kept": quant["kept"], "dev": short(quant["dev"])} if quant and "dev" in quant else None)
    return {"dev": scores["dev"], "test": scores.get("test"), "quantized": bool(quant and quant["kept"])}


def round_list(a) -> list:
    return np.round(np.asarray(a, dtype=np.float64), 5).tolist()


def default_data_name(train_files: list[str]) -> str:
    names = []
    for f in train_files:
        d = os.path.basename(os.path.dirname(os.path.abspath(f)))
        stem = os.path.splitext(os.path.basename(f))[0]
        names.append(f"{d}/{stem}" if d else stem)
    return " + ".join(names)


def embeddings_line(args) -> str:
    frozen = " (kept fixed in training)" if args.freeze_embeddings else ""
    if args.embeddings:
        return f"skip-gram vectors from `{os.path.basename(os.path.abspath(args.embeddings))}` (`python3 -m training.pretrain`){frozen}"
    if args.pretrain_text:
        texts = ", ".join(default_data_name([f]) for f in args.pretrain_text)
        return f"skip-gram ({args.pretrain_epochs} epochs) on the words of {texts}{frozen}"
    return "random initialisation" + frozen


def model_card(name, data_name, args, hp, labels, scores, quant, info, has_test) -> str:
    def row(split, s):
        return f"| {split} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {s['gold']} |"

    rows = [row("dev (onnx float)", scores["dev"])]
    if has_test:
        rows.append(row("test (onnx float)", scores["test"]))
    if quant and "dev" in quant:
        rows.append(row("dev (quantized int8)", quant["dev"]))
        if "test" in quant:
            rows.append(row("test (quantized int8)", quant["test"]))
    hp_lines = "\n".join(f"| {k} | {v} |" for k, v in hp.items())
    license_text = args.data_license or DEFAULT_LICENSE
    quant_line = (
        "`onnx/model_quantized.onnx` (int8 dynamic quantization) is included: its dev F1 stays within 0.5 of the float graph."
        if quant and quant.get("kept")
        else "No quantized graph: " + ("not requested." if not quant else
                                       "its dev F1 fell more than 0.5 below the float graph." if "dev" in quant
                                       else "quantization failed.")
    )
    return f"""# {name}

A BioNER token classifier (mode (a): compact model trained from scratch, no pretrained weights), written by
`python3 -m training.train`. Entity types: {", ".join(sorted({l[2:] for l in labels if l != "O"}))}.

## Data

- Training: {data_name} ({", ".join(os.path.basename(f) for f in args.train)}; {info["train_sentences"]} sentences, {info["train_tokens"]} tokens)
- Model selection and dev scores: {os.path.basename(args.dev)}{f"; test: {os.path.basename(args.test)}" if has_test else ""}
- Word embeddings: {embeddings_line(args)}

## Licence

{license_text}

## Scores

Strict entity-level precision/recall/F1 (%), conlleval chunking (an `I-X` after `O` starts an entity),
computed with onnxruntime on the exported graph and Viterbi decoding with the CRF below.

| split | precision | recall | F1 | gold entities |
|---|---|---|---|---|
{chr(10).join(rows)}

{quant_line}

## Training

Seed {args.seed}; {info["steps"]} steps in {info["epochs"]} epoch(s), {info["train_seconds"]} s
(stopped by: {info["stop_reason"]}); exported checkpoint: epoch {info["best_epoch"]} ({args.select} on dev);
{info["parameters"]} parameters; vocabulary {info["vocab"]} pieces, {info["words"]} word vectors, {info["chars"]} characters.

| hyper-parameter | value |
|---|---|
{hp_lines}
| max_length | {args.max_length} |
| window_overlap | {args.window_overlap} |

## Architecture and how to run it

- `tokenizer.json`: WordPiece over whitespace-split words (BERT normalizer without lower-casing,
  `[CLS] … [SEP]` post-processor): a frequent word is one piece, any other word is spelled with its longest
  whole-word prefix and single `##` characters. Each word of a sentence is encoded on its own without
  special tokens (an empty encoding becomes `[UNK]`), the pieces are concatenated and wrapped in `[CLS]`/`[SEP]`.
- `onnx/model.onnx` (opset {OPSET}): inputs `input_ids`, `attention_mask` (int64 `[batch, sequence]`, right
  padding with `[PAD]` = 0), output `logits` (float32 `[batch, sequence, labels]`): CRF emission scores
  (not probabilities). Inside the graph each word's characters are reassembled from its pieces; a char-CNN
  over them ⊕ the word's embedding (lower-cased, digits as 0; only for words that are one piece) → BiLSTM
  over the words → linear, copied to every piece of the word. Padding does not change a sequence's logits.
- A word's scores are the logits at its first piece. Decode with Viterbi under IOB2 constraints using
  `config.json` → `bioner.crf` (`transitions[from][to]`, `start[to]`, `end[from]`, label order = `id2label`;
  invalid IOB2 transitions are already set to -10000).
- Sentences longer than `max_length` pieces are cut into windows of whole words sharing
  `window_overlap` words; each word takes its scores from the window where it lies farthest from an
  inner window edge, then one Viterbi runs over the whole sentence.
"""
