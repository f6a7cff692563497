"""One TLS handshake against the target, as a client, with a deadline; never raises.

pyOpenSSL runs on a memory BIO and this module moves the bytes: every wait for the peer is a
``select()`` against one deadline per handshake, so a server that is silent or trickles bytes
cannot hold a probe longer than the timeout (``settimeout`` is not used: it would make the
socket non-blocking underneath).
"""
from __future__ import annotations

import select
import socket
import struct
import time
from dataclasses import dataclass, field
from enum import Enum
from OpenSSL import SSL

from gskit.attributes.protocols import Protocol
from gskit.scan import _ossl



class Failure(Enum):
    """Why a handshake did not complete."""

    REJECTED = "the server refused (TLS alert)"
    UNREACHABLE = "cannot connect"
    TIMEOUT = "timed out"
    CLOSED = "the server closed the connection"
    NOT_TLS = "the server does not speak TLS"
    LOCAL = "the local OpenSSL cannot offer this"


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


def _context(offer: Offer, verify_errors: list[tuple[int, int]]) -> SSL.Context | str:
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
        ctx.load_verify_locations(offer.ca_file)

    def record(conn, cert, errnum, depth, ok):  # accept everything, remember what failed
        if not ok:
            verify_errors.append((errnum, depth))
        return True

    ctx.set_verify(SSL.VERIFY_PEER if offer.ca_file else SSL.VERIFY_NONE, record)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_CLIENT)
    return ctx


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(None)  # blocking again; reads wait in select() against the deadline
    seconds = max(timeout, 0.001)
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _flush(conn: SSL.Connection, sock: socket.socket) -> None:
    """Send whatever OpenSSL has written into the memory BIO."""
    while True:
        try:
            data = conn.bio_read(65536)
        except SSL.WantReadError:
            return
        sock.sendall(data)


def _feed(conn: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    """Wait (until the deadline) for bytes from the peer and hand them to OpenSSL."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
        raise TimeoutError
    data = sock.recv(65536)
    if data:
        conn.bio_write(data)
    else:
        conn.bio_shutdown()  # the next OpenSSL call reports the unexpected EOF


def _drive(conn: SSL.Connection, sock: socket.socket, step, deadline: float, enough=None) -> None:
    """Run an OpenSSL step over the socket within the deadline, or until ``enough()``."""
    while True:
        try:
            step()
            return
        except SSL.WantReadError:
            if enough is not None and enough():
                return
            _flush(conn, sock)
            _feed(conn, sock, deadline)


def classify(exc: BaseException) -> tuple[Failure, str]:
    """Map an exception from connect or handshake to a Failure and a short text."""
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


def _read_tickets(conn: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    """Take in TLS 1.3 NewSessionTicket messages without waiting for application data."""
    try:
        _feed(conn, sock, min(deadline, time.monotonic() + 0.5))
        conn.recv(1)
    except (SSL.Error, OSError):  # WantRead once the tickets are in; a timeout if none came
        pass


def handshake(host: str, port: int, offer: Offer, timeout: float,
              resume: Attempt | None = None) -> Attempt:
    """Run one client handshake (resuming ``resume``'s session if given); never raises."""
    verify_errors: list[tuple[int, int]] = []
    ctx = resume.context if resume and resume.context else _context(offer, verify_errors)
    if isinstance(ctx, str):
        return Attempt(False, Failure.LOCAL, ctx)
    try:
        sock = _connect(host, port, timeout)
    except OSError as exc:
        failure, text = classify(exc)
        return Attempt(False, Failure.TIMEOUT if failure is Failure.TIMEOUT else Failure.UNREACHABLE, text)
    conn = SSL.Connection(ctx, None)  # memory BIO: every wait is a select() with the deadline
    deadline = time.monotonic() + timeout
    try:
        conn.set_connect_state()
        if offer.sni:
            conn.set_tlsext_host_name(offer.sni.encode("idna"))
        if resume is not None and resume.session is not None:
            conn.set_session(resume.session)
        if offer.hello_only:  # the suite is known once the ServerHello is in
            _drive(conn, sock, conn.do_handshake, deadline, lambda: conn.get_cipher_name() is not None)
            return Attempt(True, cipher=conn.get_cipher_name())
        _drive(conn, sock, conn.do_handshake, deadline)
        _flush(conn, sock)
        if offer.read_tickets:
            _read_tickets(conn, sock, deadline)
        return Attempt(True, cipher=conn.get_cipher_name(),
                       chain=list(conn.get_peer_cert_chain(as_cryptography=True) or []),
                       verify_errors=verify_errors, session=conn.get_session(),
                       reused=_ossl.session_reused(conn), context=ctx)
    except (SSL.Error, OSError) as exc:
        failure, text = classify(exc)
        return Attempt(False, failure, text)
    finally:
        if not offer.hello_only:
            try:
                conn.shutdown()
                _flush(conn, sock)
            except (SSL.Error, OSError):
                pass
        sock.close()
