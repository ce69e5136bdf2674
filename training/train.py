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
import json
import math
import os
import random
import shutil
import signal
import sys
import time

from .data import Corpus, InputError, check_labels, label_list, read_bio, repair_iob2
from .output import DiskFull, clean_stale, publish, temp_folder
from .predict import Encoded, encode, evaluate

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


class Terminated(Exception):
    pass


_STOP: dict = {"signal": None}


def _on_signal(signum, _frame):
    _STOP["signal"] = signal.Signals(signum).name


def check_stop() -> None:
    if _STOP["signal"]:
        raise Terminated(_STOP["signal"])


class Events:
    """JSON lines on stdout (rank 0 only) and plain logs on stderr."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def emit(self, event: str, **fields) -> None:
        if self.enabled:
            sys.stdout.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def log(self, msg: str) -> None:
        if self.enabled:
            sys.stderr.write(f"[train] {msg}\n")
            sys.stderr.flush()


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
    p.add_argument("--max-minutes", type=float, help="wall-clock budget; the best model so far is exported")
    p.add_argument("--epochs", type=int, default=40, help="maximum number of passes over the training data")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--patience", type=int, default=8, help="stop after N evaluations without dev improvement")
    p.add_argument("--select", choices=["best", "last"], default="best",
                   help="export the checkpoint with the best dev F1 (default) or the last one (train+dev runs)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--preset", choices=sorted(PRESETS), default="default", help="size of the model")
    for name, typ in (("vocab-size", int), ("emb-dim", int), ("char-dim", int), ("char-filters", int),
                      ("char-width", int), ("hidden", int), ("layers", int), ("dropout", float),
                      ("max-chars", int), ("batch-size", int), ("lr", float), ("word-dropout", float)):
        p.add_argument(f"--{name}", type=typ, help="overrides the preset")
    p.add_argument("--optimizer", choices=["adam", "sgd"], help="overrides the preset")
    p.add_argument("--lr-decay", type=float, help="learning rate = lr / (1 + decay * finished epochs)")
    p.add_argument("--ema", type=float, help="exponential moving average of the weights (e.g. 0.999), 0 = off")
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
    p.add_argument("--eval-every", type=int, help="also evaluate on dev every N steps (default: each epoch)")
    p.add_argument("--log-every", type=int, default=50, help="a step event every N steps")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest on 2 cores)")
    p.add_argument("--no-quantize", action="store_true", help="do not try onnx/model_quantized.onnx")
    p.add_argument("--data-name", help="name of the training data for the model card (default: folder name)")
    p.add_argument("--data-license", help="licence text of the training data for the model card")
    p.add_argument("--name", help="model name for the model card (default: --out folder name)")
    return p.parse_args(argv)


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
# Batches


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
    # Bucket by length with a little noise so that batches differ between epochs but padding stays small.
    items.sort(key=lambda it: len(it[0]) + rng.uniform(0, 8))
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    rng.shuffle(batches)
    return batches


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


def run(args, ev: Events) -> dict:
    t0 = time.time()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    ev.enabled = rank == 0
    hp = hyper(args)
    if args.max_length < 8:
        raise InputError("--max-length must be at least 8")
    if args.epochs < 1 or (args.max_steps is not None and args.max_steps < 1):
        raise InputError("--epochs and --max-steps must be at least 1")
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise InputError("--max-minutes must be positive")
    if args.window_overlap < 0:
        raise InputError("--window-overlap must not be negative")
    if rank == 0:
        clean_stale(os.path.abspath(args.out), ev.log)
    out, tmp = check_paths(args)
    if args.base:
        from .hf_finetune import run_hf

        train_c, dev_c, test_c, labels, _, _ = load_inputs(args, ev)
        return run_hf(args, ev, out, tmp, train_c, dev_c, test_c, labels, check_stop)
    train_c, dev_c, test_c, labels, extra, pre = load_inputs(args, ev)
    label_ids = {l: i for i, l in enumerate(labels)}
    begin_of = {i: label_ids["B-" + l[2:]] for l, i in label_ids.items() if l.startswith("I-") and "B-" + l[2:] in label_ids}

    import torch

    from . import export as exporter
    from .model import Tagger
    from .tokenization import WordEncoder, spelling

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    use_cuda = torch.cuda.is_available()
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")

    ev.emit("start", mode="a", train=args.train, dev=args.dev, test=args.test, out=out, labels=labels,
            device=str(device), world_size=world, train_sentences=len(train_c.sentences),
            dev_sentences=len(dev_c.sentences), hyper=hp, seed=args.seed, max_minutes=args.max_minutes)
    ev.log(f"{len(train_c.sentences)} training sentences, labels {labels}, device {device}")

    tok, vectors = word_base(torch, args, hp, train_c, extra, pre, ev)
    enc = WordEncoder(tok)
    tables, chars, word_vocab = spelling(tok)
    check_stop()
    train_data = encode(train_c, enc, label_ids, hp, args.max_length, args.window_overlap)
    dev_data = encode(dev_c, enc, label_ids, hp, args.max_length, args.window_overlap)
    ev.log(f"vocabulary {tok.get_vocab_size()} pieces, {len(word_vocab)} words, {len(chars)} characters")

    model = Tagger(tables, len(chars), len(word_vocab), labels, emb_dim=hp["emb_dim"], char_dim=hp["char_dim"],
                   char_filters=hp["char_filters"], char_width=hp["char_width"], hidden=hp["hidden"],
                   layers=hp["layers"], dropout=hp["dropout"], word_dropout=hp["word_dropout"],
                   word_chars=hp["max_chars"], freeze_embeddings=args.freeze_embeddings).to(device)
    if vectors is not None:
        # Scaled to the spread of the random initialisation (uniform ±0.1), by a constant: models trained on one
        # --embeddings folder then hold identical vectors, which training.merge stores once.
        with torch.no_grad():
            model.embed.weight.copy_((vectors * (0.1 / math.sqrt(3) / vectors[1:].std())).to(device))
    n_params = sum(p.numel() for p in model.parameters())
    core = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model, device_ids=[local_rank] if use_cuda else None)
    trainable = [p for p in core.parameters() if p.requires_grad]
    if hp["optimizer"] == "sgd":
        opt = torch.optim.SGD(trainable, lr=hp["lr"], momentum=0.9)
    else:
        opt = torch.optim.Adam(trainable, lr=hp["lr"])
    ev.log(f"{n_params} parameters")

    def run_batch(id_lists):
        ids, am, *_ = collate(torch, [(i, [], []) for i in id_lists], device)
        with torch.no_grad():
            return core.emissions(ids, am).float().cpu().numpy()

    def crf_arrays():
        trans, start, end = core.crf.masked()
        return [x.detach().cpu().numpy() for x in (trans, start, end)]

    def dev_eval():
        core.eval()
        r = evaluate(dev_data, dev_c, labels, run_batch, crf_arrays())
        core.train()
        return r

    deadline = t0 + args.max_minutes * 60 if args.max_minutes else math.inf
    reserve = 0.1 * (deadline - time.time()) if args.max_minutes else 0.0
    rng = random.Random(args.seed)
    best = {"f1": -1.0, "epoch": 0, "step": 0, "state": None, "dev": None}
    evals_since_best = 0
    step = 0
    epoch = 0
    stop_reason = "epochs"
    history = []

    ema = [p.detach().clone() for p in trainable] if hp["ema"] else None

    def update_ema() -> None:
        if ema is not None:
            d = min(hp["ema"], (1 + step) / (10 + step))
            with torch.no_grad():
                for e, p in zip(ema, trainable):
                    e.mul_(d).add_(p.detach(), alpha=1 - d)

    def swap_ema(backup=None):
        """Puts the averaged weights in the model (returns the live ones), or the live ones back."""
        if ema is None:
            return None
        with torch.no_grad():
            if backup is None:
                live = [p.detach().clone() for p in trainable]
                for e, p in zip(ema, trainable):
                    p.copy_(e)
                return live
            for b, p in zip(backup, trainable):
                p.copy_(b)
        return None

    def sync_flag(flag: bool) -> bool:
        if world == 1:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def do_eval(partial: bool) -> bool:
        """Evaluates on rank 0, keeps the best state; returns True when patience ran out."""
        nonlocal evals_since_best, reserve
        stop = False
        if rank == 0:
            t = time.time()
            backup = swap_ema()
            dev = dev_eval()
            took = time.time() - t
            if args.max_minutes:
                # Leave room for the final evaluations (torch, onnx, quantized, test) and the export.
                reserve = max(reserve if not history else 0.0, 4 * took + 15)
            history.append({"epoch": epoch, "step": step, "dev": dev})
            improved = dev["f1"] > best["f1"] or args.select == "last"
            if improved:
                best.update(f1=dev["f1"], epoch=epoch, step=step, dev=dev,
                            state={k: v.detach().cpu().clone() for k, v in core.state_dict().items()})
                evals_since_best = 0
            else:
                evals_since_best += 1
            swap_ema(backup)
            ev.emit("epoch", epoch=epoch, step=step, partial=partial, seconds=round(time.time() - t0, 1),
                    dev={k: dev[k] for k in ("precision", "recall", "f1")}, best_f1=best["f1"])
            ev.log(f"epoch {epoch} step {step}: dev P {dev['precision']} R {dev['recall']} F1 {dev['f1']}"
                   f" (eval {took:.1f}s, best {best['f1']} at epoch {best['epoch']})")
            stop = evals_since_best >= args.patience
        return sync_flag(stop)

    model.train()
    done = False
    last_eval_step = -1
    while not done and epoch < args.epochs:
        epoch += 1
        for group in opt.param_groups:
            group["lr"] = hp["lr"] / (1 + hp["lr_decay"] * (epoch - 1))
        batches = train_batches(train_data, hp["batch_size"], rng, begin_of)
        if world > 1:
            batches = batches[: len(batches) // world * world][rank::world]
        running, running_n = 0.0, 0
        for batch in batches:
            check_stop()
            out_of_time = time.time() > deadline - reserve and step > 0
            if sync_flag(out_of_time):
                stop_reason, done = "max-minutes", True
                break
            ids, am, pos, tags, wm = collate(torch, batch, device)
            loss = model(ids, am, pos, tags, wm) / len(batch)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 5.0)
            opt.step()
            step += 1
            update_ema()
            running += loss.item()
            running_n += 1
            if step % args.log_every == 0:
                ev.emit("step", step=step, epoch=epoch, loss=round(running / running_n, 4),
                        seconds=round(time.time() - t0, 1))
                running, running_n = 0.0, 0
            if args.max_steps and step >= args.max_steps:
                stop_reason, done = "max-steps", True
                break
            if args.eval_every and step % args.eval_every == 0:
                last_eval_step = step
                if do_eval(partial=True):
                    stop_reason, done = "patience", True
                    break
        check_stop()
        if step != last_eval_step:
            last_eval_step = step
            if do_eval(partial=done) and not done:
                stop_reason, done = "patience", True

    train_seconds = time.time() - t0
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        if rank != 0:
            dist.destroy_process_group()
            return {}
    ev.log(f"training stopped ({stop_reason}) after {step} steps, {train_seconds:.0f}s; best dev F1 {best['f1']}"
           f" at epoch {best['epoch']}")
    core.load_state_dict(best["state"])
    core.cpu().eval()
    check_stop()
    test_data = encode(test_c, enc, label_ids, hp, args.max_length, args.window_overlap) if test_c else None
    result = exporter.export_folder(
        tmp=tmp, model=core, tok=tok, labels=labels, hp=hp, args=args, ev=ev, check_stop=check_stop,
        dev=(dev_c, dev_data), test=(test_c, test_data) if test_c else None,
        info={"steps": step, "epochs": epoch, "best_epoch": best["epoch"], "best_step": best["step"],
              "stop_reason": stop_reason, "train_seconds": round(train_seconds, 1), "parameters": n_params,
              "vocab": tok.get_vocab_size(), "words": len(word_vocab), "chars": len(chars), "history": history,
              "train_sentences": len(train_c.sentences), "train_tokens": train_c.n_tokens},
    )
    check_stop()
    publish(tmp, out)
    result["seconds"] = round(time.time() - t0, 1)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return {"out": out, **result}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    ev = Events()
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    out = os.path.abspath(args.out)
    try:
        result = run(args, ev)
        if result:
            ev.emit("done", out=result["out"], dev_f1=result["dev"]["f1"],
                    test_f1=result["test"]["f1"] if result.get("test") else None,
                    quantized=result["quantized"], seconds=result["seconds"])
            ev.log(f"done: {result['out']} (dev F1 {result['dev']['f1']})")
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


if __name__ == "__main__":
    sys.exit(main())
