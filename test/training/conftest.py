"""A time limit for every trainer test (pytest-timeout is not installed): a hang fails its test instead of running
until CI's limit. BIONER_TEST_TIMEOUT (seconds, default 300) sets it; `@pytest.mark.timeout(S)` sets one test's.
The limit covers the test's setup (module fixtures that train a model), call and teardown.
"""
from __future__ import annotations

import faulthandler
import os
import signal
import sys

import pytest

DEFAULT_LIMIT = float(os.environ.get("BIONER_TEST_TIMEOUT", "300"))
# Past the limit plus this, a test stuck in native code (which never returns to Python to take the alarm) gets
# every thread's stack dumped and the run ended.
HARD_GRACE = 30.0


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): time limit of this test, setup and teardown included")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    marker = item.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker else DEFAULT_LIMIT

    def expire(signum, frame):
        pytest.fail(f"{item.nodeid} ran past its time limit of {limit:g} s", pytrace=True)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    faulthandler.dump_traceback_later(limit + HARD_GRACE, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)
