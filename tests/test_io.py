"""Atomic writes: complete files with ordinary permissions, nothing left behind on failure."""

import os
import stat

import pytest

from coupled.core.io import write_json, write_text


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    os.umask(old)
    path = write_text(tmp_path / "a.txt", "hello\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o666 & ~old
    assert path.read_text() == "hello\n"


def test_failed_writer_leaves_no_file(tmp_path):
    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        write_json(tmp_path / "x.json", {"a": Unserialisable()})
    assert list(tmp_path.iterdir()) == []
