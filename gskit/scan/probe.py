"""One TLS handshake against the target, as a client, with a deadline; never raises.

pyOpenSSL runs on a memory BIO and this module moves the bytes: every wait for the peer is a
``select()`` against one deadline per handshake, so a server that is silent or trickles bytes
cannot hold a probe longer than the timeout (``settimeout`` is not used: it would make the
socket non-blocking underneath).  Given a ``cancel`` event, every wait (connect included) also
ends within a tenth of a second of it being set: an interrupted scan stops at once.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import re
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from OpenSSL import SSL

from certstore.errors import KeystoreError
from certstore.files import read_bytes
from gskit.attributes.protocols import Protocol
from gskit.scan import _ossl

_SLICE = 0.1   # seconds: how often a wait looks at the cancel event
_LABEL = re.compile(r"[A-Za-z0-9_-]+")


class Failure(Enum):
    """Why a handshake did not complete."""

    REJECTED = "the server refused (TLS alert)"
    UNREACHABLE = "cannot connect"
    TIMEOUT = "timed out"
    CLOSED = "the server closed the connection"
    NOT_TLS = "the server does not speak TLS"
    LOCAL = "the local OpenSSL cannot offer this"
    CANCELLED = "the scan was interrupted"


class Cancelled(Exception):
    """The scan was interrupted while this handshake waited."""


def ascii_host(name: str, what: str = "host name") -> str:
    """An IP address as is, or a host name in its ASCII (IDNA A-label) form.

    ValueError, one sentence, if ``name`` cannot be a host name: an empty label (``a..b``), a
    label over 63 characters, over 253 in all, or characters no host name has.
    """
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    bare = name[:-1] if name.endswith(".") else name
    if not bare:
        raise ValueError(f"the {what} is empty")
    labels = []
    for label in bare.split("."):
        if not label:
            raise ValueError(f"{name!r} is not a valid {what}: it has an empty label")
        try:
            encoded = label.encode("idna").decode("ascii")
        except UnicodeError as exc:
            if "too long" in str(exc):
                raise ValueError(f"{name!r} is not a valid {what}: a label is longer than 63 "
                                 f"characters") from None
            raise ValueError(f"{name!r} is not a valid {what}: the label {label!r} is not a "
                             f"valid internationalised name") from None
        if not _LABEL.fullmatch(encoded):
            raise ValueError(f"{name!r} is not a valid {what}: the label {label!r} has characters "
                             f"a host name cannot have")
        labels.append(encoded)
    result = ".".join(labels)
    if len(result) > 253:
        raise ValueError(f"{name!r} is not a valid {what}: it is longer than 253 characters")
    return result


def check_ca_file(path: str) -> None:
    """ValueError, one sentence, unless ``path`` is a PEM file OpenSSL loads CA certificates from."""
    try:
        read_bytes(path, "CA file")        # there, a regular file (a FIFO would block), readable
    except KeystoreError as exc:
        raise ValueError(str(exc).rstrip(".")) from None
    try:
        SSL.Context(SSL.TLS_METHOD).load_verify_locations(path)
    except SSL.Error:
        raise ValueError(f"the CA file {path!r} holds no PEM certificate OpenSSL can load") from None


# Substrings of OpenSSL reason strings -> Failure (first match wins).
_REASONS: tuple[tuple[str, Failure], ...] = (
    ("no ciphers available", Failure.LOCAL), ("no protocols available", Failure.LOCAL),
    ("no cipher match", Failure.LOCAL),
    ("alert", Failure.REJECTED), ("unsupported protocol", Failure.REJECTED),
    ("wrong version number", Failure.NOT_TLS), ("packet length too long", Failure.NOT_TLS),
    ("record layer failure", Failure.NOT_TLS), ("http request", Failure.NOT_TLS),
    ("unknown protocol", Failure.NOT_TLS), ("unexpected message", Failure.NOT_TLS),
    ("unexpected eof", Failure.CLOSED),
)


@dataclass(frozen=True)
class Offer:
    """What the client offers in one handshake."""

    protocol: Protocol
    ciphers: str = ""          # OpenSSL cipher string for TLS <= 1.2
    tls13: str = ""            # TLS 1.3 ciphersuites
    sni: str | None = None
    groups: str | None = None  # None: OpenSSL's default groups
    ca_file: str | None = None
    read_tickets: bool = False
    hello_only: bool = False   # stop once the ServerHello names the suite: half the server's work


@dataclass
class Attempt:
    """What one handshake gave."""

    ok: bool
    failure: Failure | None = None
    detail: str = ""
    cipher: str | None = None
    chain: list = field(default_factory=list)        # cryptography certificates, leaf first
    verify_errors: list[tuple[int, int]] = field(default_factory=list)  # (errnum, depth)
    session: SSL.Session | None = None
    reused: bool | None = None
    context: SSL.Context | None = None   # to resume ``session``, OpenSSL needs the same context
    cert_requested: bool = False         # the server sent a CertificateRequest


@dataclass
class _Seen:
    """What the callbacks saw on one connection (its app data)."""

    verify_errors: list[tuple[int, int]] = field(default_factory=list)
    cert_requested: bool = False


def _on_verify(conn, cert, errnum, depth, ok):  # accept everything, remember what failed
    seen = conn.get_app_data()
    if not ok and isinstance(seen, _Seen):
        seen.verify_errors.append((errnum, depth))
    return True


def _on_info(conn, where, ret) -> None:
    """Notice a CertificateRequest (TLS 1.2 and 1.3 name the client state the same)."""
    if where & SSL.SSL_CB_CONNECT_LOOP and b"certificate request" in conn.get_state_string():
        seen = conn.get_app_data()
        if isinstance(seen, _Seen):
            seen.cert_requested = True


def _context(offer: Offer) -> SSL.Context | str:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(offer.protocol)      # a Protocol is its wire version, as OpenSSL's
    ctx.set_max_proto_version(offer.protocol)
    try:
        if offer.tls13:
            ctx.set_tls13_ciphersuites(offer.tls13.encode())
        ctx.set_cipher_list(f"{offer.ciphers or 'ALL'}:@SECLEVEL=0".encode())
    except SSL.Error as exc:
        return f"no cipher in the offer is known to the local OpenSSL ({exc})"
    if offer.groups is not None and not _ossl.set_groups(ctx, offer.groups):
        return f"the local OpenSSL does not know the group {offer.groups}"
    if offer.ca_file:
        try:
            ctx.load_verify_locations(offer.ca_file)
        except SSL.Error:
            return f"the CA file {offer.ca_file!r} holds no PEM certificate OpenSSL can load"
    ctx.set_verify(SSL.VERIFY_PEER if offer.ca_file else SSL.VERIFY_NONE, _on_verify)
    ctx.set_info_callback(_on_info)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_CLIENT)
    return ctx


def _wait(sock: socket.socket, deadline: float, cancel: threading.Event | None,
          write: bool = False) -> bool:
    """Wait until ``sock`` is readable (or writable); False at the deadline; Cancelled."""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        step = min(remaining, _SLICE) if cancel is not None else remaining
        ready = select.select([] if write else [sock], [sock] if write else [], [], step)
        if ready[0] or ready[1]:
            return True


def _connect(host: str, port: int, timeout: float, cancel: threading.Event | None = None) -> socket.socket:
    """A blocking TCP connection (each address tried until the deadline), or OSError/Cancelled."""
    deadline = time.monotonic() + timeout
    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
                if not _wait(sock, deadline, cancel, write=True):
                    raise TimeoutError("timed out")
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        sock.setblocking(True)  # reads wait in select() against the deadline
        seconds = max(timeout, 0.001)
        tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


def _flush(conn: SSL.Connection, sock: socket.socket) -> None:
    """Send whatever OpenSSL has written into the memory BIO."""
    while True:
        try:
            data = conn.bio_read(65536)
        except SSL.WantReadError:
            return
        sock.sendall(data)


def _feed(conn: SSL.Connection, sock: socket.socket, deadline: float,
          cancel: threading.Event | None = None) -> None:
    """Wait (until the deadline) for bytes from the peer and hand them to OpenSSL."""
    if not _wait(sock, deadline, cancel):
        raise TimeoutError
    data = sock.recv(65536)
    if data:
        conn.bio_write(data)
    else:
        conn.bio_shutdown()  # the next OpenSSL call reports the unexpected EOF


def _drive(conn: SSL.Connection, sock: socket.socket, step, deadline: float, enough=None,
           cancel: threading.Event | None = None) -> None:
    """Run an OpenSSL step over the socket within the deadline, or until ``enough()``."""
    while True:
        try:
            step()
            return
        except SSL.WantReadError:
            if enough is not None and enough():
                return
            _flush(conn, sock)
            _feed(conn, sock, deadline, cancel)


def classify(exc: BaseException) -> tuple[Failure, str]:
    """Map an exception from connect or handshake to a Failure and a short text."""
    if isinstance(exc, Cancelled):
        return Failure.CANCELLED, "the scan was interrupted"
    if isinstance(exc, (SSL.WantReadError, SSL.WantWriteError, socket.timeout, TimeoutError)):
        return Failure.TIMEOUT, "no answer within the timeout"
    if isinstance(exc, SSL.SysCallError):
        return Failure.CLOSED, str(exc.args[1]) if len(exc.args) > 1 else "connection closed"
    if isinstance(exc, SSL.ZeroReturnError):
        return Failure.CLOSED, "connection closed during the handshake"
    if isinstance(exc, SSL.Error):
        reasons = [r[2] for r in exc.args[0] if isinstance(r, tuple) and len(r) == 3] if exc.args else []
        text = "; ".join(reasons) or str(exc)
        for needle, failure in _REASONS:
            if needle in text.lower():
                return failure, text
        return Failure.REJECTED, text
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return Failure.CLOSED, exc.strerror or str(exc)
    return Failure.UNREACHABLE, getattr(exc, "strerror", None) or str(exc)


def _after_handshake(conn: SSL.Connection, sock: socket.socket, deadline: float,
                     cancel: threading.Event | None) -> SSL.Error | None:
    """Take in what a TLS 1.3 server sends right after the handshake, without waiting for
    application data: its NewSessionTickets, or the alert with which it refuses the (empty)
    client certificate it asked for (a TLS 1.3 client finishes before the server judges it).
    Returns that alert's error, None if the server did not abort."""
    try:
        _feed(conn, sock, min(deadline, time.monotonic() + 0.5), cancel)
        conn.recv(1)
    except (SSL.WantReadError, SSL.ZeroReturnError, SSL.SysCallError, OSError):
        pass  # WantRead once the tickets are in; a timeout if none came
    except SSL.Error as exc:
        return exc
    return None


def _peer_chain(conn: SSL.Connection) -> list:
    try:
        return list(conn.get_peer_cert_chain(as_cryptography=True) or [])
    except Exception:  # noqa: BLE001 - a chain that cannot be converted is reported as none
        return []


def handshake(host: str, port: int, offer: Offer, timeout: float,
              resume: Attempt | None = None, cancel: threading.Event | None = None) -> Attempt:
    """Run one client handshake (resuming ``resume``'s session if given); never raises.

    A failed full handshake still reports the chain the server sent before it failed (a
    server that requires a client certificate sends its own first), and whether it asked for
    a client certificate.
    """
    if cancel is not None and cancel.is_set():
        return Attempt(False, Failure.CANCELLED, "the scan was interrupted")
    ctx = resume.context if resume and resume.context else _context(offer)
    if isinstance(ctx, str):
        return Attempt(False, Failure.LOCAL, ctx)
    try:
        sni = ascii_host(offer.sni, "server name").encode() if offer.sni else None
    except ValueError as exc:
        return Attempt(False, Failure.LOCAL, str(exc))
    try:
        sock = _connect(host, port, timeout, cancel)
    except Cancelled as exc:
        return Attempt(False, *classify(exc))
    except (OSError, ValueError) as exc:  # ValueError: a host name getaddrinfo cannot encode
        failure, text = classify(exc)
        return Attempt(False, Failure.TIMEOUT if failure is Failure.TIMEOUT else Failure.UNREACHABLE, text)
    conn = SSL.Connection(ctx, None)  # memory BIO: every wait is a select() with the deadline
    seen = _Seen()
    conn.set_app_data(seen)
    deadline = time.monotonic() + timeout
    try:
        conn.set_connect_state()
        if sni:
            conn.set_tlsext_host_name(sni)
        if resume is not None and resume.session is not None:
            conn.set_session(resume.session)
        if offer.hello_only:  # the suite is known once the ServerHello is in
            _drive(conn, sock, conn.do_handshake, deadline, lambda: conn.get_cipher_name() is not None,
                   cancel=cancel)
            return Attempt(True, cipher=conn.get_cipher_name())
        _drive(conn, sock, conn.do_handshake, deadline, cancel=cancel)
        _flush(conn, sock)
        if offer.read_tickets or (seen.cert_requested and offer.protocol >= Protocol.TLSV13):
            refused = _after_handshake(conn, sock, deadline, cancel)
            if refused is not None:
                raise refused
        return Attempt(True, cipher=conn.get_cipher_name(), chain=_peer_chain(conn),
                       verify_errors=seen.verify_errors, session=conn.get_session(),
                       reused=_ossl.session_reused(conn), context=ctx,
                       cert_requested=seen.cert_requested)
    except (SSL.Error, OSError, Cancelled) as exc:
        failure, text = classify(exc)
        return Attempt(False, failure, text, chain=[] if offer.hello_only else _peer_chain(conn),
                       verify_errors=seen.verify_errors, cert_requested=seen.cert_requested)
    finally:
        if not offer.hello_only:
            try:
                conn.shutdown()
                _flush(conn, sock)
            except (SSL.Error, OSError):
                pass
        sock.close()
