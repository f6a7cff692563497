"""One reading and writing interface over the three keystore formats."""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable

from gskit import errors as rc

from . import kdb, pem, pkcs12, stash
from .errors import KeystoreError, Refused, no_password, open_error
from .files import MAX_FILE, atomic_write_all, read_bytes, size_text
from .model import Entry, Keystore

FORMATS = ("kdb", "pkcs12", "pem")
EXTENSIONS = {
    ".kdb": "kdb",
    ".p12": "pkcs12",
    ".pfx": "pkcs12",
    ".pem": "pem",
    ".crt": "pem",
    ".cer": "pem",
}
_SNIFFERS: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("kdb", kdb.looks_like_kdb),
    ("pkcs12", pkcs12.looks_like_pkcs12),
    ("pem", pem.looks_like_pem),
)
_BUILDERS: dict[str, Callable[[list[Entry], str | None], bytes]] = {
    "kdb": lambda entries, password: kdb.build(entries, password or ""),
    "pkcs12": pkcs12.build,
    "pem": pem.build,
}


def sniff(data: bytes) -> str | None:
    """The format of a keystore's bytes, or None."""
    return next((name for name, test in _SNIFFERS if test(data)), None)


def format_for_path(path: str | os.PathLike, default: str = "kdb") -> str:
    """The format a file name asks for (``.p12`` -> pkcs12), else ``default``."""
    return EXTENSIONS.get(Path(path).suffix.lower(), default)


def password_for(password: str | None, stash_file: str | os.PathLike | None) -> str | None:
    """The password given, else the one stashed in ``stash_file``, else None."""
    if password:
        return password
    return stash.read(stash_file) if stash_file else None


def open_keystore(
    path: str | os.PathLike,
    password: str | None = None,
    stash_file: str | os.PathLike | None = None,
    *,
    require_password: bool = True,
) -> Keystore:
    """Read a PKCS#12, PEM or CMS .kdb keystore (the format is taken from the content).

    A .kdb needs its password (given or stashed) unless ``require_password`` is False, in
    which case labels and certificates are listed without keys or verification.
    """
    data = read_bytes(path)
    fmt = sniff(data)
    if fmt is None:
        raise open_error(path, "it is not a PKCS#12, PEM or CMS key database file")
    secret = password_for(password, stash_file)
    if fmt == "kdb":
        if secret is None and require_password:
            raise no_password(path)
        parsed = kdb.parse(data, secret, path)
        return Keystore(Path(path), fmt, parsed.entries, verified=parsed.verified)
    parse = pkcs12.parse if fmt == "pkcs12" else pem.parse
    return Keystore(Path(path), fmt, parse(data, secret, path))


def encode_keystore(entries: list[Entry], password: str | None, fmt: str) -> bytes:
    """The bytes of a keystore of format ``fmt`` holding ``entries``; refused when gskit
    could not read them back (more than :data:`~certstore.files.MAX_FILE`)."""
    locked = next((e.label for e in entries if e.key_locked), None)
    if locked is not None:
        raise KeystoreError(
            rc.GSK_NO_KEYFILE_PASSWORD,
            f"the private key of {locked!r} was not decrypted; open the store with its password.",
        )
    builder = _BUILDERS.get(fmt)
    if builder is None:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR,
            f"{fmt!r} is not a keystore format; use one of {', '.join(FORMATS)}.",
        )
    data = builder(list(entries), password)
    if len(data) > MAX_FILE:
        raise Refused(
            f"a {fmt} keystore of {len(entries):,} entries would be {len(data):,} bytes, more "
            f"than the {size_text(MAX_FILE)} gskit reads, so nothing was written."
        )
    return data


def save_keystore(
    path: str | os.PathLike,
    entries: list[Entry],
    password: str | None,
    fmt: str | None = None,
    *,
    stash_file: str | os.PathLike | None = None,
) -> Path:
    """Write ``entries`` to ``path`` atomically (mode 0600); the format defaults from the name.

    With ``stash_file``, a version-1 stash of ``password`` is written there too: both files
    or neither (see :func:`~certstore.files.atomic_write_all`)."""
    files = [(path, encode_keystore(entries, password, fmt or format_for_path(path)))]
    if stash_file is not None:
        files.append((stash_file, stash.encode_v1(password or "")))
    return atomic_write_all(files, mode=0o600)[0]
