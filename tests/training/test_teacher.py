"""The musicnn teacher (training-time only) restores its real weights and gives sane outputs.

It is TF1 code that needs TF_USE_LEGACY_KERAS=1 before TensorFlow is imported, so it runs in a child
process. Skipped where the teacher is not installed (`pip install --no-deps musicnn tf_keras`)."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from fmaplayer.training import teacher

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("musicnn") is None or importlib.util.find_spec("tf_keras") is None,
    reason="teacher not installed (pip install --no-deps musicnn tf_keras)",
)

CHILD = """
import json, numpy as np
from fmaplayer.training import teacher
net = teacher.MusicnnTeacher(threads=1)
t = np.arange(10 * teacher.SAMPLE_RATE) / teacher.SAMPLE_RATE
rng = np.random.default_rng(0)
beat = (np.sin(2 * np.pi * 2 * t) > 0.95) * rng.normal(size=t.size)
tone = 0.3 * np.sin(2 * np.pi * 220 * t)
outs = {}
for name, y in (("beat", 0.5 * beat), ("tone", tone)):
    pen, tags = net(teacher.patches(teacher.log_mel(y.astype(np.float32))))
    outs[name] = {"pen": pen.mean(0).tolist(), "tags": tags.mean(0).tolist(), "n": len(pen)}
print(json.dumps(outs))
"""


def test_teacher_restores_and_tells_sounds_apart():
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    outs = json.loads(done.stdout.strip().splitlines()[-1])
    import numpy as np

    a, b = (np.array(outs[k]["pen"]) for k in ("beat", "tone"))
    assert a.shape == (200,) and outs["beat"]["n"] == 3
    assert np.isfinite(a).all() and np.isfinite(b).all()
    cos = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert cos < 0.99                                    # random or unrestored weights would not separate
    tags = np.array(outs["beat"]["tags"])
    assert tags.shape == (50,) and 0 < tags.min() and tags.max() < 1


def test_teacher_refuses_to_run_under_keras_3():
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        pytest.skip("this process already runs legacy Keras")
    with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS"):
        teacher.MusicnnTeacher()
