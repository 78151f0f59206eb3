"""Run a piece of Python in a child process under a wall-clock and an address-space limit.

For the hostile-file tests: a read that never ends (/dev/zero) hits the memory limit, an open that never
returns (a FIFO without a writer) hits the time limit, and neither can take the test run or the machine
down with it. The child prints its answer; the test reads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _limit_memory(megabytes: int):
    def apply() -> None:
        import resource

        limit = megabytes << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_bounded(code: str, *args: str, seconds: float = 60, megabytes: int = 1024) -> str:
    """The child's stdout; fails the test (AssertionError) when it overruns, crashes or writes to stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=seconds, preexec_fn=_limit_memory(megabytes))
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"still running after {seconds} s (blocked?)") from exc
    assert done.returncode == 0 and done.stderr == "", done.stderr[-3000:]
    return done.stdout
