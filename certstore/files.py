"""File reading and atomic writing with GSKit return codes for the failures."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
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
    if len(data) > MAX_FILE:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, f"the {what} {path} is too large to be a keystore."
        )
    return data


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> Path:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, never half.

    A failure is an OSError naming ``path``, never the hidden temporary file beside it."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        if hasattr(os, "fchmod"):  # not on Windows
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise
    _fsync_dir(directory)
    return path


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
