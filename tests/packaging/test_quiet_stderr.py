"""A normal run prints only the project's own words on stderr; the libraries' logs go to the log file, and
`--verbose` shows them (issue 11: TensorFlow's cuInit/oneDNN chatter on every start)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What a normal start does, in a fresh process: the routing first, then native and Python library noise.
SCRIPT = textwrap.dedent("""
    import logging, os, sys, warnings
    from pathlib import Path
    from fmaplayer.log_routing import route_library_noise
    route_library_noise(verbose=sys.argv[1] == "verbose", path=Path(sys.argv[2]))
    os.write(2, b"E0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\\n")  # C++ on fd 2
    logging.getLogger("absl").warning("absl python warning")
    warnings.warn("a keras UserWarning")
    print("fmaplayer scan: 3 files could not be read", file=sys.stderr)   # the project's own words
    print("stdout stays", flush=True)
""")


def run_script(tmp_path, mode):
    log = tmp_path / "fmaplayer.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(log)], capture_output=True, text=True,
                            env=env, timeout=120)
    return result, (log.read_text() if log.exists() else "")


def test_library_noise_goes_to_the_log_file_not_the_terminal(tmp_path):
    result, log = run_script(tmp_path, "normal")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "fmaplayer scan: 3 files could not be read\n"
    assert result.stdout == "stdout stays\n"
    assert "cuInit" in log and "absl python warning" in log and "a keras UserWarning" in log


def test_verbose_shows_the_library_logs(tmp_path):
    result, _ = run_script(tmp_path, "verbose")
    assert result.returncode == 0
    assert "cuInit" in result.stderr and "absl python warning" in result.stderr
    assert "fmaplayer scan: 3 files could not be read" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")
def test_tensorflow_import_through_the_cli_entry_point_is_silent(tmp_path):
    """The real thing: the program's entry point, then TensorFlow imported and asked for a GPU."""
    code = textwrap.dedent("""
        import sys
        from fmaplayer import cli
        from fmaplayer.log_routing import route_library_noise, log_path
        route_library_noise(verbose="--verbose" in sys.argv)
        import tensorflow as tf
        tf.config.list_physical_devices("GPU")
        print(log_path())
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    log = Path(result.stdout.strip())
    assert log.is_file() and log.is_relative_to(tmp_path)
