"""What the benchmarks share when they report: the machine's description and writing the JSON result."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine() -> dict:
    import numpy as np  # imported here: some benchmarks load numpy only where they need it

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "load_avg_1m": os.getloadavg()[0]}


def write_json(data: dict, path: str | Path, indent: int = 2) -> Path:
    """Write ``data`` as JSON to ``path``, creating its folder; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=indent))
    return out
