"""Crash-safe writes: a checkpoint or shipped file is either the old one or the complete new one.

The bytes go to a file in the destination folder, are flushed and fsynced, and the file is then renamed over
the destination (``os.replace`` is atomic within a filesystem); the folder is fsynced so the rename survives a
power cut. On Linux the file is first created unnamed (``O_TMPFILE``), so a write killed by SIGKILL leaves
nothing behind; it gets a name only once complete, for the instant before the rename. Elsewhere a named
``.<name>.tmp-<random>`` file is used, removed when the write fails (ENOSPC, a full quota), and, when a SIGKILL
left one behind, by the next write of that file.

The Trainer plugin that writes checkpoints this way is ``ganzoo.plugins.AtomicCheckpointIO``.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
from pathlib import Path
from typing import Any

import torch


_NO_UNNAMED_FILES: set[int] = set()  # devices where an O_TMPFILE file cannot be made or linked into its folder
UNSUPPORTED = {errno.EXDEV, errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.EPERM, errno.ENOENT}


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous file at that path, if any, is intact."""


def atomic_write_bytes(data: bytes | memoryview, path: str | Path) -> Path:
    """Write ``data`` to ``path`` so that ``path`` is never partial and no temporary file outlives the call."""
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staged = _write_staged(data, folder, path.name)
        try:
            os.replace(staged, path)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        _fsync_folder(folder)
    except OSError as err:
        reason = "the disk is full" if err.errno in (errno.ENOSPC, errno.EDQUOT) else err.strerror or str(err)
        raise CheckpointWriteError(
            err.errno, f"could not write {path}: {reason}; the previous file there (if any) is unchanged"
        ) from err
    return path


def atomic_save(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj, path)`` through ``atomic_write_bytes``."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return atomic_write_bytes(buffer.getbuffer(), path)  # a view: no second copy of the checkpoint


def _write_staged(data: bytes | memoryview, folder: Path, name: str) -> Path:
    """The complete, fsynced bytes in a new file of ``folder``, named only once complete where possible."""
    staged = folder / f".{name}.tmp-{secrets.token_hex(4)}"
    device = folder.stat().st_dev
    fd = _open_unnamed(folder) if device not in _NO_UNNAMED_FILES else -1
    if fd >= 0:
        try:
            _write_all(fd, data)
            try:
                _name_unnamed_file(fd, staged)
                return staged
            except OSError as err:
                if err.errno not in UNSUPPORTED:
                    raise
                _NO_UNNAMED_FILES.add(device)  # overlayfs and others cannot name it (EXDEV): named files here
        finally:
            os.close(fd)
    for stale in folder.glob(f".{name}.tmp-*"):  # a named file a killed write left behind
        stale.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        _write_all(fd, data)
    except BaseException:
        os.close(fd)
        staged.unlink(missing_ok=True)
        raise
    os.close(fd)
    return staged


def _open_unnamed(folder: Path) -> int:
    """An O_TMPFILE file in ``folder`` (Linux), or -1 where the platform or filesystem has none."""
    if not getattr(os, "O_TMPFILE", 0):
        return -1
    try:
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except OSError as err:
        if err.errno not in UNSUPPORTED:
            raise
        _NO_UNNAMED_FILES.add(folder.stat().st_dev)
        return -1


def _name_unnamed_file(fd: int, path: Path) -> None:
    """linkat(/proc/self/fd/N, path, AT_SYMLINK_FOLLOW). ``os.link`` calls plain link(), which does not follow
    the /proc symlink, unless a directory fd is given: the path is absolute, so the fd only selects linkat."""
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.link(f"/proc/self/fd/{fd}", path, src_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

