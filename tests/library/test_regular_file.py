"""Reading only regular files, and only up to a limit: FIFOs, devices, sockets and folders are refused
before anything reads them; the size a file claims is not trusted."""

from __future__ import annotations

import os
import socket

import pytest

from fmaplayer.errors import FmaplayerError
from fmaplayer.library.regular_file import RefusedFileError, open_regular, read_regular
from tests.bounded_run import run_bounded


def test_a_regular_file_is_read_whole_up_to_the_limit(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 1000)
    assert read_regular(path, 1000) == b"x" * 1000
    with pytest.raises(RefusedFileError, match="too large"):
        read_regular(path, 999)
    os.symlink(path, tmp_path / "link")                   # a link to a regular file is fine
    assert read_regular(tmp_path / "link", 1000) == b"x" * 1000


def test_special_files_are_refused_with_our_error(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    try:
        for name, kind in (("fifo", "FIFO"), ("zero", "device"), ("sock", "socket"), (".", "folder")):
            with pytest.raises(RefusedFileError, match=f"not a regular file .*{kind}") as refused:
                read_regular(tmp_path / name, 1 << 20)
            assert isinstance(refused.value, OSError) and isinstance(refused.value, FmaplayerError)
            with pytest.raises(RefusedFileError):
                open_regular(tmp_path / name)
    finally:
        server.close()
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "nothing", 10)


READ_IN_CHILD = """
import sys
from fmaplayer.library.regular_file import read_regular, RefusedFileError
try:
    read_regular(sys.argv[1], 64 << 20)
except RefusedFileError as exc:
    print("refused:", exc)
"""


def test_a_fifo_and_dev_zero_neither_block_nor_fill_memory(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    for name in ("fifo", "zero"):
        out = run_bounded(READ_IN_CHILD, str(tmp_path / name), seconds=60, megabytes=512)
        assert out.startswith("refused:") and "not a regular file" in out
