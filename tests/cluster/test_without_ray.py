"""`--ray` without the extra says how to install it; nothing outside fmaplayer/cluster imports Ray."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from fmaplayer import cli
from fmaplayer.cluster import scan as cluster_scan
from fmaplayer.cluster.connect import probe_target

PACKAGE = Path(__file__).resolve().parents[2] / "fmaplayer"


def test_ray_without_the_extra_names_the_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cluster_scan, "ray_available", lambda: False)
    (tmp_path / "music").mkdir()
    code = cli.main(["scan", str(tmp_path / "music"), "--db", str(tmp_path / "lib.db"), "--ray", "auto"],
                    route_logs=False)
    err = capsys.readouterr().err
    assert code == 2 and 'pip install "fmaplayer[cluster]"' in err
    assert not (tmp_path / "lib.db").exists()      # said before anything was scanned


def test_ship_audio_goes_with_ray(tmp_path, capsys):
    (tmp_path / "music").mkdir()
    assert cli.main(["scan", str(tmp_path / "music"), "--ship-audio"], route_logs=False) == 2
    assert "--ship-audio goes with --ray" in capsys.readouterr().err


def test_addresses_are_probed_on_the_port_ray_listens_on():
    assert probe_target("auto") is None and probe_target("local") is None
    assert probe_target("10.0.0.5:6380") == ("10.0.0.5", 6380)
    assert probe_target("head.lan") == ("head.lan", 6379)
    assert probe_target("ray://head.lan") == ("head.lan", 10001)
    assert probe_target("ray://[::1]:10002") == ("::1", 10002)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_cluster_package_imports_ray_and_only_where_it_runs():
    outside = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if not p.is_relative_to(PACKAGE / "cluster") and "ray" in _imports(p)]
    assert outside == []
    for path in (PACKAGE / "cluster").glob("*.py"):   # at module level: none, so a missing extra is said
        top = ast.parse(path.read_text()).body
        imported = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module for n in top if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in imported if m.split(".")[0] == "ray"], path.name


def test_the_cli_and_the_app_load_no_ray(tmp_path):
    probe = ("import fmaplayer.cli as cli; cli.build_parser()\nimport fmaplayer.app\n"
             "import sys; print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={"PYTHONPATH": str(PACKAGE.parent), "HOME": str(tmp_path),
                                             "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_ray_client_addresses_are_refused_in_words(tmp_path, capsys):
    (tmp_path / "music").mkdir()
    argv = ["scan", str(tmp_path / "music"), "--db", str(tmp_path / "lib.db"), "--ray", "ray://head:10001"]
    if not cluster_scan.ray_available():
        pytest.skip("Ray is not installed")
    assert cli.main(argv, route_logs=False) == 2
    assert "ray start --address=HEAD:6379" in capsys.readouterr().err
