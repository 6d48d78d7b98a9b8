# -*- coding: utf-8 -*-
# Copyright: wirefleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing the small private files the modules manage (keys, configs).

Used on the hosts and on the controller (standard library only). A file is replaced by writing a
temporary file next to it, setting its mode (and owner) and renaming it over the old one: readers
never see half a key or config, a failure leaves the old file alone, and a secret is never readable
by others while it is written (mkstemp creates the temporary file 0600).
"""

from __future__ import annotations

import glob
import os
import tempfile


def _as_bytes(content):
    return content if isinstance(content, bytes) else content.encode("utf-8")


def read_text(path, encoding="utf-8", strip=False):
    """The file's text, or None when it is missing, unreadable or not valid in encoding.

    None (no file) and "" (an empty file) stay apart: some callers must not overwrite an odd file.
    """
    try:
        with open(path, encoding=encoding) as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    return text.strip() if strip else text


def read_bytes(path):
    """The file's bytes, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def has_content(path, content, mode):
    """Whether path already holds exactly content (str as UTF-8, or bytes) with exactly this mode."""
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_mode & 0o7777 == mode and read_bytes(path) == _as_bytes(content)


def write_atomic(path, content, mode=0o600, root_owned=False, durable=False):
    """Replace path with content (str is written as UTF-8, bytes as they are) and the given mode.

    Missing directories are made 0700, since what is written here is mostly secret.
    root_owned: chown root:root before the rename (files on the hosts).
    durable: fsync before the rename, so a key or live config survives a power cut right after it.
    """
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".wirefleet-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(_as_bytes(content))
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temp, mode)
        if root_owned:
            os.chown(temp, 0, 0)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_tree(dest, files, mode=0o600, purge_pattern="", check_mode=False):
    """Write every {relative path: content} below dest (only those that differ) and remove the other files
    matching purge_pattern; returns (written, removed), relative paths. ValueError for a path leaving dest."""
    root = os.path.normpath(dest)
    written, removed = [], []
    for relative in sorted(files):
        path = os.path.normpath(os.path.join(dest, relative))
        if not path.startswith(root + os.sep):
            raise ValueError("%s escapes %s" % (relative, dest))
    for relative in sorted(files):
        path = os.path.normpath(os.path.join(dest, relative))
        content = files[relative] if isinstance(files[relative], bytes) else str(files[relative])
        if has_content(path, content, mode):
            continue
        written.append(relative)
        if not check_mode:
            write_atomic(path, content, mode)
    if purge_pattern and os.path.isdir(dest):
        keep = {os.path.normpath(os.path.join(dest, relative)) for relative in files}
        for path in sorted(glob.glob(os.path.join(dest, purge_pattern))):
            if os.path.normpath(path) not in keep and os.path.isfile(path):
                removed.append(os.path.relpath(path, dest))
                if not check_mode:
                    os.unlink(path)
    return written, removed
