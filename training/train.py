"""Trains a BioNER token classifier from BIO files and writes the model folder the server loads.

    python3 -m training.train --train train.tsv --dev dev.tsv --out models/my-model [--test test.tsv]
        [--max-minutes N] [--epochs N] [--seed N] [--base HF_CHECKPOINT_DIR]

Progress goes to stdout as JSON lines (start, step, epoch, export, done | error); human-readable logs to
stderr. The model is written into a temporary folder beside --out and renamed at the very end, so an
interrupted run (SIGTERM, SIGINT, error, even SIGKILL) leaves no half-written model; what a killed run left
is cleaned by the next (training/output.py). Exit codes: 0 done, 1 internal error or a full disk, 2 bad
input or arguments, 143 terminated by a signal.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from .batches import collate, train_batches
from .data import Corpus, InputError, check_labels, label_list, read_bio, repair_iob2
from .loop import Ranks, Steps, fit
from .output import DiskFull, clean_stale, publish, temp_folder
from .predict import encode, evaluate
from .progress import Events, Terminated, check_stop, on_signal

PRESETS = {
    # The default mode (a) model: 100-d word embeddings, a 50-filter char-CNN, a 200-unit BiLSTM (about 3.5M
    # parameters with a 30k-word vocabulary, most of them the word embeddings).
    "default": dict(vocab_size=30000, emb_dim=100, char_dim=30, char_filters=50, char_width=3, hidden=200,
                    layers=1, dropout=0.5, max_chars=24, batch_size=16, lr=2e-3,
                    optimizer="adam", lr_decay=0.0, word_dropout=0.05, ema=0.999),
    # The engine's test fixture: a real model that stays under 3 MB.
    "small": dict(vocab_size=5000, emb_dim=50, char_dim=16, char_filters=32, char_width=3, hidden=64,
                  layers=1, dropout=0.4, max_chars=20, batch_size=16, lr=2e-3,
                  optimizer="adam", lr_decay=0.0, word_dropout=0.05, ema=0.999),
    # Unit tests: seconds.
    "tiny": dict(vocab_size=300, emb_dim=16, char_dim=8, char_filters=8, char_width=3, hidden=8,
                 layers=1, dropout=0.1, max_chars=12, batch_size=4, lr=5e-3,
                 optimizer="adam", lr_decay=0.0, word_dropout=0.0, ema=0.0),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m training.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True, nargs="+", metavar="F", help="training BIO file(s)")
    p.add_argument("--dev", required=True, metavar="F", help="development BIO file (model selection, scores)")
    p.add_argument("--test", metavar="F", help="test BIO file: scored at the end, recorded in the model card")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder to write (replaced if it is a model)")
    p.add_argument("--base", metavar="DIR",
                   help="mode (b): fine-tune a local Hugging Face checkpoint folder (BERT, ELECTRA, RoBERTa, "
                        "DeBERTa-v3) with LoRA; --lr and --batch-size apply, the model options do not")
    p.add_argument("--full", action="store_true", help="mode (b): fine-tune all weights instead of LoRA adapters")
    p.add_argument("--lora-r", type=int, default=16, help="mode (b): LoRA rank")
    p.add_argument("--lora-alpha", type=int, default=32, help="mode (b): LoRA scaling numerator (alpha / r)")
    p.add_argument("--lora-dropout", type=float, default=0.05, help="mode (b): dropout on the LoRA input")
    add_loop_options(p, "the training data")
    p.add_argument("--min-frequency", type=int, default=2, help="least count of a word with its own piece")
    p.add_argument("--max-length", type=int, default=256,
                   help="longest sequence in sub-words, [CLS]/[SEP] included; longer sentences are windowed")
    p.add_argument("--window-overlap", type=int, default=32, help="words shared by consecutive windows")
    p.add_argument("--vocab-from", nargs="*", default=[], metavar="F",
                   help="more BIO/CoNLL files whose words (first column only) feed the tokenizer's vocabulary")
    p.add_argument("--pretrain-text", nargs="*", default=[], metavar="F",
                   help="unlabelled text (BIO/CoNLL files, first column) for skip-gram pre-training of the "
                        "word embeddings; its words also feed the vocabulary")
    p.add_argument("--embeddings", metavar="DIR",
                   help="start from the tokenizer and word vectors of `python3 -m training.pretrain` (instead of "
                        "--vocab-from/--pretrain-text)")
    p.add_argument("--freeze-embeddings", action="store_true",
                   help="keep the word vectors fixed (models trained on one --embeddings DIR can then be merged)")
    p.add_argument("--pretrain-epochs", type=int, default=3, help="skip-gram passes over the text")
    p.add_argument("--data-name", help="name of the training data for the model card (default: folder name)")
    p.add_argument("--data-license", help="licence text of the training data for the model card")
    p.add_argument("--name", help="model name for the model card (default: --out folder name)")
    return p.parse_args(argv)


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=sorted(PRESETS), default="default", help="size of the model")
    for name, typ in (("vocab-size", int), ("emb-dim", int), ("char-dim", int), ("char-filters", int),
                      ("char-width", int), ("hidden", int), ("layers", int), ("dropout", float),
                      ("max-chars", int), ("batch-size", int), ("lr", float), ("word-dropout", float)):
        p.add_argument(f"--{name}", type=typ, help="overrides the preset")
    p.add_argument("--optimizer", choices=["adam", "sgd"], help="overrides the preset")
    p.add_argument("--lr-decay", type=float, help="learning rate = lr / (1 + decay * finished epochs)")
    p.add_argument("--ema", type=float, help="exponential moving average of the weights (e.g. 0.999), 0 = off")


def add_loop_options(p: argparse.ArgumentParser, passes_over: str) -> None:
    """The options of fit() that every mode (a) trainer shares: budget, stopping, selection, the model's size."""
    p.add_argument("--max-minutes", type=float, help="wall-clock budget; the best model so far is exported")
    p.add_argument("--epochs", type=int, default=40, help=f"maximum number of passes over {passes_over}")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--patience", type=int, default=8,
                   help="stop after N evaluations without a better dev F1 (the heads' mean with several heads)")
    p.add_argument("--select", choices=["best", "last"], default="best",
                   help="export the checkpoint with the best dev F1 (default) or the last one (train+dev runs)")
    p.add_argument("--seed", type=int, default=13)
    add_model_options(p)
    p.add_argument("--eval-every", type=int, help="also evaluate on dev every N steps (default: each epoch)")
    p.add_argument("--log-every", type=int, default=50, help="a step event every N steps")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest on 2 cores)")
    p.add_argument("--no-quantize", action="store_true", help="do not try onnx/model_quantized.onnx")


def hyper(args) -> dict:
    hp = dict(PRESETS[args.preset])
    for k in list(hp):
        v = getattr(args, k, None)
        if v is not None:
            hp[k] = v
    return hp


def check_paths(args) -> tuple[str, str]:
    """Validates --out against the inputs. Returns (absolute out, temporary folder beside it)."""
    out = os.path.abspath(args.out)
    inputs = [os.path.abspath(f) for f in args.train + [args.dev] + ([args.test] if args.test else [])
              + args.vocab_from + args.pretrain_text]
    for f in inputs:
        if f == out or f.startswith(out.rstrip(os.sep) + os.sep):
            raise InputError(f"--out {args.out} would contain the input file {f}: choose another folder")
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise InputError(f"--out {args.out} exists and is not a folder")
        entries = os.listdir(out)
        if entries and "config.json" not in entries:
            raise InputError(f"--out {args.out} exists, is not empty and holds no model (config.json): "
                             "refusing to replace it")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write in {parent}")
    return out, temp_folder(out)


def load_inputs(args, ev: Events):
    trains = [read_bio(f) for f in args.train]
    train = Corpus(",".join(args.train), [s for c in trains for s in c.sentences])
    dev = read_bio(args.dev)
    test = read_bio(args.test) if args.test else None
    types = set()
    for c in trains:
        types |= set(c.types())
    if not types:
        raise InputError(f"{args.train[0]}: the training data has no entity (only 'O' tags)")
    check_labels(types, dev, "dev")
    if test:
        check_labels(types, test, "test")
    fixed = 0
    for s in train.sentences:
        s.tags, n = repair_iob2(s.tags)
        fixed += n
    if fixed:
        ev.log(f"warning: {fixed} training tags 'I-X' did not continue an X entity and were read as 'B-X'")
    extra = []
    for f in args.vocab_from:
        extra.extend(read_bio(f).sentences)
    pre = []
    for f in args.pretrain_text:
        pre.extend(read_bio(f).sentences)
    return train, dev, test, label_list(sorted(types)), extra, pre


# ---------------------------------------------------------------------------------------------------------


def word_base(torch, args, hp: dict, train_c: Corpus, extra: list, pre: list, ev: Events):
    """The tokenizer and, when pre-trained, the word vectors: from --embeddings, or built here from the
    training words (+ --vocab-from, --pretrain-text) with skip-gram on --pretrain-text. Deterministic, so every
    rank builds the same."""
    from .pretrain import word_vectors
    from tokenizers import Tokenizer

    from .tokenization import spelling, train_word_tokenizer

    if args.embeddings:
        import numpy as np

        tok = Tokenizer.from_file(os.path.join(args.embeddings, "tokenizer.json"))
        vectors = torch.from_numpy(np.load(os.path.join(args.embeddings, "word_vectors.npy")))
        if vectors.shape != (len(spelling(tok)[2]), hp["emb_dim"]):
            raise InputError(f"--embeddings {args.embeddings}: word_vectors.npy has shape {tuple(vectors.shape)}, "
                             f"the tokenizer and --emb-dim need ({len(spelling(tok)[2])}, {hp['emb_dim']})")
        return tok, vectors
    tok = train_word_tokenizer((s.words for s in train_c.sentences + extra + pre), hp["vocab_size"], args.min_frequency)
    if not pre:
        return tok, None
    t = time.time()
    vectors = word_vectors(torch, tok, train_c.sentences + pre, hp["emb_dim"], args.pretrain_epochs, args.seed,
                           check_stop=check_stop, log=ev.log)
    ev.emit("pretrain", sentences=len(train_c.sentences) + len(pre), epochs=args.pretrain_epochs,
            seconds=round(time.time() - t, 1))
    return tok, vectors


class Ema:
    """A moving average of the trainable weights (its decay ramps up over the first steps), evaluated and exported
    instead of the live weights."""

    def __init__(self, torch, params: list, decay: float):
        self.torch, self.params, self.decay = torch, params, decay
        self.average = [p.detach().clone() for p in params]
        self.steps = 0

    def update(self) -> None:
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        with self.torch.no_grad():
            for a, p in zip(self.average, self.params):
                a.mul_(d).add_(p.detach(), alpha=1 - d)

    @contextlib.contextmanager
    def swapped(self):
        """The averaged weights in the model inside the block, the live ones again after it."""
        with self.torch.no_grad():
            live = [p.detach().clone() for p in self.params]
            for a, p in zip(self.average, self.params):
                p.copy_(a)
        try:
            yield
        finally:
            with self.torch.no_grad():
                for b, p in zip(live, self.params):
                    p.copy_(b)


@dataclass
class Task:
    """One head's data: its labels (the head's own ids), encoded training windows and dev set."""

    name: str
    labels: list[str]
    train: list
    dev: tuple  # (Corpus, encoded)
    repeat: int = 1  # passes over its data per epoch

    @property
    def begin_of(self) -> dict[int, int]:
        """Each I-X id -> the id of B-X."""
        ids = {l: i for i, l in enumerate(self.labels)}
        return {i: ids["B-" + l[2:]] for l, i in ids.items() if l.startswith("I-") and "B-" + l[2:] in ids}


@dataclass
class Objective:
    """What a mode (a) model learns from: one epoch's batches and a batch's mean loss."""

    batches: Callable[[int, random.Random], list]  # (epoch, rng) -> all ranks' batches
    loss: Callable[[Any, Any], Any]  # (model, batch) -> scalar tensor


def tagger_steps(torch, core, ranks: Ranks, hp: dict, args, tasks: list[Task], objective: Objective | None = None) -> Steps:
    """Mode (a) for fit(): Adam or SGD (lr / (1 + decay * finished epochs)), clipped gradients and the moving
    average; dev scored with the averaged weights and each head's CRF Viterbi. The objective is by default the CRF
    loss on the tasks' gold tags: with several tasks (a multi-task model) each batch holds one task's windows and
    trains the shared encoder and that task's head; an epoch is one pass over every task's data. Distillation
    (training.distill) brings its own objective. With several tasks the dev score is the mean of the heads'."""
    model = ranks.wrap(core)
    trainable = [p for p in core.parameters() if p.requires_grad]
    if hp["optimizer"] == "sgd":
        opt = torch.optim.SGD(trainable, lr=hp["lr"], momentum=0.9)
    else:
        opt = torch.optim.Adam(trainable, lr=hp["lr"])
    ema = Ema(torch, trainable, hp["ema"]) if hp["ema"] else None
    averaged = ema.swapped if ema else contextlib.nullcontext
    rng = random.Random(args.seed)

    def gold_batches(_epoch: int, rng: random.Random) -> list:
        # Under torchrun, consecutive batches go to different ranks: pairs of one task keep every rank on the
        # same head at each step.
        groups = []
        for h, t in enumerate(tasks):
            batches = [b for _ in range(t.repeat) for b in train_batches(t.train, hp["batch_size"], rng, t.begin_of)]
            groups += [[(h, b) for b in batches[i : i + ranks.world]] for i in range(0, len(batches), ranks.world)]
        rng.shuffle(groups)
        return [b for g in groups for b in g]

    def crf_loss(model, task_batch):
        head, batch = task_batch
        ids, am, pos, tags, wm = collate(torch, batch, ranks.device)
        return model(ids, am, pos, tags, wm, head) / len(batch)

    objective = objective or Objective(gold_batches, crf_loss)

    def begin_epoch(epoch: int) -> list:
        for group in opt.param_groups:
            group["lr"] = hp["lr"] / (1 + hp["lr_decay"] * (epoch - 1))
        return objective.batches(epoch, rng)

    def step(batch) -> float:
        loss = objective.loss(model, batch)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 5.0)
        opt.step()
        if ema:
            ema.update()
        return loss.item()

    def head_runner(lo: int, hi: int):
        def run_batch(id_lists):
            ids, am, *_ = collate(torch, [(i, [], []) for i in id_lists], ranks.device)
            with torch.no_grad():
                return core.emissions(ids, am)[:, :, lo:hi].float().cpu().numpy()

        return run_batch

    def dev_eval() -> dict:
        with averaged():
            core.eval()
            heads = {}
            for t, (lo, hi), crf in zip(tasks, core.heads, core.crfs):
                masked = [x.detach().cpu().numpy() for x in crf.masked()]
                heads[t.name] = evaluate(t.dev[1], t.dev[0], t.labels, head_runner(lo, hi), masked)
            core.train()
        if len(tasks) == 1:
            return heads[tasks[0].name]
        mean = {k: round(sum(h[k] for h in heads.values()) / len(heads), 2) for k in ("precision", "recall", "f1")}
        return {**mean, "heads": {n: {k: h[k] for k in ("precision", "recall", "f1")} for n, h in heads.items()}}

    def snapshot() -> dict:
        with averaged():
            return {k: v.detach().cpu().clone() for k, v in core.state_dict().items()}

    model.train()
    return Steps(begin_epoch=begin_epoch, step=step, evaluate=dev_eval, snapshot=snapshot,
                 restore=core.load_state_dict, export_seconds=15)


def build_tagger(torch, hp: dict, args, tables: dict, chars: list, word_vocab: list, labels: list[str], vectors,
                 heads: list[tuple[int, int]] | None = None):
    from .model import Tagger

    core = Tagger(tables, len(chars), len(word_vocab), labels, emb_dim=hp["emb_dim"], char_dim=hp["char_dim"],
                  char_filters=hp["char_filters"], char_width=hp["char_width"], hidden=hp["hidden"],
                  layers=hp["layers"], dropout=hp["dropout"], word_dropout=hp["word_dropout"],
                  word_chars=hp["max_chars"], freeze_embeddings=args.freeze_embeddings, heads=heads)
    if vectors is not None:
        # Scaled to the spread of the random initialisation (uniform ±0.1), by a constant: models trained on one
        # --embeddings folder then hold identical vectors, which training.merge stores once.
        with torch.no_grad():
            core.embed.weight.copy_(vectors * (0.1 / math.sqrt(3) / vectors[1:].std()))
    return core


def run(args, ev: Events) -> dict:
    t0 = time.time()
    ranks = Ranks()
    ev.enabled = ranks.main
    hp = hyper(args)
    if args.max_length < 8:
        raise InputError("--max-length must be at least 8")
    if args.epochs < 1 or (args.max_steps is not None and args.max_steps < 1):
        raise InputError("--epochs and --max-steps must be at least 1")
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise InputError("--max-minutes must be positive")
    if args.window_overlap < 0:
        raise InputError("--window-overlap must not be negative")
    if ranks.main:
        clean_stale(os.path.abspath(args.out), ev.log)
    out, tmp = check_paths(args)
    train_c, dev_c, test_c, labels, extra, pre = load_inputs(args, ev)
    if args.base:
        from .hf_finetune import run_hf

        return run_hf(args, ev, ranks, out, tmp, train_c, dev_c, test_c, labels)
    label_ids = {l: i for i, l in enumerate(labels)}

    import torch

    from . import export as exporter
    from .tokenization import WordEncoder, spelling

    ranks.start(args)
    device = ranks.device
    ev.emit("start", mode="a", train=args.train, dev=args.dev, test=args.test, out=out, labels=labels,
            device=str(device), world_size=ranks.world, train_sentences=len(train_c.sentences),
            dev_sentences=len(dev_c.sentences), hyper=hp, seed=args.seed, max_minutes=args.max_minutes)
    ev.log(f"{len(train_c.sentences)} training sentences, labels {labels}, device {device}")

    tok, vectors = word_base(torch, args, hp, train_c, extra, pre, ev)
    enc = WordEncoder(tok)
    tables, chars, word_vocab = spelling(tok)
    check_stop()
    train_data = encode(train_c, enc, label_ids, hp, args.max_length, args.window_overlap)
    dev_data = encode(dev_c, enc, label_ids, hp, args.max_length, args.window_overlap)
    ev.log(f"vocabulary {tok.get_vocab_size()} pieces, {len(word_vocab)} words, {len(chars)} characters")

    core = build_tagger(torch, hp, args, tables, chars, word_vocab, labels, vectors).to(device)
    n_params = sum(p.numel() for p in core.parameters())
    ev.log(f"{n_params} parameters")

    steps = tagger_steps(torch, core, ranks, hp, args, [Task("model", labels, train_data, (dev_c, dev_data))])
    res = fit(steps, args, ev, ranks, t0)
    if not ranks.main:
        return {}
    core.cpu().eval()
    check_stop()
    test_data = encode(test_c, enc, label_ids, hp, args.max_length, args.window_overlap) if test_c else None
    result = exporter.export_folder(
        tmp=tmp, model=core, tok=tok, labels=labels, hp=hp, args=args, ev=ev, check_stop=check_stop,
        dev=(dev_c, dev_data), test=(test_c, test_data) if test_c else None,
        info={"steps": res.step, "epochs": res.epoch, "best_epoch": res.best_epoch, "best_step": res.best_step,
              "stop_reason": res.stop_reason, "train_seconds": round(res.train_seconds, 1), "parameters": n_params,
              "vocab": tok.get_vocab_size(), "words": len(word_vocab), "chars": len(chars), "history": res.history,
              "train_sentences": len(train_c.sentences), "train_tokens": train_c.n_tokens},
    )
    check_stop()
    publish(tmp, out)
    result["seconds"] = round(time.time() - t0, 1)
    return {"out": out, **result}


def cli_main(argv: list[str] | None, parse, run, done) -> int:
    """What both trainers' command lines share: signals, the exit codes and error events, the temporary folder
    removed. run(args, ev) returns the result (empty on ranks other than 0); done(ev, result) reports it."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    ev = Events()
    try:
        args = parse(argv)
    except SystemExit as e:
        return int(e.code or 0)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    out = os.path.abspath(args.out)
    try:
        result = run(args, ev)
        if result:
            done(ev, result)
        return 0
    except InputError as e:
        ev.emit("error", message=str(e), kind="input")
        ev.log(f"error: {e}")
        return 2
    except DiskFull as e:
        message = f"cannot write {os.path.join(out, e.name)}: {e.reason}; {out} " + (
            "is unchanged" if os.path.exists(out) else "was not created")
        ev.emit("error", message=message, kind="disk")
        ev.log(f"error: {message}")
        return 1
    except Terminated as e:
        ev.emit("error", message=f"terminated by {e}: no model written", kind="terminated")
        ev.log(f"terminated by {e}; nothing written")
        return 143
    except Exception as e:  # noqa: BLE001 - everything else is a bug or an environment problem
        import traceback

        traceback.print_exc(file=sys.stderr)
        ev.emit("error", message=f"{type(e).__name__}: {e}", kind="internal")
        return 1
    finally:
        shutil.rmtree(temp_folder(out), ignore_errors=True)


def report_done(ev: Events, result: dict) -> None:
    ev.emit("done", out=result["out"], dev_f1=result["dev"]["f1"],
            test_f1=result["test"]["f1"] if result.get("test") else None,
            quantized=result["quantized"], seconds=result["seconds"])
    ev.log(f"done: {result['out']} (dev F1 {result['dev']['f1']})")


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, parse_args, run, report_done)


if __name__ == "__main__":
    sys.exit(main())
