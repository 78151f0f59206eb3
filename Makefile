# Two set-up commands: `make run` starts the app, `make test` runs the whole suite headless
# (`make install-user` then puts `fmaplayer` on the PATH and in the desktop launcher).
# Both bootstrap .venv (idempotent: re-installs only when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP_APP  := $(VENV)/.stamp-app
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: run test lint bench package system-deps install-user uninstall-user clean

run: $(STAMP_APP)
	@$(MAKE) --no-print-directory system-deps
	$(PY) -m fmaplayer

# `fmaplayer` on the PATH (~/.local/bin/fmaplayer runs this checkout's venv) and in the desktop's launcher.
install-user: $(STAMP_APP)
	@FMAPLAYER_BIN="$(CURDIR)/$(VENV)/bin/fmaplayer" sh packaging/install-user.sh

uninstall-user:
	@FMAPLAYER_BIN="$(CURDIR)/$(VENV)/bin/fmaplayer" sh packaging/install-user.sh uninstall

test: $(STAMP_TEST)
	@FMAPLAYER_PYTHON=$(PY) sh packaging/ensure-system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(PY) -m ruff check fmaplayer tests benchmarks packaging
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -ra $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(PY) -m ruff check fmaplayer tests benchmarks packaging

bench: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

package: $(STAMP_APP)
	$(PY) -m pip install -q "pyinstaller>=6.3"
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build packaging/fmaplayer.spec
	dist/fmaplayer/fmaplayer --version
	QT_QPA_PLATFORM=offscreen dist/fmaplayer/fmaplayer self-test

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required"' \
	  || { echo "fmaplayer needs Python 3.10 or newer as '$(PYTHON)' (set PYTHON=...)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip

# PIP_QUIET: setuptools' "Editable installation ... folders with the same name" note is information, not a warning
PIP_QUIET := PYTHONWARNINGS="ignore:Editable installation"

$(STAMP_APP): pyproject.toml | $(VENV)/bin/python
	$(PIP_QUIET) $(PY) -m pip install -q -e ".[map]"
	@touch $@

$(STAMP_TEST): pyproject.toml | $(VENV)/bin/python
	$(PIP_QUIET) $(PY) -m pip install -q -e ".[test,train,map,cluster]"
	@# the distillation teacher (training and evaluation only): its metadata pins numpy<1.17, hence --no-deps
	$(PY) -m pip install -q --no-deps "musicnn==0.1.0" || echo "NOTE: musicnn not installed: teacher tests skip"
	@touch $@ $(STAMP_APP)

# PortAudio's shared library (bundled in sounddevice's wheels on Windows/macOS, a system package on Linux)
# and the libraries Qt's xcb plugin links (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...).
system-deps:
	@FMAPLAYER_PYTHON=$(PY) sh packaging/ensure-system-deps.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
