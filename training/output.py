"""Where the trainer writes: a temporary folder beside --out, renamed over it at the very end.

A killed run (SIGKILL, power loss) leaves its temporary folder behind; the next run on the same --out removes it,
or puts the previous model back when the kill fell between publish()'s two renames. A full disk is reported with
the model file it stopped.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil

# Files without which a folder is no model; a previous model is only put back when it has them all.
REQUIRED = ("config.json", "tokenizer.json", os.path.join("onnx", "model.onnx"))


def temp_folder(out: str) -> str:
    """`.NAME.tmp-PID` beside --out: hidden, on the same file system (so the rename is atomic), and recognisable
    by name as this trainer's."""
    return os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.tmp-{os.getpid()}")


def publish(tmp: str, out: str) -> None:
    """Replaces --out with the finished folder, only once everything is written."""
    if not os.path.exists(out):
        os.rename(tmp, out)
        return
    old = tmp + ".old"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def clean_stale(out: str, log) -> None:
    """Removes the temporary folders of trainers that no longer run, left beside --out. Only folders named by
    temp_folder (or its `.old`) whose process id is not alive are touched: a trainer writing now keeps its own."""
    parent, name = os.path.split(out)
    pattern = re.compile(rf"\.{re.escape(name)}\.tmp-(\d+)(\.old)?")
    try:
        entries = sorted(os.listdir(parent))
    except FileNotFoundError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        path = os.path.join(parent, entry)
        if not match or os.path.islink(path) or not os.path.isdir(path) or _running(int(match.group(1))):
            continue
        if match.group(2) and not os.path.exists(out) and all(os.path.isfile(os.path.join(path, f)) for f in REQUIRED):
            os.rename(path, out)
            log(f"put the previous model back in {out} (a run was killed while replacing it)")
        else:
            shutil.rmtree(path, ignore_errors=True)
            log(f"removed {path}, left by a trainer that was killed")


class DiskFull(Exception):
    """The disk filled (or the quota ran out) while writing `name`, a path inside the model folder."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _disk_full_reason(e: BaseException) -> str | None:
    """torch and Python raise OSError without a file name; tokenizers (Rust) a plain Exception with 'os error 28'."""
    code = e.errno if isinstance(e, OSError) else None
    text = str(e)
    if code == errno.ENOSPC or "No space left on device" in text or f"os error {errno.ENOSPC}" in text:
        return "no space left on device (ENOSPC)"
    if code == errno.EDQUOT or "Disk quota exceeded" in text:
        return "disk quota exceeded (EDQUOT)"
    return None


@contextlib.contextmanager
def written(tmp: str, name: str):
    """Yields the path of model file `name` inside tmp; a full disk while it is written raises DiskFull(name)."""
    try:
        yield os.path.join(tmp, name)
    except Exception as e:
        reason = _disk_full_reason(e)
        if reason:
            raise DiskFull(name, reason) from e
        raise
