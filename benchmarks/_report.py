"""What the benchmarks share when they report: the machine's description and writing the JSON result."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

# the instruction sets that decide how fast numpy, libvorbis and the inference runtimes run
_NOTABLE_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
                  "amx_tile", "neon", "asimd")


def machine() -> dict:
    import numpy as np  # imported here: some benchmarks load numpy only where they need it

    cpu = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":", 1)[0].strip()
            if key == "model name" and cpu == (platform.processor() or platform.machine()):
                cpu = line.split(":", 1)[1].strip()
            elif key in ("flags", "Features") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "cpu_flags": [f for f in _NOTABLE_FLAGS if f in flags],
            "python": platform.python_version(), "numpy": np.__version__, "load_avg_1m": os.getloadavg()[0]}


def write_json(data: dict, path: str | Path, indent: int = 2) -> Path:
    """Write ``data`` as JSON to ``path``, creating its folder; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=indent))
    return out
