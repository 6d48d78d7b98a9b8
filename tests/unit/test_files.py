# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/files.py: the reads and atomic writes every module uses for keys and configs."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.wirefleet.wireguard.plugins.module_utils import files
from ansible_collections.wirefleet.wireguard.plugins.module_utils.files import (
    has_content,
    read_bytes,
    read_text,
    write_atomic,
    write_tree,
)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_write_creates_file_with_content_and_mode(tmp_path):
    path = tmp_path / "wg0.conf"
    write_atomic(str(path), "[Interface]\nAddress = 10.8.0.1/24\n", 0o600)
    assert path.read_bytes() == b"[Interface]\nAddress = 10.8.0.1/24\n"
    assert mode_of(path) == 0o600


def test_write_sets_the_requested_mode_even_against_the_umask(tmp_path):
    path = tmp_path / "host.pub"
    old = os.umask(0o077)
    try:
        write_atomic(str(path), "pub\n", 0o644)
    finally:
        os.umask(old)
    assert mode_of(path) == 0o644


def test_write_encodes_text_as_utf8_and_keeps_bytes_as_they_are(tmp_path):
    text, binary = tmp_path / "text", tmp_path / "binary"
    write_atomic(str(text), "# Café ✓\n")
    write_atomic(str(binary), b"\x89PNG\r\n\x00\xff")
    assert text.read_bytes() == "# Café ✓\n".encode("utf-8")
    assert binary.read_bytes() == b"\x89PNG\r\n\x00\xff"
    assert mode_of(text) == mode_of(binary) == 0o600  # the default mode is private


def test_write_replaces_content_and_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "key"
    path.write_text("old content that is longer\n")
    os.chmod(path, 0o644)
    write_atomic(str(path), "new\n", 0o600)
    assert path.read_text() == "new\n"
    assert mode_of(path) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["key"]


def test_write_makes_missing_directories_private(tmp_path):
    path = tmp_path / "psk" / "wg0" / "a--b.psk"
    write_atomic(str(path), "secret\n")
    assert path.read_text() == "secret\n"
    assert mode_of(tmp_path / "psk" / "wg0") == 0o700


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "wg0.conf"
    path.write_text("working config\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(str(path), "half written\n")
    assert path.read_text() == "working config\n"
    assert sorted(os.listdir(tmp_path)) == ["wg0.conf"]


def test_root_owned_and_durable_chown_and_fsync_the_temporary_file(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(files.os, "chown", lambda path, uid, gid: calls.append(("chown", os.path.basename(path), uid, gid)))
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: calls.append(("fsync",)) or real_fsync(fd))
    write_atomic(str(tmp_path / "wg0.key"), "k\n", 0o600, root_owned=True, durable=True)
    assert [c[0] for c in calls] == ["fsync", "chown"]
    # The temporary file is chowned before it is renamed into place, never the target afterwards.
    assert calls[1][1].startswith(".wirefleet-") and calls[1][2:] == (0, 0)


def test_plain_write_neither_chowns_nor_fsyncs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(files.os, "chown", lambda *args: calls.append("chown"))
    monkeypatch.setattr(files.os, "fsync", lambda *args: calls.append("fsync"))
    write_atomic(str(tmp_path / "plan.conf"), "x")
    assert calls == []


def test_read_text_tells_missing_from_empty(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    assert read_text(str(tmp_path / "missing")) is None
    assert read_text(str(empty)) == ""
    assert read_text(str(tmp_path)) is None  # a directory is not a file to read


def test_read_text_strips_only_when_asked(tmp_path):
    path = tmp_path / "key"
    path.write_text("  abc=\n\n")
    assert read_text(str(path)) == "  abc=\n\n"
    assert read_text(str(path), strip=True) == "abc="


def test_read_text_gives_none_for_text_not_in_the_encoding(tmp_path):
    path = tmp_path / "key"
    path.write_bytes("clé\n".encode("utf-8"))
    assert read_text(str(path), encoding="ascii") is None
    assert read_text(str(path)) == "clé\n"
    path.write_bytes(b"\xff\xfe\n")
    assert read_text(str(path)) is None


def test_read_bytes(tmp_path):
    path = tmp_path / "qr.png"
    path.write_bytes(b"\x00\x01")
    assert read_bytes(str(path)) == b"\x00\x01"
    assert read_bytes(str(tmp_path / "missing")) is None


def test_has_content_needs_same_content_and_same_mode(tmp_path):
    path = tmp_path / "wg0.conf"
    assert has_content(str(path), "a\n", 0o600) is False  # missing
    write_atomic(str(path), "a\n", 0o600)
    assert has_content(str(path), "a\n", 0o600) is True
    assert has_content(str(path), b"a\n", 0o600) is True
    assert has_content(str(path), "a", 0o600) is False
    assert has_content(str(path), "a\n", 0o644) is False
    os.chmod(path, 0o640)
    assert has_content(str(path), "a\n", 0o600) is False


def test_write_tree_writes_what_differs_and_purges_the_rest(tmp_path):
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "wg0.conf").write_text("old")
    assert write_tree(str(tmp_path), {"hub/wg0.conf": "a", "laptop/wg0.conf": "b"}, 0o600, "*/*.conf",
                      check_mode=True) == (["hub/wg0.conf", "laptop/wg0.conf"], ["gone/wg0.conf"])
    assert not (tmp_path / "hub").exists() and (tmp_path / "gone" / "wg0.conf").exists()
    assert write_tree(str(tmp_path), {"hub/wg0.conf": "a", "laptop/wg0.conf": "b"}, 0o600, "*/*.conf") == (
        ["hub/wg0.conf", "laptop/wg0.conf"], ["gone/wg0.conf"])
    assert (tmp_path / "hub" / "wg0.conf").read_text() == "a" and not (tmp_path / "gone" / "wg0.conf").exists()
    assert write_tree(str(tmp_path), {"hub/wg0.conf": "a", "laptop/wg0.conf": "b"}, 0o600, "*/*.conf") == ([], [])
    assert write_tree(str(tmp_path), {"hub/wg0.conf": "a"}, 0o644) == (["hub/wg0.conf"], [])  # mode counts


@pytest.mark.parametrize("relative", ["../escape", "/etc/passwd", "a/../../b"])
def test_write_tree_refuses_paths_leaving_dest_before_writing_anything(tmp_path, relative):
    with pytest.raises(ValueError):
        write_tree(str(tmp_path / "d"), {"ok": "x", relative: "y"})
    assert not (tmp_path / "d").exists()
