"""File reading and atomic writing with GSKit return codes for the failures."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from gskit import errors as rc

from .errors import KeystoreError

MAX_FILE = 64 * 1024 * 1024  # no keystore is bigger; refuse to slurp anything that is


# Opening a FIFO this way returns at once, even with no writer; a terminal does not become
# the process's controlling terminal.
_PROBE_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def _open_regular(path: str | os.PathLike, what: str) -> BinaryIO:
    """``path`` opened for reading if it is a regular file; GSK_KEYRING_OPEN_ERROR for a FIFO,
    a device or a socket, found without waiting on it; IsADirectoryError for a folder."""
    fd = os.open(path, _PROBE_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise KeystoreError(
                rc.GSK_KEYRING_OPEN_ERROR,
                f"the {what} {path} is not a regular file.",
            )
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def may_exist(path: str | os.PathLike) -> bool:
    """Does ``path`` name something?  True also when the system cannot even say (a name too
    long, a NUL byte): ``read_bytes`` then says why in one sentence."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return True


def read_bytes(
    path: str | os.PathLike, what: str = "keystore", *, regular_only: bool = True
) -> bytes:
    """The bytes of ``path``; GSK_KEYRING_OPEN_ERROR or GSK_IBMI_ERROR_NO_ACCESS on failure.

    Anything but a regular file is refused before it is read (a FIFO would block for ever),
    unless ``regular_only`` is False: a password file may be a pipe, such as ``<(...)``."""
    try:
        with _open_regular(path, what) if regular_only else open(path, "rb") as f:
            data = f.read(MAX_FILE + 1)
    except PermissionError:
        raise KeystoreError(
            rc.GSK_IBMI_ERROR_NO_ACCESS, f"permission to read the {what} {path} is denied."
        ) from None
    except FileNotFoundError:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, f"the {what} {path} does not exist."
        ) from None
    except IsADirectoryError:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, f"the {what} {path} is a directory, not a file."
        ) from None
    except OSError as exc:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, f"the {what} {path} cannot be read ({exc.strerror})."
        ) from None
    except ValueError:  # a NUL byte, or a lone surrogate the file system cannot take
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, f"the {what} name {str(path)!r} cannot name a file."
        ) from None
    if len(data) > MAX_FILE:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR,
            f"the {what} {path} is larger than {size_text(MAX_FILE)}, the most gskit reads.",
        )
    return data


def size_text(size: int) -> str:
    """``64 MiB`` for a whole number of MiB, else ``1,234 bytes``."""
    return f"{size >> 20} MiB" if size and size % (1 << 20) == 0 else f"{size:,} bytes"


def atomic_write(path: str | os.PathLike, data: bytes, mode: int = 0o600) -> Path:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, never half.

    A failure is an OSError naming ``path``, never the hidden temporary file beside it."""
    return atomic_write_all([(path, data)], mode)[0]


def atomic_write_all(
    files: Sequence[tuple[str | os.PathLike, bytes]], mode: int = 0o600
) -> list[Path]:
    """Replace every file of ``files`` with its data, or none of them (a store and its stash).

    Every temporary file is written and fsynced before the first is renamed, so a full disk
    changes nothing.  A rename that fails puts back the files renamed before it: a new file
    is removed, a replaced one restored from a hard link made to it first (where the file
    system has hard links).  A failure is an OSError naming the user's file, never a hidden
    temporary file."""
    targets = [Path(path) for path, _ in files]
    staged: list[str] = []
    renamed: list[tuple[Path, bool, str | None]] = []  # (file, it existed, link to the old one)
    current = targets[0] if targets else Path(".")
    try:
        for current, (_, data) in zip(targets, files):
            staged.append(_temporary(current, data, mode))
        for i, (current, tmp) in enumerate(zip(targets, staged)):
            existed = os.path.lexists(current)
            old = _link_aside(current) if existed and i < len(targets) - 1 else None
            try:
                os.replace(tmp, current)
            except BaseException:
                _remove(old)
                raise
            renamed.append((current, existed, old))
    except BaseException as exc:
        for path, existed, old in reversed(renamed):
            with contextlib.suppress(OSError):
                if old is not None:
                    os.replace(old, path)
                elif not existed:
                    os.unlink(path)
        for tmp in staged[len(renamed):]:
            _remove(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, current) from None
        raise
    for _, _, old in renamed:
        _remove(old)
    for directory in dict.fromkeys(_folder(path) for path in targets):
        _fsync_dir(directory)
    return targets


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _temporary(path: Path, data: bytes, mode: int) -> str:
    """A hidden file beside ``path`` holding ``data``, fsynced, with ``mode``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=_folder(path))
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # not on Windows
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _link_aside(path: Path) -> str | None:
    """A hidden hard link to the file at ``path`` (to put it back), or None if none can be made."""
    aside = str(_folder(path) / f".{path.name}.{secrets.token_hex(8)}.old")
    try:
        os.link(path, aside, follow_symlinks=False)
    except (OSError, NotImplementedError):
        return None
    return aside


def _remove(path: str | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error (same class, errno and text) with ``path`` as its file name."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
