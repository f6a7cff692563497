"""Secure-connection audit records: IBM i's SK-S and SK-X journal entries, off IBM i.

Every handshake that ends produces one record (a flat dict of JSON values):

* ``SK-S`` (success): address family, local and remote address and port, the protocol
  version, and the secure properties: suite, signature algorithm, named curve;
* ``SK-X`` (failure): the same addresses, the version if one was reached, the return value
  (``rc``, ``rc_name``, ``message_id``) and the detailed error message.

Auditing is on, as IBM i's ``*NETSECURE`` audit level is, when a file is configured
(``configure(path)``, or the environment variable ``GSKIT_AUDIT_FILE`` as it was when the
GSKit environment was initialized) or the logger ``gskit.audit`` is enabled for INFO as a
handshake starts (that handshake is then recorded when it ends); otherwise it costs one
check per handshake.  Records go
to that logger (SK-S at INFO, SK-X at WARNING; the record itself is the log record's
``audit`` attribute) and to the file as JSON lines: one ``O_APPEND`` write per record, so
lines from many threads and processes never interleave.
No record ever holds a secret (no key, password, session ID or data).  Nothing here raises
into the handshake that is being recorded.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import socket
import threading
from typing import Any, Iterator

from gskit.certinfo import signature_algorithm_name
from gskit.errors import GSKError
from gskit.trace import open_to_append

logger = logging.getLogger("gskit.audit")
logger.addHandler(logging.NullHandler())   # silent unless the application configures logging

ENV_FILE = "GSKIT_AUDIT_FILE"
SUCCESS, FAILURE = "SK-S", "SK-X"
_FAMILIES = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}
_configured: dict[str, str | None] = {"path": None}
_NO_ADDRESSES = {"address_family": None, "local_address": None, "local_port": None,
                 "remote_address": None, "remote_port": None}


def configure(path: str | os.PathLike[str] | None) -> None:
    """Append records to ``path`` as JSON lines (None: back to ``GSKIT_AUDIT_FILE`` or none)."""
    _configured["path"] = os.fspath(path) if path is not None else None


def variable_file() -> str | None:
    """``GSKIT_AUDIT_FILE`` now; each GSKit environment reads it once, as it is initialized
    (reading the process environment at every handshake costs a handshake a few per cent)."""
    return os.environ.get(ENV_FILE) or None


def _file(variable: str | None) -> str | None:
    """Where records go: ``configure``'s file, else ``variable`` (an environment's
    ``GSKIT_AUDIT_FILE``), else nowhere."""
    return _configured["path"] or variable


def audit_file() -> str | None:
    """The file records of an environment initialized now would go to, if any."""
    return _file(variable_file())


def handshake(session: object, error: object | None, variable: str | None) -> None:
    """Record one handshake: ``error`` is None on success, else the GSKError; ``variable``
    is the ``GSKIT_AUDIT_FILE`` of the session's environment."""
    path = _file(variable)
    if path is None and not logger.isEnabledFor(logging.INFO):
        return
    level = logging.INFO if error is None else logging.WARNING
    try:
        record = build_record(session, error)
        logger.log(level, "%s", summary(record), extra={"audit": record})
        if path is not None:
            append(path, record)
    except Exception:  # an audit problem must never break the connection it records
        logger.debug("could not write an audit record", exc_info=True)


def build_record(session: Any, error: Any | None) -> dict[str, Any]:
    """The SK-S or SK-X record of ``session`` (see the module docstring for the fields)."""
    engine: Any = getattr(session, "engine", None)
    made = engine is not None and engine.ssl is not None
    # the version is known once the hello messages are through, that is once a suite is chosen
    negotiated = made and (error is None or engine.cipher_name() is not None)
    protocol = getattr(engine, "protocol", None) if negotiated else None
    record: dict[str, Any] = {
        "entry_type": SUCCESS if error is None else FAILURE,
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "pid": os.getpid(),
        "role": _role(session, engine),
        **_addresses(session),
        "secure_version": protocol.label if protocol is not None else None,
    }
    if error is None:
        record.update(cipher=session.cipher, signature_algorithm=_signature_algorithm(engine),
                      named_curve=engine.group_name() if made else None)
    else:
        record.update(rc=getattr(error, "rc", None), rc_name=getattr(error, "name", None),
                      message_id=getattr(error, "message_id", None), secure_information=str(error))
    return record


def summary(record: dict[str, Any]) -> str:
    """One readable line for a record."""
    where = (f"{record['address_family'] or '-'} local {_endpoint(record, 'local')} "
             f"remote {_endpoint(record, 'remote')} {record['role']}")
    if record["entry_type"] == SUCCESS:
        props = " ".join(str(record[k]) for k in ("cipher", "signature_algorithm", "named_curve") if record[k])
        return f"SK-S {where} {record['secure_version']} {props}"
    version = f" {record['secure_version']}" if record["secure_version"] else ""
    return f"SK-X {where}{version} rc={record['rc']} {record['rc_name']}: {record['secure_information']}"


def append(path: str, record: dict[str, Any]) -> None:
    """Append ``record`` to ``path`` as one JSON line, in a single write (whole lines only)."""
    line = (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode()
    fd = open_to_append(path)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


@contextlib.contextmanager
def capture() -> Iterator[list[dict[str, Any]]]:
    """Collect the records made in this block (all threads) into a list."""
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    class _Collector(logging.Handler):
        def emit(self, log_record: logging.LogRecord) -> None:
            with lock:
                records.append(log_record.audit)  # type: ignore[attr-defined]

    handler = _Collector(logging.INFO)
    previous = logger.level
    logger.addHandler(handler)
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _role(session: Any, engine: Any) -> str | None:
    config = getattr(engine, "config", None)
    if config is not None:
        return "server" if config.server else "client"
    from gskit.attributes.values import AttributeValues
    from gskit.environment import role_of
    values = getattr(session, "values", None)
    return role_of(values) if isinstance(values, AttributeValues) else None


def _temporary_socket(session: Any) -> socket.socket | None:
    """A temporary socket object on the session's GSK_FD (the caller detaches it), or None."""
    from gskit import constants as c
    fd = getattr(session, "values", {}).get(c.GSK_FD, -1)
    if not isinstance(fd, int) or fd < 0:
        return None
    try:
        return socket.socket(fileno=fd)
    except OSError:
        return None


def remember_endpoints(session: Any, variable: str | None) -> bool:
    """Is auditing on as a handshake starts (``variable``: the ``GSKIT_AUDIT_FILE`` of the
    session's environment)?  If so, note the session's addresses now, so that its record
    still has them after the peer has reset the connection."""
    if _file(variable) is None and not logger.isEnabledFor(logging.INFO):
        return False
    with contextlib.suppress(Exception):
        session._audit_endpoints = _addresses(session)  # noqa: SLF001
    return True


def _addresses(session: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(getattr(session, "_audit_endpoints", None) or _NO_ADDRESSES)
    sock = _temporary_socket(session)
    if sock is None:
        return out
    try:
        out["address_family"] = _FAMILIES.get(sock.family)
        for side, call in (("local", sock.getsockname), ("remote", sock.getpeername)):
            with contextlib.suppress(OSError):      # ENOTCONN once the peer has reset
                address = call()
                out[f"{side}_address"], out[f"{side}_port"] = address[0], address[1]
    finally:
        sock.detach()
    return out


def _signature_algorithm(engine: Any) -> str | None:
    """The signature algorithm of the server's certificate (the one the handshake checked).

    OpenSSL's handshake signature scheme (SSL_get_peer_signature_type_nid) is not exposed by
    pyOpenSSL; the server certificate's algorithm is the nearest obtainable property.
    """
    if engine is None or engine.ssl is None:
        return None
    try:
        cert = engine.local_certificate() if engine.config.server else engine.peer_certificate()
    except GSKError:
        return None                   # a certificate that cannot be read (docs/behaviour.md)
    if cert is None:
        return None
    return signature_algorithm_name(cert)


def _endpoint(record: dict[str, Any], side: str) -> str:
    address, port = record[f"{side}_address"], record[f"{side}_port"]
    if address is None:
        return "?"
    return f"[{address}]:{port}" if ":" in str(address) else f"{address}:{port}"
