"""Trainer faults: SIGKILL at any point of a run, what killed runs leave behind, and a full disk under --out.

Run from the repository root: /usr/bin/python3 -m pytest -q test/training/test_faults.py
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from test_trainer import ROOT, sha, write_train_dev

ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
# The files the trainer refuses to call a model without (training/output.py REQUIRED).
REQUIRED = ("config.json", "tokenizer.json", os.path.join("onnx", "model.onnx"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_train_dev(tmp_path_factory.mktemp("inputs"), 40, 10)


class Run:
    """A trainer run (tiny preset, one epoch) whose progress events are read as they come. A watchdog kills it after
    `timeout` seconds, so a hang fails the test instead of stalling it."""

    def __init__(self, inputs: dict, out: str, log: str, timeout: float = 60):
        self.out = out
        self.stderr = open(log, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "training.train", "--train", inputs["train"], "--dev", inputs["dev"], "--out", out,
             "--preset", "tiny", "--epochs", "1", "--log-every", "1", "--no-quantize"],
            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.watchdog = threading.Timer(timeout, self.process.kill)
        self.watchdog.start()
        self.events: list[dict] = []

    @property
    def temp(self) -> str:
        """The temporary folder this run writes (training/output.py temp_folder)."""
        return os.path.join(os.path.dirname(self.out), f".{os.path.basename(self.out)}.tmp-{self.process.pid}")

    def until(self, event: str) -> None:
        for line in self.process.stdout:
            self.events.append(json.loads(line))
            if self.events[-1]["event"] == event:
                return
        raise AssertionError(f"the run ended before a '{event}' event: {self.events[-1:]}")

    def finish(self) -> int:
        for line in self.process.stdout:
            self.events.append(json.loads(line))
        return self.close()

    def kill(self) -> int:
        self.process.send_signal(signal.SIGKILL)
        return self.close()

    def close(self) -> int:
        rc = self.process.wait()
        self.watchdog.cancel()
        self.process.stdout.close()
        self.stderr.close()
        return rc


def state(out: str) -> str:
    """'absent', or 'complete' once every required file is there and the model runs: tokenizer, graph and labels
    agree. Anything else fails."""
    if not os.path.exists(out):
        return "absent"
    import onnxruntime as ort
    from tokenizers import Tokenizer

    missing = [f for f in REQUIRED if not os.path.isfile(os.path.join(out, f))]
    assert not missing, f"{out} exists without {missing}: {sorted(os.listdir(out))}"
    with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
        labels = json.load(f)["id2label"]
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    ids = [tok.token_to_id("[CLS]"), *tok.encode("breast cancer", add_special_tokens=False).ids, tok.token_to_id("[SEP]")]
    sess = ort.InferenceSession(os.path.join(out, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"input_ids": np.array([ids]), "attention_mask": np.ones((1, len(ids)), np.int64)})[0]
    assert logits.shape == (1, len(ids), len(labels))
    return "complete"


def kill_at(point: str, run: Run) -> int:
    """SIGKILLs the run at one of its points: 'start' (inputs read, torch loaded), 'step' (training), 'graph' (export:
    the ONNX file is being written into the temporary folder) or 'export' (the folder is written, not yet renamed)."""
    if point == "graph":
        run.until("epoch")
        graph = os.path.join(run.temp, "onnx", "model.onnx")
        deadline = time.time() + 30
        while not os.path.exists(graph):
            assert run.process.poll() is None and time.time() < deadline, "the run ended before exporting"
            time.sleep(0.002)
    else:
        run.until(point)
    return run.kill()


def test_killed_at_any_point_leaves_no_partial_model_and_a_rerun_succeeds(tmp_path, inputs):
    before = {k: sha(v) for k, v in inputs.items()}
    parent = tmp_path / "models"
    out = str(parent / "model")
    log = str(tmp_path / "stderr.log")
    for point in ("start", "step", "graph", "export"):
        run = Run(inputs, out, log)
        rc = kill_at(point, run)
        # At 'export' the rename may win the race with the signal; before it, nothing may be published.
        assert rc == -signal.SIGKILL or (point == "export" and rc == 0), open(log).read()
        assert state(out) in (("absent", "complete") if point == "export" else ("absent",)), point
        assert {k: sha(v) for k, v in inputs.items()} == before
        if point == "graph":
            assert os.path.isdir(run.temp), "a kill while exporting leaves a temporary folder for the next run to remove"

    rerun = Run(inputs, out, log)
    assert rerun.finish() == 0, open(log).read()
    assert rerun.events[-1]["event"] == "done" and state(out) == "complete"
    assert sorted(os.listdir(parent)) == ["model"], "the rerun removed what the killed runs left"

    # With a model in --out, a kill during export leaves that model as it was.
    previous = {f: sha(os.path.join(out, f)) for f in REQUIRED}
    run = Run(inputs, out, log)
    assert kill_at("graph", run) == -signal.SIGKILL
    assert state(out) == "complete" and {f: sha(os.path.join(out, f)) for f in REQUIRED} == previous
    rerun = Run(inputs, out, log)
    assert rerun.finish() == 0, open(log).read()
    assert state(out) == "complete" and sorted(os.listdir(parent)) == ["model"]
    assert {k: sha(v) for k, v in inputs.items()} == before


def dead_pid() -> int:
    """The id of a process that has ended (reaped, so nothing runs under it)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def make_folder(path, files: dict[str, str]) -> None:
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(path, name)), exist_ok=True)
        with open(os.path.join(path, name), "w", encoding="utf-8") as f:
            f.write(text)


def test_start_cleans_only_its_own_stale_folders_and_puts_back_a_previous_model(tmp_path, inputs):
    """What a kill between publish's two renames leaves (--out gone, the old model in TMP.old, the new one in TMP):
    the next run puts the old model back and removes the rest, and touches nothing that is not a dead trainer's."""
    parent = tmp_path / "models"
    out = str(parent / "model")
    pid = dead_pid()
    old_model = {f: f"previous {f}" for f in REQUIRED}
    make_folder(parent / f".model.tmp-{pid}.old", old_model)
    make_folder(parent / f".model.tmp-{pid}", {"config.json": "half-written"})
    kept = {
        f".model.tmp-{os.getpid()}": "a trainer that runs (this test's process id)",
        f".other.tmp-{pid}": "another output's folder",
        ".model.tmp-notapid": "not a name the trainer makes",
        "notes": "the user's",
    }
    for name, text in kept.items():
        make_folder(parent / name, {"file.txt": text})
    run = Run(inputs, out, str(tmp_path / "stderr.log"))
    assert kill_at("start", run) == -signal.SIGKILL
    for name, text in old_model.items():
        assert open(os.path.join(out, name), encoding="utf-8").read() == text
    assert sorted(os.listdir(parent)) == sorted(["model", *kept])
    for name, text in kept.items():
        assert open(parent / name / "file.txt", encoding="utf-8").read() == text


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs: the tiny model's folder (about 80 KB) does not fit."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        reason = (p.stderr.strip().splitlines() or ["no message"])[0]
        pytest.skip(f"mounting a 64 KiB tmpfs is not permitted here ({reason}): it needs root")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_during_export(full_disk, tmp_path, inputs):
    before = {k: sha(v) for k, v in inputs.items()}
    log = str(tmp_path / "stderr.log")
    out = str(full_disk / "model")
    run = Run(inputs, out, log)
    assert run.finish() == 1, open(log).read()
    error = run.events[-1]
    assert error["event"] == "error" and error["kind"] == "disk", error
    assert error["message"].startswith(f"cannot write {out}{os.sep}")
    assert error["message"].endswith(f": no space left on device (ENOSPC); {out} was not created")
    assert os.listdir(full_disk) == [], "nothing is left on the full disk"

    # A model already there stays as it was.
    make_folder(out, {"config.json": '{"model_type": "bert"}\n'})
    run = Run(inputs, out, log)
    assert run.finish() == 1, open(log).read()
    assert run.events[-1]["message"].endswith(f"(ENOSPC); {out} is unchanged")
    assert os.listdir(full_disk) == ["model"] and os.listdir(out) == ["config.json"]
    assert open(os.path.join(out, "config.json"), encoding="utf-8").read() == '{"model_type": "bert"}\n'
    assert {k: sha(v) for k, v in inputs.items()} == before
