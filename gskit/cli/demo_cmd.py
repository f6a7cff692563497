"""``gskit demo``: a TLS echo over loopback through the GSKit API, and what was negotiated.

The server is the seed's asynchronous server (gsk_secure_soc_startInit, startRecv and
startSend on a Qso completion port, compat layer), asking for a client certificate; the
client is the Pythonic API.  Both use the development store (created under GSKIT_HOME on
first use) and its demo application IDs.  The audit records of both handshakes are shown.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from gskit.cli.usage import Parser

DEADLINE = 15          # seconds any step may take
MESSAGE = b"hello from the gskit demo"


class DemoError(Exception):
    """One sentence saying why the demo could not complete."""


class BadHost(DemoError):
    """``--host`` is not an address the demo can use: bad usage (exit 2)."""


_USE = "use 127.0.0.1, ::1 or localhost"  # what the development server certificate names


def check_host(host: str) -> None:
    """Refuse a --host the demo cannot use: it runs over loopback only, and the client checks
    the server's development certificate, issued for localhost, 127.0.0.1 and ::1."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.lower() == "localhost":
            return
        shown = repr(host if len(host) <= 40 else host[:32] + "...")
        raise BadHost(f"{shown} is not a loopback address; the demo runs over loopback only: "
                      f"{_USE}.") from None
    if address.is_unspecified:
        raise BadHost(f"{host} is the wildcard address (every interface), not a loopback address: {_USE}.")
    if not address.is_loopback:
        raise BadHost(f"{host} is not a loopback address; the demo runs over loopback only: {_USE}.")
    if address not in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")):
        raise BadHost(f"{host} is not an address the development certificate is issued for: {_USE}.")


@dataclass
class Result:
    store: str
    store_created: bool
    address: str
    protocol: str | None = None
    cipher: str | None = None
    server_certificate: str | None = None
    client_certificate: str | None = None
    sent: str = ""
    echoed: str = ""
    audit: list[dict[str, Any]] = field(default_factory=list)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gskit demo", description="A TLS echo over loopback through the GSKit API, and what was negotiated.")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--host", default="127.0.0.1",
                   help="loopback address to use: 127.0.0.1 (default), ::1 or localhost")
    return p


def _why_init_failed() -> str:
    """What the compat call's rc does not say (which file, why), from the same init through
    the Pythonic API: ": <detail>", or "" if that one succeeds."""
    import certstore
    import gskit

    try:
        with gskit.Environment(session_type=gskit.GSK_SERVER_SESSION_WITH_CL_AUTH,   # (as _open_environment)
                               application_id=certstore.DEMO_SERVER) as env:
            env.init()
    except gskit.GSKError as exc:
        return f": {exc.detail}" if exc.detail else ""
    return ""


class _Server:
    """The asynchronous GSKit echo server, on its own thread, for one client."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.error: str | None = None
        self.client_subject: str | None = None
        self.thread = threading.Thread(target=self._run, name="gskit-demo-server", daemon=True)

    def _check(self, what: str, rc: int, expected: int = 0) -> None:
        import gskit
        if rc != expected:
            raise DemoError(f"the server's {what} returned {rc} ({gskit.gsk_strerror(rc)})")

    def _wait(self, port: int, operation: int) -> Any:
        import gskit
        io = gskit.Qso_OverlappedIO_t()
        if gskit.QsoWaitForIOCompletion(port, io, DEADLINE) != 1:
            raise DemoError(f"the server waited {DEADLINE} s for a completion (errno {gskit.get_errno()})")
        self._check(f"asynchronous operation {io.operationCompleted}", io.returnValue)
        if io.operationCompleted != operation:
            raise DemoError(f"the server got completion {io.operationCompleted}, expected {operation}")
        return io

    def _open_environment(self) -> Any:
        import certstore
        import gskit as g
        rc, env = g.gsk_environment_open()
        self._check("gsk_environment_open", rc)
        settings: tuple[tuple[Callable[..., int], int, object], ...] = (
            (g.gsk_attribute_set_enum, g.GSK_SESSION_TYPE, g.GSK_SERVER_SESSION_WITH_CL_AUTH),
            (g.gsk_attribute_set_buffer, g.GSK_OS400_APPLICATION_ID, certstore.DEMO_SERVER))
        for setter, attribute, value in settings:
            self._check(f"setting of attribute {attribute}", setter(env, attribute, value))
        rc = g.gsk_environment_init(env)
        if rc != g.GSK_OK:
            raise DemoError(f"the server's gsk_environment_init returned {rc} ({g.gsk_strerror(rc)}){_why_init_failed()}")
        return env

    def _handshake(self, port: int, session: Any) -> None:
        import gskit as g
        start = g.gsk_secure_soc_startInit(session, port, g.Qso_OverlappedIO_t(descriptorHandle=session))
        self._check("gsk_secure_soc_startInit", start, g.GSK_OS400_ASYNCHRONOUS_SOC_INIT)
        self._wait(port, g.GSKSECURESOCSTARTINIT)
        _, elements = g.gsk_attribute_get_cert_info(session, g.GSK_PARTNER_CERT_INFO)
        subjects = [e.cert_data_p for e in elements or () if e.cert_data_id == g.CERT_DN_PRINTABLE]
        self.client_subject = subjects[0] if subjects else None

    def _echo(self, port: int, session: Any) -> None:
        import gskit as g
        buffer = bytearray(1024)
        recv = g.Qso_OverlappedIO_t(descriptorHandle=session, buffer=buffer, bufferLength=len(buffer), postFlag=1)
        self._check("gsk_secure_soc_startRecv", g.gsk_secure_soc_startRecv(session, port, recv),
                    g.GSK_OS400_ASYNCHRONOUS_RECV)
        received = self._wait(port, g.GSKSECURESOCSTARTRECV).secureDataTransferSize
        send = g.Qso_OverlappedIO_t(descriptorHandle=session, buffer=buffer, bufferLength=received, postFlag=1)
        self._check("gsk_secure_soc_startSend", g.gsk_secure_soc_startSend(session, port, send),
                    g.GSK_OS400_ASYNCHRONOUS_SEND)
        self._wait(port, g.GSKSECURESOCSTARTSEND)

    def _run(self) -> None:
        import gskit as g
        port = g.QsoCreateIOCompletionPort()
        env = session = conn = None
        try:
            env = self._open_environment()
            self.listener.settimeout(DEADLINE)
            conn, _ = self.listener.accept()
            conn.settimeout(None)
            rc, session = g.gsk_secure_soc_open(env)
            self._check("gsk_secure_soc_open", rc)
            self._check("GSK_FD setting", g.gsk_attribute_set_numeric_value(session, g.GSK_FD, conn.fileno()))
            self._handshake(port, session)
            self._echo(port, session)
        except DemoError as exc:
            self.error = str(exc)
        except OSError as exc:
            self.error = f"the server's socket failed: {exc.strerror or exc}"
        finally:
            if session is not None:
                g.gsk_secure_soc_close(session)
            if env is not None:
                g.gsk_environment_close(env)
            if conn is not None:
                conn.close()
            g.QsoDestroyIOCompletionPort(port)


def _client(host: str, port: int, result: Result) -> None:
    import certstore
    import gskit
    with gskit.Environment(session_type="client", application_id=certstore.DEMO_CLIENT) as env, \
            socket.create_connection((host, port), timeout=DEADLINE) as sock:
        sock.settimeout(None)
        with env.open_session(fd=sock, server_name=host, handshake_timeout=DEADLINE,
                              read_timeout_ms=DEADLINE * 1000) as session:
            session.handshake()
            result.protocol, result.cipher = session.protocol, session.cipher
            peer = session.engine.peer_certificate()  # type: ignore[union-attr]
            result.server_certificate = peer.subject.rfc4514_string() if peer is not None else None
            session.sendall(MESSAGE)
            echoed = b""
            while len(echoed) < len(MESSAGE):
                chunk = session.recv(1024)
                if not chunk:
                    break
                echoed += chunk
            result.sent, result.echoed = MESSAGE.decode(), echoed.decode(errors="replace")


def run(host: str) -> Result:
    """Create the store if needed, run the echo, return what was negotiated (raises DemoError)."""
    import certstore
    from certstore.registry import Registry

    from gskit import audit
    from gskit.errors import GSKError

    check_host(host)  # before anything is created
    home = Registry(None).home
    try:
        created = not (home / "registry.toml").exists()
        certstore.ensure_dev_store()
    except OSError as exc:
        raise DemoError(f"could not create the development store in {home} ({exc.strerror or exc})") from None
    except certstore.KeystoreError as exc:
        raise DemoError(f"could not create the development store in {home}: {exc}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, 0), family=family)
    except OSError as exc:
        raise DemoError(f"could not listen on {host}: {exc.strerror or exc}") from None
    result = Result(store=str(home), store_created=created, address=f"{host}:{listener.getsockname()[1]}")
    server = _Server(listener)
    with listener, audit.capture() as records:
        server.thread.start()
        try:
            _client(host, listener.getsockname()[1], result)
        except GSKError as exc:
            server.thread.join(DEADLINE)
            raise DemoError(server.error or f"the client failed: {exc}") from None
        except OSError as exc:
            raise DemoError(f"the client could not connect to {result.address}: {exc.strerror or exc}") from None
        server.thread.join(DEADLINE)
    if server.thread.is_alive():
        raise DemoError(f"the server did not finish within {DEADLINE} s")
    if server.error:
        raise DemoError(server.error)
    if result.echoed != result.sent:
        raise DemoError(f"the echo came back as {result.echoed!r}, not {result.sent!r}")
    result.client_certificate = server.client_subject
    result.audit = list(records)
    return result


def _print(result: Result) -> None:
    from gskit import audit

    store = f"{result.store} ({'created now' if result.store_created else 'existing'})"
    rows = [
        ("store", store),
        ("echo", f"{result.address}: sent {len(result.sent)} bytes, got them back"),
        ("protocol", result.protocol),
        ("suite", result.cipher),
        ("server cert", result.server_certificate),
        ("client cert", result.client_certificate),
    ]
    print("gskit demo: TLS echo over loopback (async GSKit server on a completion port, Pythonic client)")
    for label, value in rows:
        print(f"  {label:<12} {value}")
    print("audit records:")
    for record in result.audit:
        print(f"  {audit.summary(record)}")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        result = run(args.host)
    except DemoError as exc:
        print(f"gskit demo: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, BadHost) else 1
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        _print(result)
    return 0
