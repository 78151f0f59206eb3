"""A training command in an install without the `train` extra says what to install, no traceback."""

import pytest

from fmaplayer import cli
from fmaplayer.cli import evaluate as evaluate_cli


def test_a_training_command_without_its_packages_names_the_extra(monkeypatch, capsys):
    def run_without_tensorflow(name, args):
        raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    monkeypatch.setattr(evaluate_cli, "run", run_without_tensorflow)
    assert cli.main(["evaluate", "--data", "nowhere"], route_logs=False) == 2
    err = capsys.readouterr().err
    assert "`tensorflow`" in err and '.[train]' in err


def test_a_missing_module_in_an_app_command_is_not_hidden(monkeypatch):
    from fmaplayer.cli import self_test as selftest

    def broken(name, args):
        raise ModuleNotFoundError("No module named 'numpy'", name="numpy")

    monkeypatch.setattr(selftest, "run", broken)
    with pytest.raises(ModuleNotFoundError, match="numpy"):  # a real bug, not a missing training extra
        cli.main(["self-test"], route_logs=False)

