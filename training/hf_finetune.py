"""Mode (b): fine-tunes a local Hugging Face encoder checkpoint (BERT, PubMedBERT, ELECTRA, RoBERTa, DeBERTa-v3)
for token classification, with LoRA adapters (peft; r=16, alpha=32, dropout 0.05 as in OpenMed NER) or fully
(--full), and writes the Optimum-layout model folder the server loads.

train.py's run() calls run_hf() for --base DIR: same events, time budget, signals and exit codes as mode (a), and
the same training loop (loop.fit) with this mode's batch step.
Sentences are encoded as the TypeScript engine encodes them (server/src/core/ner/subwords.ts): each word on its
own without special tokens (with byte-level BPE every word but the first with a leading space), the pieces
concatenated between the tokenizer's own start and end tokens; a word's label sits on its first piece, the other
pieces are left out of the loss. Dev and test are scored as the engine decodes a model without a CRF: log-softmax
of the first-piece logits and the best IOB2-valid label sequence (plain argmax whenever argmax is valid).
"""
from __future__ import annotations

import contextlib
import datetime
import inspect
import io
import json
import math
import os
import random
import shutil
import time
import warnings

import numpy as np
import torch

from . import export as exporter
from .batches import collate, train_batches
from .data import Corpus, InputError
from .loop import Ranks, Steps, fit
from .output import DiskFull, publish, written
from .predict import Encoded, encode, evaluate
from .progress import check_stop
from .tokenization import dump_json

# model_type -> the attention projections LoRA adapts (query and value, as in the LoRA and OpenMed papers).
LORA_TARGETS = {
    "bert": ["query", "value"],
    "electra": ["query", "value"],
    "roberta": ["query", "value"],
    "xlm-roberta": ["query", "value"],
    "deberta-v2": ["query_proj", "value_proj"],  # DeBERTa-v2 and -v3
}
# RoBERTa-style position ids start after the padding id, so fewer positions are usable (as the engine computes).
OFFSET_POSITIONS = {"roberta", "xlm-roberta"}
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
MODE_A_ONLY = ("embeddings", "pretrain_text", "vocab_from", "freeze_embeddings")


def check_base(base: str) -> dict:
    """The checkpoint's config.json, after checking that the folder has what mode (b) needs."""
    if not os.path.isdir(base):
        raise InputError(f"--base {base}: no such folder (a local Hugging Face checkpoint folder is expected)")
    if not os.path.isfile(os.path.join(base, "config.json")):
        raise InputError(f"--base {base}: no config.json: not a Hugging Face checkpoint folder")
    try:
        with open(os.path.join(base, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"--base {base}: config.json is not readable JSON: {e}") from e
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in LORA_TARGETS:
        raise InputError(f"--base {base}: model_type {model_type!r} is not supported; supported: "
                         f"{', '.join(sorted(LORA_TARGETS))} (BERT, PubMedBERT, ELECTRA, RoBERTa, DeBERTa-v3)")
    if not os.path.isfile(os.path.join(base, "tokenizer.json")):
        raise InputError(f"--base {base}: no tokenizer.json (the engine needs the fast tokenizer); write it once "
                         "with transformers: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR)")
    if not any(os.path.isfile(os.path.join(base, f)) for f in WEIGHT_FILES):
        raise InputError(f"--base {base}: no PyTorch weights ({' or '.join(WEIGHT_FILES[::2])})")
    return config


def check_args(args) -> None:
    used = [f"--{a.replace('_', '-')}" for a in MODE_A_ONLY if getattr(args, a, None)]
    if used:
        raise InputError(f"{', '.join(used)}: only for the built-in model (mode a), not with --base")
    if args.lora_r < 1 or args.lora_alpha <= 0 or not 0 <= args.lora_dropout < 1:
        raise InputError("--lora-r and --lora-alpha must be positive, --lora-dropout in [0, 1)")


def read_json(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def max_length_of(config: dict, tokenizer_config: dict, requested: int) -> int:
    """The longest sequence the checkpoint takes, as the engine computes it (modelFolder.ts maxLengthOf)."""
    positions = config.get("max_position_embeddings")
    if isinstance(positions, int) and config["model_type"] in OFFSET_POSITIONS:
        positions -= (1 if config.get("pad_token_id") is None else int(config["pad_token_id"])) + 1
    return min([requested] + [n for n in (positions, tokenizer_config.get("model_max_length"))
                              if isinstance(n, int) and 8 < n <= 100_000])


class SubwordEncoder:
    """Words -> piece ids exactly as the engine's SubwordEncoder, with tokenization.WordEncoder's interface
    (words(), cls, sep) so that predict.encode() windows the sentences."""

    def __init__(self, path: str):
        from tokenizers import Tokenizer

        spec = read_json(path)
        self.tok = Tokenizer.from_file(path)
        bare = self.tok.encode("a", add_special_tokens=False).ids
        framed = self.tok.encode("a", add_special_tokens=True).ids
        if len(framed) != len(bare) + 2 or framed[1:-1] != bare:
            raise InputError(f"{path}: the post-processor must put one token before and one after a text "
                             f"([CLS] … [SEP] or <s> … </s>); 'a' encodes as {framed}")
        self.cls, self.sep = framed[0], framed[-1]
        self.unk = next((i for i in (self.tok.token_to_id(spec["model"].get("unk_token") or "[UNK]"),
                                     self.tok.token_to_id("<unk>")) if i is not None), 0)
        # Byte-level BPE marks a word's leading space in its first piece: every word but the first has one.
        self.space_marked = "ByteLevel" in json.dumps(spec.get("pre_tokenizer"))
        self.cache: dict[str, list[int]] = {}

    def words(self, words: list[str]) -> list[list[int]]:
        keys = [w if i == 0 or not self.space_marked else " " + w for i, w in enumerate(words)]
        missing = list({k for k in keys if k not in self.cache})
        for k, enc in zip(missing, self.tok.encode_batch(missing, add_special_tokens=False)):
            self.cache[k] = enc.ids or [self.unk]
        return [self.cache[k] for k in keys]


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def scorer(labels: list[str]):
    """score(corpus, data, run_logits) -> strict entity P/R/F1 under the engine's decoding: predict.evaluate's
    Viterbi with transitions that only forbid invalid IOB2, over log-probabilities."""
    from .model import NEG, iob2_constraints

    allowed, start = iob2_constraints(labels)
    lattice = [np.where(allowed.numpy(), 0.0, NEG), np.where(start.numpy(), 0.0, NEG), np.zeros(len(labels))]
    return lambda corpus, data, run: evaluate(data, corpus, labels, lambda ids: log_softmax(run(ids)), lattice)


# ---------------------------------------------------------------------------------------------------------
# Model


def load_model(base: str, labels: list[str]):
    import transformers
    from transformers import AutoModelForTokenClassification

    transformers.logging.set_verbosity_error()  # the "newly initialised classifier" notice is expected
    model = AutoModelForTokenClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
        ignore_mismatched_sizes=True, local_files_only=True)
    return model.float()  # fp32 master weights even when the checkpoint is stored in half precision


def add_lora(model, model_type: str, r: int, alpha: int, dropout: float):
    """Frozen encoder + LoRA adapters on the attention's query/value; the classifier head trains fully."""
    from peft import LoraConfig, TaskType, get_peft_model

    return get_peft_model(model, LoraConfig(task_type=TaskType.TOKEN_CLS, r=r, lora_alpha=alpha, lora_dropout=dropout,
                                            target_modules=LORA_TARGETS[model_type], modules_to_save=["classifier"]))


def parameter_counts(model) -> tuple[int, int]:
    """(trainable, all) parameters."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def uses_token_types(model) -> bool:
    """The graph takes token_type_ids when the model has more than one token type (BERT, ELECTRA), as Optimum
    exports them; RoBERTa (1) and DeBERTa-v3 (0) take only input_ids and attention_mask."""
    return (getattr(model.config, "type_vocab_size", 0) or 0) > 1


def padded(id_lists: list[list[int]], device=None):
    """input_ids, attention_mask: right padding with 0, as the engine pads."""
    ids, am, *_ = collate(torch, [(i, [], []) for i in id_lists], device or torch.device("cpu"))
    return ids, am


def torch_runner(model, device, autocast):
    def run(id_lists):
        ids, am = padded(id_lists, device)
        with torch.no_grad(), autocast():
            return model(input_ids=ids, attention_mask=am).logits.float().cpu().numpy()

    return run


# ---------------------------------------------------------------------------------------------------------
# Training


def label_tensor(ids, pos, tags, wm):
    """[B, S] labels: each word's tag at its first piece, -100 (ignored by the loss) everywhere else."""
    labels = torch.full_like(ids, -100)
    # Padded word slots point at position 0 (the start token), which stays -100.
    return labels.scatter_(1, pos, torch.where(wm, tags, torch.full_like(tags, -100)))


def schedule(step: int, total: int) -> float:
    """Learning-rate factor: linear warm-up over the first 10% of the planned steps, then linear decay to 0."""
    warm = max(1, total // 10)
    return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))


def finetune_steps(core, ranks: Ranks, hp: dict, args, train_data: list[Encoded], dev_eval, autocast) -> Steps:
    """Mode (b) for fit(): the model's own cross-entropy, AdamW with the warm-up/decay schedule over the planned
    steps, clipped gradients; the kept weights are the trainable ones only."""
    model = ranks.wrap(core)
    trainable = [(n, p) for n, p in core.named_parameters() if p.requires_grad]
    params = [p for _, p in trainable]
    opt = torch.optim.AdamW(params, lr=hp["lr"], weight_decay=hp["weight_decay"])
    windows = sum(len(e.inputs) for e in train_data)
    total = min(args.max_steps or math.inf, args.epochs * max(1, math.ceil(windows / hp["batch_size"]) // ranks.world))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: schedule(s, total))
    rng = random.Random(args.seed)

    def step(batch) -> float:
        ids, am, pos, tags, wm = collate(torch, batch, ranks.device)
        with autocast():
            loss = model(input_ids=ids, attention_mask=am, labels=label_tensor(ids, pos, tags, wm)).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"])
        opt.step()
        sched.step()
        return loss.item()

    def restore(state: dict) -> None:
        with torch.no_grad():
            for name, p in trainable:
                p.copy_(state[name])

    model.train()  # from_pretrained() returns the model in eval mode
    return Steps(begin_epoch=lambda _epoch: train_batches(train_data, hp["batch_size"], rng, {}), step=step,
                 evaluate=dev_eval, snapshot=lambda: {n: p.detach().cpu().clone() for n, p in trainable},
                 restore=restore, export_seconds=30)


# ---------------------------------------------------------------------------------------------------------
# Export


class LogitsOnly(torch.nn.Module):
    """forward(input_ids, attention_mask[, token_type_ids]) -> logits: the graph has exactly the contract's
    inputs and one output."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits


def export_onnx(model, path: str, samples: list[list[int]]) -> list[str]:
    """torch.onnx.export (TorchScript exporter, opset 17) with dynamic batch/sequence axes; returns the input names."""
    import onnx

    ids, am = padded(samples)
    names, inputs = ["input_ids", "attention_mask"], (ids, am)
    if uses_token_types(model):
        names, inputs = names + ["token_type_ids"], inputs + (torch.zeros_like(ids),)
    axes = {0: "batch", 1: "sequence"}
    # torch >= 2.9 defaults to the dynamo exporter; the TorchScript one is the only one in torch 1.13.
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(LogitsOnly(model).eval(), inputs, path, input_names=names, output_names=["logits"],
                          dynamic_axes={n: axes for n in names + ["logits"]}, opset_version=exporter.OPSET,
                          do_constant_folding=True, **extra)
    onnx.checker.check_model(path)
    return names


def check_graph(model, run, samples: list[list[int]]) -> tuple[float, float]:
    """(padding diff, torch diff): a window's logits alone vs. in a padded batch, and onnxruntime vs. torch on the
    padded batch (real positions only). Raises when either is off."""
    pad_diff = exporter.check_padding(run, samples)
    want = torch_runner(model, torch.device("cpu"), contextlib.nullcontext)(samples)
    got = run(samples)
    torch_diff = max(float(np.abs(got[b, : len(s)] - want[b, : len(s)]).max()) for b, s in enumerate(samples))
    if pad_diff > 1e-3 or torch_diff > 1e-3:
        raise RuntimeError(f"exported graph check failed: padding changes logits by {pad_diff}, "
                           f"torch vs onnxruntime differ by {torch_diff}")
    return pad_diff, torch_diff


def try_quantized(tmp: str, score, dev, test, float_f1: float, ev) -> dict:
    """int8 dynamic quantization, kept only when its dev F1 is within 0.5 of the float graph (as in mode a)."""
    q_path = os.path.join(tmp, "onnx", "model_quantized.onnx")
    try:
        with written(tmp, "onnx/model_quantized.onnx"):
            exporter.quantize(os.path.join(tmp, "onnx", "model.onnx"), q_path)
        q_run = exporter.onnx_runner(exporter.session(q_path))
        quant = {"dev": score(*dev, q_run)}
        quant["kept"] = quant["dev"]["f1"] >= float_f1 - 0.5
        if quant["kept"] and test:
            quant["test"] = score(*test, q_run)
        ev.log(f"quantized: dev F1 {quant['dev']['f1']} -> {'kept' if quant['kept'] else 'dropped'}")
    except DiskFull:
        raise  # the rest of the folder would not fit either
    except Exception as e:  # noqa: BLE001 - the float model is enough
        ev.log(f"quantization failed, float model only: {e}")
        quant = {"kept": False, "error": str(e)}
    if not quant["kept"] and os.path.exists(q_path):
        os.remove(q_path)
    return quant


def export_graphs(tmp: str, model, labels: list[str], samples, dev, test, args, ev) -> dict:
    """onnx/model.onnx (checked against torch) and, when good enough, onnx/model_quantized.onnx; their scores."""
    with written(tmp, "onnx") as folder:
        os.makedirs(folder, exist_ok=True)
    with written(tmp, "onnx/model.onnx") as onnx_path:
        inputs = export_onnx(model, onnx_path, samples[:2])
    check_stop()
    run = exporter.onnx_runner(exporter.session(onnx_path))
    pad_diff, torch_diff = check_graph(model, run, samples)
    score = scorer(labels)
    scores = {"dev": score(*dev, run), **({"test": score(*test, run)} if test else {})}
    ev.log(f"onnx float: dev F1 {scores['dev']['f1']}" + (f", test F1 {scores['test']['f1']}" if test else ""))
    check_stop()
    quant = None if args.no_quantize else try_quantized(tmp, score, dev, test, scores["dev"]["f1"], ev)
    check_stop()
    return {"scores": scores, "quant": quant, "inputs": inputs, "pad_diff": pad_diff, "torch_diff": torch_diff}


def copy_tokenizer(base: str, tmp: str, max_length: int) -> None:
    for name in TOKENIZER_FILES:
        if os.path.isfile(os.path.join(base, name)):
            with written(tmp, name) as path:
                shutil.copyfile(os.path.join(base, name), path)
    if not os.path.isfile(os.path.join(tmp, "tokenizer_config.json")):
        with written(tmp, "tokenizer_config.json") as path:
            dump_json({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length}, path)


def write_config(model, tmp: str, base_name: str, bioner: dict) -> None:
    """The checkpoint's config as transformers saves it (model_type and the rest are the library's own), with the
    new head's id2label/label2id, plus the `bioner` block."""
    model.config.architectures = [type(model).__name__]
    model.config.name_or_path = base_name  # not the absolute path of the user's folder
    with written(tmp, "config.json") as path:
        model.config.save_pretrained(tmp)
        config = read_json(path)
        config["bioner"] = bioner
        dump_json(config, path)


def short(s: dict) -> dict:
    return {k: s[k] for k in ("precision", "recall", "f1")}


def bioner_block(args, info: dict, ex: dict) -> dict:
    quant = ex["quant"]
    return {
        "format_version": exporter.FORMAT_VERSION,
        "architecture": f"{info['model_type']} token classification ({info['method']} fine-tuning of {info['base']})",
        "max_length": info["max_length"],
        "scheme": "IOB2",
        "decoder": "argmax",
        "word_alignment": "first_subword",
        "window_overlap": args.window_overlap,
        "quantized": bool(quant and quant["kept"]),
        "metrics": {split: short(s) for split, s in ex["scores"].items()},
        "training": {
            "data": info["data"],
            "train_files": [os.path.basename(f) for f in args.train],
            "dev_file": os.path.basename(args.dev),
            "base": info["base"],
            "seed": args.seed,
            "hyper": info["hyper"],
            "select": args.select,
            **{k: info[k] for k in ("steps", "epochs", "best_epoch", "stop_reason", "train_seconds", "parameters",
                                    "trainable_parameters")},
            "date": datetime.date.today().isoformat(),
        },
    }


def model_card(args, info: dict, labels: list[str], ex: dict) -> str:
    def row(split, s):
        return f"| {split} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {s['gold']} |"

    quant = ex["quant"]
    rows = [row(f"{split} (onnx float)", s) for split, s in ex["scores"].items()]
    rows += [row(f"{split} (quantized int8)", quant[split]) for split in ("dev", "test") if quant and split in quant]
    if not quant:
        quant_line = "No quantized graph: not requested."
    elif quant["kept"]:
        quant_line = ("`onnx/model_quantized.onnx` (int8 dynamic quantization) is included: its dev F1 stays within "
                      "0.5 of the float graph.")
    else:
        quant_line = "No quantized graph: " + ("its dev F1 fell more than 0.5 below the float graph." if "dev" in quant
                                                else "quantization failed.")
    hp = info["hyper"]
    if info["method"] == "lora":
        method = (f"LoRA (r={hp['lora_r']}, alpha={hp['lora_alpha']}, dropout={hp['lora_dropout']}) on "
                  f"{', '.join(hp['lora_targets'])}; the classifier head trained fully; the adapters were merged into "
                  "the weights before export.")
    else:
        method = "All weights fine-tuned."
    share = 100 * info["trainable_parameters"] / info["parameters"]
    hp_lines = "\n".join(f"| {k} | {', '.join(v) if isinstance(v, list) else v} |" for k, v in hp.items())
    extra_input = " and `token_type_ids` (zeros)" if "token_type_ids" in ex["inputs"] else ""
    space = " (byte-level BPE: every word but the first with a leading space)" if info["space_marked"] else ""
    return f"""# {args.name or os.path.basename(os.path.abspath(args.out))}

A BioNER token classifier: mode (b), {"LoRA" if info["method"] == "lora" else "full"} fine-tuning of the Hugging
Face checkpoint `{info["base"]}` (`model_type` {info["model_type"]}), written by `python3 -m training.train --base`.
Entity types: {", ".join(sorted({l[2:] for l in labels if l != "O"}))}.

## Data

- Training: {info["data"]} ({", ".join(os.path.basename(f) for f in args.train)}; {info["train_sentences"]} sentences, {info["train_tokens"]} tokens)
- Model selection and dev scores: {os.path.basename(args.dev)}{f"; test: {os.path.basename(args.test)}" if args.test else ""}

## Licence

{args.data_license or exporter.DEFAULT_LICENSE} The base checkpoint's own licence applies as well.

## Scores

Strict entity-level precision/recall/F1 (%), conlleval chunking (an `I-X` after `O` starts an entity),
computed with onnxruntime on the exported graph: log-softmax of each word's first-piece logits, then the best
IOB2-valid label sequence (the BioNER engine's decoding; the same as argmax whenever argmax is valid IOB2).

| split | precision | recall | F1 | gold entities |
|---|---|---|---|---|
{chr(10).join(rows)}

{quant_line}

## Training

{method} {info["trainable_parameters"]:,} of {info["parameters"]:,} parameters trained ({share:.2f}%).

Seed {args.seed}; {info["steps"]} steps in {info["epochs"]} epoch(s), {info["train_seconds"]} s (stopped by: {info["stop_reason"]});
exported checkpoint: epoch {info["best_epoch"]} ({args.select} on dev). AdamW, linear warm-up over 10% of the
planned steps then linear decay, gradients clipped; cross-entropy on each word's first piece (the other pieces
are ignored).

| hyper-parameter | value |
|---|---|
{hp_lines}
| max_length | {info["max_length"]} |
| window_overlap | {args.window_overlap} |

## How to run it

- `tokenizer.json` is the base checkpoint's. Each word of a sentence is encoded on its own without special
  tokens{space}; an empty encoding becomes the unknown token; the pieces are concatenated between the
  tokenizer's start and end tokens. A word's scores are the logits at its first piece.
- `onnx/model.onnx` (opset {exporter.OPSET}): inputs `input_ids`, `attention_mask`{extra_input} (int64
  `[batch, sequence]`), output `logits` (float32 `[batch, sequence, labels]`, label order = `id2label`). No CRF:
  decode with argmax, or IOB2-constrained as the BioNER engine does.
- Sentences longer than `max_length` pieces are cut into overlapping windows of whole words; each word takes
  its scores from the window where it lies farthest from an inner window edge.
"""


# ---------------------------------------------------------------------------------------------------------


def autocast_on(device):
    """bf16 autocast on CUDA where supported, fp32 otherwise."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext


def hyper(args, model_type: str, autocast) -> dict:
    hp = {"method": "full" if args.full else "lora", "lr": args.lr or (5e-5 if args.full else 5e-4),
          "batch_size": args.batch_size or 16, "weight_decay": 0.01, "warmup": 0.1, "max_grad_norm": 1.0,
          "precision": "fp32" if autocast is contextlib.nullcontext else "bf16 autocast"}
    if not args.full:
        hp.update(lora_r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                  lora_targets=LORA_TARGETS[model_type])
    return hp


def run_hf(args, ev, ranks: Ranks, out: str, tmp: str, train_c: Corpus, dev_c: Corpus, test_c: Corpus | None,
           labels: list[str]) -> dict:
    """Mode (b), from the loaded inputs to the renamed --out folder. Returns what run() returns for mode (a)
    ({} on ranks other than 0)."""
    t0 = time.time()
    check_args(args)
    base = os.path.abspath(args.base)
    config = check_base(base)
    model_type = config["model_type"]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder only: never reach for the hub
    max_length = max_length_of(config, read_json(os.path.join(base, "tokenizer_config.json")), args.max_length)
    enc = SubwordEncoder(os.path.join(base, "tokenizer.json"))
    label_ids = {l: i for i, l in enumerate(labels)}
    encoded = lambda c: encode(c, enc, label_ids, {}, max_length, args.window_overlap)  # noqa: E731
    train_data, dev_data = encoded(train_c), encoded(dev_c)

    ranks.start(args)
    autocast = autocast_on(ranks.device)
    check_stop()
    core = load_model(base, labels)
    hp = hyper(args, model_type, autocast)
    if hp["method"] == "lora":
        core = add_lora(core, model_type, args.lora_r, args.lora_alpha, args.lora_dropout)
    core.to(ranks.device)
    trainable, n_params = parameter_counts(core)
    ev.emit("start", mode="b", base=base, model_type=model_type, method=hp["method"], train=args.train, dev=args.dev,
            test=args.test, out=out, labels=labels, device=str(ranks.device), world_size=ranks.world,
            train_sentences=len(train_c.sentences), dev_sentences=len(dev_c.sentences), hyper=hp, seed=args.seed,
            max_minutes=args.max_minutes, max_length=max_length, parameters=n_params, trainable_parameters=trainable,
            trainable_share=round(trainable / n_params, 6))
    ev.log(f"{model_type} from {base}: {hp['method']}, {trainable} of {n_params} parameters trained, max length "
           f"{max_length}, device {ranks.device}")

    score = scorer(labels)

    def dev_eval():
        core.eval()
        r = score(dev_c, dev_data, torch_runner(core, ranks.device, autocast))
        core.train()
        return r

    res = fit(finetune_steps(core, ranks, hp, args, train_data, dev_eval, autocast), args, ev, ranks, t0)
    if not ranks.main:
        return {}
    # A plain transformers model for the export: the adapters folded into the attention weights.
    merged = (core.merge_and_unload() if hp["method"] == "lora" else core).cpu().float().eval()
    check_stop()

    test = (test_c, encoded(test_c)) if test_c else None
    samples = [e.inputs[0][0] for e in dev_data[:8]] + [[enc.cls, enc.sep]]
    ex = export_graphs(tmp, merged, labels, samples, (dev_c, dev_data), test, args, ev)
    info = {"model_type": model_type, "method": hp["method"], "base": os.path.basename(base), "hyper": hp,
            "max_length": max_length, "parameters": n_params, "trainable_parameters": trainable, "steps": res.step,
            "epochs": res.epoch, "best_epoch": res.best_epoch, "stop_reason": res.stop_reason,
            "train_seconds": round(res.train_seconds, 1), "train_sentences": len(train_c.sentences),
            "train_tokens": train_c.n_tokens, "space_marked": enc.space_marked,
            "data": args.data_name or exporter.default_data_name(args.train)}
    copy_tokenizer(base, tmp, max_length)
    write_config(merged, tmp, info["base"], bioner_block(args, info, ex))
    with written(tmp, "README.md") as path, open(path, "w", encoding="utf-8") as f:
        f.write(model_card(args, info, labels, ex))

    scores, quant = ex["scores"], ex["quant"]
    files = sorted(os.path.relpath(os.path.join(d, n), tmp) for d, _, ns in os.walk(tmp) for n in ns)
    ev.emit("export", out=out, files=files, bytes=sum(os.path.getsize(os.path.join(tmp, n)) for n in files),
            opset=exporter.OPSET, inputs=ex["inputs"], padding_max_diff=ex["pad_diff"], torch_max_diff=ex["torch_diff"],
            dev=short(scores["dev"]), test=short(scores["test"]) if test else None,
            quantized={"kept": quant["kept"], "dev": short(quant["dev"])} if quant and "dev" in quant else None)
    check_stop()
    publish(tmp, out)
    return {"out": out, "dev": scores["dev"], "test": scores.get("test"), "quantized": bool(quant and quant["kept"]),
            "seconds": round(time.time() - t0, 1)}
