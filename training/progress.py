"""What both modes report and obey: JSON-lines events on stdout, logs on stderr, and the flag SIGTERM/SIGINT set.

The flag lives in this module, not in train.py: run as `python3 -m training.train`, train.py is `__main__`, and a
flag of its own would not be the one that the other modules check.
"""
from __future__ import annotations

import json
import signal
import sys


class Terminated(Exception):
    """Raised by check_stop() once a signal came: the run writes nothing and exits with 143."""


_STOP: dict = {"signal": None}


def on_signal(signum, _frame) -> None:
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
