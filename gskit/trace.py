"""Serviceability: a trace of every GSKit and Qso call, and an opt-in TLS key log.

**Call trace** (logger ``gskit.trace``, DEBUG): one line per compat call with its arguments,
its return code (and out-values), the thread's errno after the call and the duration.
Secrets never appear: the values of password attributes (GSK_KEYRING_PW, GSK_LDAP_USER_PW,
GSK_PKCS11_TOKEN_PWD) are shown as ``'****'``, and data buffers (read/write buffers, the
``buffer`` of a Qso_OverlappedIO_t) only as their length.  Off by default; turn it on with
``GSKIT_TRACE=1`` or ``enable()``.  While off, a traced call costs one flag test.

**Key log** (``GSKIT_KEYLOG_FILE`` or ``enable_keylog(path)``): the TLS secrets of every
connection, in the NSS ``SSLKEYLOGFILE`` format that Wireshark reads.  Anyone holding the
file can decrypt the captured traffic, so turning it on prints a warning on stderr and logs
one.  It applies to environments initialized after it is turned on.
"""
from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
import threading
import time
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., object])

logger = logging.getLogger("gskit.trace")
logger.addHandler(logging.NullHandler())

ENV_TRACE = "GSKIT_TRACE"
ENV_KEYLOG = "GSKIT_KEYLOG_FILE"
MASK = "'****'"
_ATTRIBUTE_CALLS = ("gsk_attribute_set_", "gsk_attribute_get_")
_FALSE_WORDS = ("", "0", "false", "no", "off")


class _State:
    __slots__ = ("on", "handler", "keylog_path", "warned")

    def __init__(self) -> None:
        self.on = False
        self.handler: logging.Handler | None = None
        self.keylog_path: str | None = None
        self.warned: set[object] = set()


_state = _State()
_keylog_lock = threading.Lock()


# -- call trace ------------------------------------------------------------------------------
def enable(stream: Any = None) -> None:
    """Trace every call from now on; with no logging configured, lines go to ``stream`` (stderr)."""
    _state.on = True
    logger.setLevel(logging.DEBUG)
    if _state.handler is None and not logging.getLogger().handlers:
        _state.handler = logging.StreamHandler(stream or sys.stderr)
        _state.handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s gskit.trace %(message)s"))
        logger.addHandler(_state.handler)
        logger.propagate = False           # one copy of each line, even if logging is set up later


def disable() -> None:
    """Stop tracing (and remove the stderr handler ``enable`` added)."""
    _state.on = False
    if _state.handler is not None:
        logger.removeHandler(_state.handler)
        logger.propagate = True
        _state.handler = None


def is_enabled() -> bool:
    return _state.on


if os.environ.get(ENV_TRACE, "").strip().lower() not in _FALSE_WORDS:
    enable()


def wrap(name: str, func: F) -> F:
    """The traced form of a compat call: the call itself plus one flag test while tracing is off."""
    if not callable(func) or isinstance(func, type):
        return func
    try:
        parameters = tuple(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        parameters = ()

    @functools.wraps(func)
    def traced(*args: Any, **kwargs: Any) -> Any:
        if not _state.on:
            return func(*args, **kwargs)
        start = time.perf_counter()
        result = func(*args, **kwargs)
        elapsed_ms = (time.perf_counter() - start) * 1000
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", format_call(name, parameters, args, kwargs, result, elapsed_ms))
        return result

    return traced  # type: ignore[return-value]


def format_call(name: str, parameters: tuple[str, ...], args: tuple, kwargs: dict,
                result: object, elapsed_ms: float) -> str:
    """``name(arg=value, ...) -> rc=... errno=N 0.123ms`` with secrets and data masked."""
    from gskit.compat.errno_state import get_errno

    named = list(zip(parameters, args)) + list(kwargs.items())
    # gsk_attribute_*(handle, ID, value...): the ID is the second parameter, the value the third
    id_name, value_name = (tuple(parameters[1:3]) + ("", ""))[:2]
    attribute_call = name.startswith(_ATTRIBUTE_CALLS)
    secret = attribute_call and _is_secret_id(dict(named).get(id_name))
    shown = []
    for pname, value in named:
        if secret and pname in parameters[2:]:  # the value and its size (a password's length)
            text = MASK
        elif name == "gsk_attribute_set_enum" and pname == value_name:
            text = _enum_value_name(value)
        else:
            text = _show(value, attribute_call and pname == id_name)
        shown.append(f"{pname}={text}")
    return f"{name}({', '.join(shown)}) -> {_show_result(result, secret)} errno={get_errno()} {elapsed_ms:.3f}ms"


def _is_secret_id(value: object) -> bool:
    from gskit.attributes.table import SECRET_IDS
    return isinstance(value, int) and int(value) in SECRET_IDS


def _attribute_name(value: int) -> str:
    from gskit.attributes.table import ATTRIBUTES
    row = ATTRIBUTES.get(int(value))
    return f"{row.name}({int(value)})" if row is not None else str(int(value))


@functools.lru_cache(maxsize=None)
def _enum_values() -> dict[int, str]:
    from gskit.constants import GROUPS
    return {number: names[0] for number, *names in GROUPS["EnumValue"]}


def _enum_value_name(value: object) -> str:
    name = _enum_values().get(value) if isinstance(value, int) and not isinstance(value, bool) else None
    return f"{name}({value})" if name else _show(value)


def _show(value: object, is_attribute_id: bool = False) -> str:
    from gskit.compat.structs import Qso_OverlappedIO_t

    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{memoryview(value).nbytes} bytes>"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return _attribute_name(value) if is_attribute_id else str(int(value))
    if isinstance(value, Qso_OverlappedIO_t):
        return _show_io(value)
    if isinstance(value, (str, float)):
        return repr(value)
    return f"<{type(value).__name__}@{id(value):x}>"


def _show_io(io: Any) -> str:
    fields = []
    for field in ("descriptorHandle", "buffer", "bufferLength", "postFlag", "fillBuffer", "returnValue",
                  "errnoValue", "operationCompleted", "secureDataTransferSize"):
        value = getattr(io, field)
        fields.append(f"{field}={_show(value)}")
    return "Qso_OverlappedIO_t(" + ", ".join(fields) + ")"


def _show_result(result: object, secret: bool) -> str:
    if not isinstance(result, tuple):
        return f"rc={_show(result)}"
    rc, *outs = result
    values = [MASK if secret and out is not None else _show(out) for out in outs]
    return f"rc={_show(rc)} out=({', '.join(values)})"


# -- key log ---------------------------------------------------------------------------------
def enable_keylog(path: str | os.PathLike[str] | None) -> None:
    """Write TLS secrets to ``path`` (NSS key log format) for packet-capture debugging.

    None turns it off (unless ``GSKIT_KEYLOG_FILE`` is set).  Warns loudly when turned on.
    """
    _state.keylog_path = os.fspath(path) if path is not None else None
    if _state.keylog_path:
        _warn_keylog(_state.keylog_path)


def open_to_append(path: str) -> int:
    """``path`` opened to append to, made private (0600) if new, never waiting: a FIFO that
    no one reads is ENXIO at once (a plain open would wait for a reader for ever), a full
    one EAGAIN (a handshake must not wait for a log's reader)."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o600)


def keylog_file() -> str | None:
    return _state.keylog_path or os.environ.get(ENV_KEYLOG) or None


def keylog_callback() -> Callable[[bytes], None] | None:
    """What writes one key log line, or None while the key log is off."""
    path = keylog_file()
    if path is None:
        return None
    _warn_keylog(path)

    def write_line(line: bytes) -> None:
        try:
            with _keylog_lock:
                fd = open_to_append(path)
                try:
                    mode = os.fstat(fd).st_mode
                    if mode & 0o077:  # a file made by someone else, or by hand: not for secrets
                        _warn_open_keylog(path, mode)
                    else:
                        os.write(fd, bytes(line) + b"\n")
                finally:
                    os.close(fd)
        except OSError as exc:
            _warn_once(("write", path), f"gskit: could not write the TLS key log {path} ({exc.strerror or exc}).")

    return write_line


def install_keylog(ctx: Any) -> None:
    """Install the key log on a pyOpenSSL ``SSL.Context`` while it is on (the engine calls
    this).  OpenSSL's callback is registered directly: pyOpenSSL's wrapper looks up a
    pyOpenSSL ``Connection``, which gskit's sessions do not have."""
    write_line = keylog_callback()
    if write_line is None:
        return
    from OpenSSL._util import ffi, lib

    @ffi.callback("void (*)(const SSL *, const char *)")
    def on_line(_ssl: Any, line: Any) -> None:
        write_line(ffi.string(line))

    ctx._gskit_keylog = on_line          # kept alive with the context  # noqa: SLF001
    lib.SSL_CTX_set_keylog_callback(ctx._context, on_line)  # noqa: SLF001


def _warn_once(key: object, message: str) -> None:
    """Say ``message`` on stderr and to the logger, the first time for ``key``."""
    if key in _state.warned:
        return
    _state.warned.add(key)
    print(message, file=sys.stderr)
    logger.warning("%s", message)


def _warn_open_keylog(path: str, mode: int) -> None:
    _warn_once(("open", path),
               f"gskit: the TLS key log {path} is open to other users (mode {mode & 0o777:04o}): "
               f"no secrets are written to it; make it private (chmod 600) or name a new file.")


def _warn_keylog(path: str) -> None:
    _warn_once(path, f"gskit: WARNING: the TLS key log is ON: the secrets of every TLS connection are written to "
                     f"{path}; anyone with this file can decrypt the captured traffic. Turn it off after debugging.")
