"""Analysis of a library on a Ray cluster (`fmaplayer scan DIR --ray ADDRESS`), the optional extra `cluster`.

The scan of folders and tags stays on the desktop; the analysis of every track that needs it runs as a Ray
Data pipeline whose actors load the bundled model once each (`analysis.py`, the same Embedder a local scan
calls); results stream back to the desktop, which stays the single writer of the library database and
commits them batch by batch through the local runner's own code (`runner.py`). README: "Analysing a huge
library on a Ray cluster".

Nothing outside this package imports Ray, and this package imports it only inside the functions that need
it, so a missing extra is said in words (`INSTALL_HINT`), not with a traceback.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = 'pip install "fmaplayer[cluster]" (or into this environment: pip install "ray[data]>=2.40")'


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None
