"""Run a benchmark's child process as if on an AVX2-only CPU, on a machine that has AVX-512.

`avx2_only_env()` builds benchmarks/cpuid_mask.c with the system C compiler (once, into a cache folder
outside the repository) and returns the environment that preloads it: CPUID then reports no AVX-512, VNNI
or AMX, so ONNX Runtime (MLAS), XNNPACK (cpuinfo) and numpy choose their AVX2 / FMA3 kernels; glibc's
string functions are steered the same way with GLIBC_TUNABLES. Linux x86-64 only, and the CPU must offer
CPUID faulting (`cpuid_fault` in /proc/cpuinfo; most KVM guests and Intel CPUs since Ivy Bridge do).
The clock, caches and memory stay this machine's, so figures approximate an AVX2 CPU's *ranking* of
kernels, not its absolute speed.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "cpuid_mask.c"
_GLIBC_OFF = ",".join(f"-{f}" for f in ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL",
                                        "AVX512ER", "AVX512PF", "AVX512_VNNI", "AVX512_BF16", "AVX512_FP16",
                                        "AVX_VNNI", "AMX_BF16", "AMX_TILE", "AMX_INT8"))


class MaskUnavailable(RuntimeError):
    """The CPU cannot be masked here (not Linux x86-64, no CPUID faulting, no C compiler)."""


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fmaplayer-bench"


def build() -> Path:
    """The compiled shim (rebuilt when the source is newer)."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise MaskUnavailable("the CPUID mask needs Linux on x86-64")
    if "cpuid_fault" not in Path("/proc/cpuinfo").read_text():
        raise MaskUnavailable("this CPU (or hypervisor) offers no CPUID faulting")
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not compiler:
        raise MaskUnavailable("no C compiler to build benchmarks/cpuid_mask.c")
    out = _cache() / "cpuid_mask_avx2.so"
    if not out.exists() or out.stat().st_mtime < SOURCE.stat().st_mtime:
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(out), str(SOURCE)], check=True)
    return out


def avx2_only_env() -> dict[str, str]:
    """Environment variables that make a new process see an AVX2-only CPU; checked once in a child."""
    lib = build()
    preload = " ".join(filter(None, [str(lib), os.environ.get("LD_PRELOAD", "")]))
    env = {"LD_PRELOAD": preload, "GLIBC_TUNABLES": f"glibc.cpu.hwcaps={_GLIBC_OFF}"}
    probe = ("import json; from numpy._core import _multiarray_umath as m; print(json.dumps({k: v for k, v "
             "in m.__cpu_features__.items() if k in ('AVX2', 'FMA3', 'AVX512F', 'AVX512_SKX')}))")
    seen = subprocess.run([sys.executable, "-c", probe],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    if seen.returncode != 0 or '"AVX2": true' not in seen.stdout or '"AVX512F": true' in seen.stdout:
        raise MaskUnavailable(f"the mask did not take: {seen.stdout.strip()} {seen.stderr.strip()[-300:]}")
    return env
