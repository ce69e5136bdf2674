"""The shared training loop (training/loop.py) with a fake step and evaluation on a fake clock: the stop rules,
the selected weights and the events, without a model."""
from __future__ import annotations

import os
import signal
import sys
from types import SimpleNamespace

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from training import loop, progress  # noqa: E402

STEP_SECONDS, EVAL_SECONDS, EXPORT_SECONDS = 1.0, 2.0, 5.0


class Recorder(progress.Events):
    def __init__(self):
        super().__init__(enabled=False)
        self.events = []

    def emit(self, event: str, **fields) -> None:
        self.events.append({"event": event, **fields})


def fake_run(monkeypatch, f1s=(), batches=10, t0=0.0, **overrides):
    """fit() over `batches` one-second steps an epoch; evaluations take two seconds and score f1s in turn (then
    the last again). The 'weights' are the number of steps taken; restore() records what it got back."""
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(loop, "time", SimpleNamespace(time=lambda: clock.now))
    state = {"weights": 0, "restored": None, "evals": 0}

    def step(batch):
        clock.now += STEP_SECONDS
        state["weights"] += 1
        return float(batch)

    def evaluate():
        clock.now += EVAL_SECONDS
        f1 = f1s[min(state["evals"], len(f1s) - 1)] if f1s else 50.0
        state["evals"] += 1
        return {"precision": f1, "recall": f1, "f1": f1}

    steps = loop.Steps(begin_epoch=lambda epoch: list(range(batches)), step=step, evaluate=evaluate,
                       snapshot=lambda: state["weights"], restore=lambda w: state.update(restored=w),
                       export_seconds=EXPORT_SECONDS)
    args = SimpleNamespace(**{"max_minutes": None, "epochs": 1000, "max_steps": None, "log_every": 1000,
                              "eval_every": None, "patience": 1000, "select": "best", **overrides})
    ev = Recorder()
    result = loop.fit(steps, args, ev, loop.Ranks({}), t0)
    return result, state, ev.events, clock.now


def test_stops_before_the_deadline_with_room_for_the_export(monkeypatch):
    r, state, _, _ = fake_run(monkeypatch, max_minutes=1)
    # After an evaluation the reserve is four evaluations and the export: 13 s. Epoch 4's evaluation ends at 48 s,
    # past 60 - 13, so the check before the next step stops (with the first guess, 6 s, it would go on to step 47).
    assert r.stop_reason == "max-minutes"
    assert (r.step, r.epoch, state["evals"], r.train_seconds) == (40, 5, 4, 48.0)
    assert state["restored"] == 10  # all scored alike: the first evaluation stays the best


def test_first_guess_of_the_reserve_is_a_tenth_of_the_budget(monkeypatch):
    # 10 minutes and no evaluation before the deadline: 60 s are kept back; the stop still evaluates once.
    r, _, events, _ = fake_run(monkeypatch, max_minutes=10, batches=1000)
    assert r.stop_reason == "max-minutes" and (r.step, r.epoch, r.train_seconds) == (541, 1, 543.0)
    assert [(e["step"], e["partial"]) for e in events if e["event"] == "epoch"] == [(541, True)]


def test_one_step_and_one_evaluation_even_when_loading_took_the_budget(monkeypatch):
    r, state, _, _ = fake_run(monkeypatch, max_minutes=1, t0=-120.0)
    assert r.stop_reason == "max-minutes" and r.step == 1 and state["restored"] == 1 and len(r.history) == 1


def test_patience_stops_and_the_best_weights_come_back(monkeypatch):
    r, state, events, _ = fake_run(monkeypatch, f1s=[50.0, 70.0, 60.0, 65.0, 90.0], patience=2)
    assert r.stop_reason == "patience" and r.epoch == 4 and r.step == 40
    assert (r.best_f1, r.best_epoch, r.best_step) == (70.0, 2, 20)
    assert state["restored"] == 20 and state["weights"] == 40
    assert [e["best_f1"] for e in events if e["event"] == "epoch"] == [50.0, 70.0, 70.0, 70.0]


def test_select_last_keeps_the_last_weights_and_ignores_patience(monkeypatch):
    r, state, events, _ = fake_run(monkeypatch, f1s=[70.0, 50.0, 40.0], patience=1, epochs=3, select="last")
    assert r.stop_reason == "epochs" and r.epoch == 3
    assert (r.best_f1, r.best_epoch, state["restored"]) == (40.0, 3, 30)


def test_max_steps_eval_every_and_events(monkeypatch):
    r, state, events, _ = fake_run(monkeypatch, batches=4, max_steps=10, eval_every=3, log_every=2)
    assert r.stop_reason == "max-steps" and r.step == 10 and r.epoch == 3
    evals = [(e["epoch"], e["step"], e["partial"]) for e in events if e["event"] == "epoch"]
    # Every 3 steps; at the end of epochs 1 and 2 (steps 4, 8), and once more where max-steps stopped it.
    assert evals == [(1, 3, True), (1, 4, False), (2, 6, True), (2, 8, False), (3, 9, True), (3, 10, True)]
    assert [h["step"] for h in r.history] == [3, 4, 6, 8, 9, 10]
    # Losses are the batch numbers (0..3 each epoch), averaged over the last log_every steps.
    assert [(e["step"], e["loss"]) for e in events if e["event"] == "step"] == [
        (2, 0.5), (4, 2.5), (6, 0.5), (8, 2.5), (10, 0.5)]


def test_no_evaluation_twice_at_one_step(monkeypatch):
    r, state, events, _ = fake_run(monkeypatch, batches=4, epochs=2, eval_every=2)
    assert [h["step"] for h in r.history] == [2, 4, 6, 8] and state["evals"] == 4


def test_a_signal_stops_before_the_next_batch(monkeypatch):
    monkeypatch.setitem(progress._STOP, "signal", None)
    calls = []

    def step(batch):
        calls.append(batch)
        if len(calls) == 3:
            progress.on_signal(signal.SIGTERM, None)
        return 0.0

    steps = loop.Steps(begin_epoch=lambda epoch: list(range(10)), step=step, evaluate=lambda: {}, snapshot=lambda: None,
                       restore=lambda _: None, export_seconds=0)
    args = SimpleNamespace(max_minutes=None, epochs=5, max_steps=None, log_every=1000, eval_every=None, patience=5,
                           select="best")
    with pytest.raises(progress.Terminated, match="SIGTERM"):
        loop.fit(steps, args, Recorder(), loop.Ranks({}), 0.0)
    assert len(calls) == 3


def test_ranks_share_the_batches_evenly():
    ranks = [loop.Ranks({"WORLD_SIZE": "3", "RANK": str(r)}) for r in range(3)]
    shares = [r.shard(list(range(10))) for r in ranks]
    assert shares == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert [r.main for r in ranks] == [True, False, False]
    assert loop.Ranks({}).shard([1, 2, 3]) == [1, 2, 3]
