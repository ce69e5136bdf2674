"""The training loop of both modes (train.py's built-in tagger, hf_finetune.py's checkpoints).

fit() owns what the modes share: epochs, --max-steps, --max-minutes with time kept back for the final evaluations
and the export, dev evaluations (each epoch and every --eval-every steps), --patience, --select best|last, the
torchrun ranks, the signal checks and the step/epoch events. A mode plugs in its batch step and its dev
evaluation (Steps), as flair's trainer and transformers' Trainer separate them.
"""
from __future__ import annotations

import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .progress import Events, check_stop


class Ranks:
    """This process under torchrun (WORLD_SIZE, RANK, LOCAL_RANK; one process without them): every rank trains on
    its share of the batches, DistributedDataParallel averages the gradients, rank 0 evaluates and exports."""

    def __init__(self, env=os.environ):
        self.world = int(env.get("WORLD_SIZE", "1"))
        self.rank = int(env.get("RANK", "0"))
        self.local_rank = int(env.get("LOCAL_RANK", "0"))
        self.main = self.rank == 0
        self.device = None  # set by start()

    def start(self, args) -> None:
        """Sets torch's CPU threads and the seeds, joins the process group, picks the device (CUDA when there)."""
        import torch

        torch.set_num_threads(args.threads)
        random.seed(args.seed)
        torch.manual_seed(args.seed)
        use_cuda = torch.cuda.is_available()
        if self.world > 1:
            import torch.distributed as dist

            dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        if use_cuda:
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")

    def wrap(self, model):
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel as DDP

        # Buffers (spelling tables, IOB2 masks) are built alike on every rank, and gloo cannot broadcast int16.
        DDP._set_params_and_buffers_to_ignore_for_model(model, [name for name, _ in model.named_buffers()])
        # A multi-task step trains one head: the other heads' CRFs get no gradient.
        return DDP(model, device_ids=[self.local_rank] if self.device.type == "cuda" else None,
                   find_unused_parameters=len(getattr(model, "crfs", ())) > 1)

    def shard(self, batches: list) -> list:
        """This rank's share, as many batches on every rank: each step waits for all of them."""
        return batches[: len(batches) // self.world * self.world][self.rank :: self.world]

    def any(self, flag: bool) -> bool:
        """True on every rank when it is True on one, so that all stop at the same step."""
        if self.world == 1:
            return flag
        import torch
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def close(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()
            dist.destroy_process_group()


@dataclass
class Steps:
    """What a mode plugs into fit()."""

    begin_epoch: Callable[[int], list]  # epoch (from 1) -> its batches, all ranks' (fit takes this rank's share)
    step: Callable[[Any], float]  # one batch: forward, loss, backward, optimizer step; returns the loss
    evaluate: Callable[[], dict]  # dev scores (precision, recall, f1); called on rank 0 only
    snapshot: Callable[[], Any]  # the weights to keep while this evaluation is the selected one
    restore: Callable[[Any], None]  # puts a snapshot back into the model
    export_seconds: float  # what the export takes besides its evaluations: part of --max-minutes' reserve


@dataclass
class Result:
    step: int = 0
    epoch: int = 0
    stop_reason: str = "epochs"
    best_f1: float = -1.0
    best_epoch: int = 0
    best_step: int = 0
    history: list = field(default_factory=list)
    train_seconds: float = 0.0


def fit(steps: Steps, args, ev: Events, ranks: Ranks, t0: float) -> Result:
    """Trains until --epochs, --max-steps, --max-minutes (counted from t0) or --patience evaluations without a
    better dev F1. Then the process group is closed and rank 0's model holds the selected weights: the best
    evaluation's (--select best) or the last one's."""
    deadline = t0 + args.max_minutes * 60 if args.max_minutes else math.inf
    reserve = 0.1 * (deadline - time.time()) if args.max_minutes else 0.0
    r = Result()
    kept = None
    since_best = 0

    def evaluate(partial: bool) -> bool:
        """Rank 0 scores dev and keeps the selected weights; True on every rank when patience ran out."""
        nonlocal reserve, kept, since_best
        stop = False
        if ranks.main:
            t = time.time()
            dev = steps.evaluate()
            took = time.time() - t
            if args.max_minutes:
                # Room for the final evaluations (float, quantized, test) and the export; the first measured
                # evaluation only raises the initial guess.
                reserve = max(reserve if not r.history else 0.0, 4 * took + steps.export_seconds)
            r.history.append({"epoch": r.epoch, "step": r.step, "dev": dev})
            if dev["f1"] > r.best_f1 or args.select == "last":
                r.best_f1, r.best_epoch, r.best_step = dev["f1"], r.epoch, r.step
                kept = steps.snapshot()
                since_best = 0
            else:
                since_best += 1
            ev.emit("epoch", epoch=r.epoch, step=r.step, partial=partial, seconds=round(time.time() - t0, 1),
                    dev={k: dev[k] for k in ("precision", "recall", "f1")}, best_f1=r.best_f1)
            heads = "".join(f", {name} {h['f1']}" for name, h in dev.get("heads", {}).items())
            ev.log(f"epoch {r.epoch} step {r.step}: dev P {dev['precision']} R {dev['recall']} F1 {dev['f1']}{heads}"
                   f" (eval {took:.1f}s, best {r.best_f1} at epoch {r.best_epoch})")
            stop = since_best >= args.patience
        return ranks.any(stop)

    done = False
    last_eval = -1
    while not done and r.epoch < args.epochs:
        r.epoch += 1
        losses = []
        for batch in ranks.shard(steps.begin_epoch(r.epoch)):
            check_stop()
            if ranks.any(time.time() > deadline - reserve and r.step > 0):
                r.stop_reason, done = "max-minutes", True
                break
            losses.append(steps.step(batch))
            r.step += 1
            if r.step % args.log_every == 0:
                ev.emit("step", step=r.step, epoch=r.epoch, loss=round(sum(losses) / len(losses), 4),
                        seconds=round(time.time() - t0, 1))
                losses = []
            if args.max_steps and r.step >= args.max_steps:
                r.stop_reason, done = "max-steps", True
                break
            if args.eval_every and r.step % args.eval_every == 0:
                last_eval = r.step
                if evaluate(partial=True):
                    r.stop_reason, done = "patience", True
                    break
        check_stop()
        if r.step != last_eval:
            last_eval = r.step
            if evaluate(partial=done) and not done:
                r.stop_reason, done = "patience", True

    r.train_seconds = time.time() - t0
    ranks.close()
    if ranks.main:
        ev.log(f"training stopped ({r.stop_reason}) after {r.step} steps, {r.train_seconds:.0f}s; best dev F1 "
               f"{r.best_f1} at epoch {r.best_epoch}")
        steps.restore(kept)
    return r
