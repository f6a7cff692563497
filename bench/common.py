"""Shared pieces of the engine benchmarks (handshake.py, bulk.py, memory.py).

Three implementations do the same work over the same certificate files, each behind the
same small ``Channel`` shape, one server thread and one client thread in one process:

* ``gskit``     - the compat layer: gsk_secure_soc_open/init/read/write/close;
* ``pyopenssl`` - raw pyOpenSSL on blocking sockets, ``SSL.Connection(ctx, sock)``, on the
                  same (bundled) OpenSSL build as gskit: the like-for-like baseline;
* ``ssl``       - Python's ``ssl`` module (the system OpenSSL): context only;
* ``gskit-server``, ``gskit-client`` - gskit on one end, raw pyOpenSSL on the other (only
                  on request: ``handshake.py --only pyopenssl,gskit-server,gskit-client``).

Equal work: the same suites (TLS 1.3 AES-128-GCM; TLS 1.2 ECDHE AES-128-GCM), the same key
exchange groups as gskit pins, chain verification on the client, no hostname check (the
compat layer follows IBM and does not check), no resumption (gskit's client session cache
is switched off), TCP_NODELAY on every socket.
"""
from __future__ import annotations

import atexit
import gc
import os
import shutil
import socket
import ssl
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import trustme
from OpenSSL import SSL
from OpenSSL._util import lib as _lib

from gskit import constants as c
from gskit.compat import gsk

GROUPS = b"X25519:P-256:P-384:P-521"        # what gskit.engine.context pins
TLS13_SUITE = "TLS_AES_128_GCM_SHA256"
TLS12_SUITES_IANA = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
TLS12_SUITES_OPENSSL = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
IMPLEMENTATIONS = ("gskit", "pyopenssl", "ssl")
KEY_TYPES = {"ecdsa": trustme.KeyType.ECDSA, "rsa": trustme.KeyType.RSA}


@dataclass(frozen=True)
class Certs:
    """A CA file and a server PEM file (key + chain) on disk, shared by every implementation."""

    folder: str
    key_type: str

    @property
    def ca(self) -> str:
        return os.path.join(self.folder, "ca.pem")

    @property
    def server(self) -> str:
        return os.path.join(self.folder, "server.pem")


def make_certs(key_type: str, folder: str | None = None) -> Certs:
    """trustme CA + server certificate for 127.0.0.1 (ECDSA P-256 or RSA-2048); a folder made
    here (the server's private key is in it) is removed when the process exits."""
    if folder is None:
        folder = tempfile.mkdtemp(prefix=f"gskit-bench-{key_type}-")
        atexit.register(shutil.rmtree, folder, True)
    ca = trustme.CA(key_type=KEY_TYPES[key_type])
    leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=KEY_TYPES[key_type])
    ca.cert_pem.write_to_path(os.path.join(folder, "ca.pem"))
    leaf.private_key_and_cert_chain_pem.write_to_path(os.path.join(folder, "server.pem"))
    return Certs(folder, key_type)


# -- sockets ----------------------------------------------------------------------------------
def listener() -> socket.socket:
    """A loopback listening socket; TCP_NODELAY is inherited by accepted sockets on Linux."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def connect(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.connect(("127.0.0.1", port))
    return sock


def accept(lsock: socket.socket) -> socket.socket:
    conn, _ = lsock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


# -- one interface over the three implementations ---------------------------------------------
class Channel(Protocol):
    def read_into(self, buffer: bytearray) -> int: ...
    def write(self, data: bytes | memoryview) -> None: ...
    def close(self) -> None: ...
    def describe(self) -> str: ...


class Implementation(Protocol):
    name: str

    def server(self, sock: socket.socket) -> Channel: ...
    def client(self, sock: socket.socket) -> Channel: ...


def _ok(code: int, what: str) -> None:
    if code != 0:
        raise RuntimeError(f"{what} returned {code}")


class GskChannel:
    def __init__(self, handle: object, sock: socket.socket) -> None:
        self.handle, self.sock = handle, sock

    def read_into(self, buffer: bytearray) -> int:
        code, count = gsk.gsk_secure_soc_read(self.handle, buffer)
        _ok(code, "gsk_secure_soc_read")
        return count

    def write(self, data: bytes | memoryview) -> None:
        code, _ = gsk.gsk_secure_soc_write(self.handle, data)
        _ok(code, "gsk_secure_soc_write")

    def close(self) -> None:
        gsk.gsk_secure_soc_close(self.handle)
        self.sock.close()

    def describe(self) -> str:
        _, suite = gsk.gsk_attribute_get_buffer(self.handle, c.GSK_CONNECT_CIPHER_SPEC_EX)
        _, first = gsk.gsk_attribute_get_enum(self.handle, c.GSK_SID_FIRST)
        return f"{suite} {'full' if first == c.GSK_SID_IS_FIRST else 'RESUMED'}"


class Gskit:
    """gskit through the compat layer, one environment per role."""

    name = "gskit"

    def __init__(self, certs: Certs, version: str) -> None:
        self.server_env = self._env(version, server=True, keyring=certs.server)
        self.client_env = self._env(version, server=False, keyring=certs.ca)

    @staticmethod
    def _env(version: str, *, server: bool, keyring: str) -> object:
        code, env = gsk.gsk_environment_open()
        _ok(code, "gsk_environment_open")
        settings: list[tuple[Callable[..., int], int, object]] = [
            (gsk.gsk_attribute_set_enum, c.GSK_SESSION_TYPE,
             c.GSK_SERVER_SESSION if server else c.GSK_CLIENT_SESSION),
            (gsk.gsk_attribute_set_buffer, c.GSK_KEYRING_FILE, keyring),
            (gsk.gsk_attribute_set_buffer, c.GSK_TLSV13_CIPHER_SPECS_EX, TLS13_SUITE),
            (gsk.gsk_attribute_set_buffer, c.GSK_TLSV12_CIPHER_SPECS_EX, TLS12_SUITES_IANA),
            (gsk.gsk_attribute_set_enum, c.GSK_PROTOCOL_TLSV13, c.GSK_TRUE if version == "1.3" else c.GSK_FALSE),
            (gsk.gsk_attribute_set_enum, c.GSK_PROTOCOL_TLSV12, c.GSK_TRUE),
        ]
        if not server:      # every handshake must be a full one
            settings.append((gsk.gsk_attribute_set_numeric_value, c.GSK_V3_SIDCACHE_SIZE, 0))
        for setter, attr, value in settings:
            _ok(setter(env, attr, value), f"set {attr}")
        _ok(gsk.gsk_environment_init(env), "gsk_environment_init")
        return env

    def _open(self, env: object, sock: socket.socket) -> Channel:
        code, handle = gsk.gsk_secure_soc_open(env)
        _ok(code, "gsk_secure_soc_open")
        _ok(gsk.gsk_attribute_set_numeric_value(handle, c.GSK_FD, sock.fileno()), "set GSK_FD")
        code = gsk.gsk_secure_soc_init(handle)
        if code != 0:
            gsk.gsk_secure_soc_close(handle)
            _ok(code, "gsk_secure_soc_init")
        return GskChannel(handle, sock)

    def server(self, sock: socket.socket) -> Channel:
        return self._open(self.server_env, sock)

    def client(self, sock: socket.socket) -> Channel:
        return self._open(self.client_env, sock)


def shutdown_quietly(conn: SSL.Connection) -> None:
    """Send close_notify; a peer already gone is no failure here."""
    try:
        conn.shutdown()
    except SSL.Error:
        pass


class PyOpenSSLChannel:
    def __init__(self, conn: SSL.Connection, sock: socket.socket) -> None:
        self.conn, self.sock = conn, sock

    def read_into(self, buffer: bytearray) -> int:
        try:
            return self.conn.recv_into(buffer)
        except SSL.ZeroReturnError:
            return 0

    def write(self, data: bytes | memoryview) -> None:
        self.conn.sendall(data)

    def close(self) -> None:
        shutdown_quietly(self.conn)
        self.sock.close()

    def describe(self) -> str:
        reused = _lib.SSL_session_reused(self.conn._ssl)  # noqa: SLF001
        return f"{self.conn.get_cipher_name()} {'RESUMED' if reused else 'full'}"


class PyOpenSSL:
    """Raw pyOpenSSL, blocking sockets, the bundled OpenSSL (the like-for-like baseline)."""

    name = "pyopenssl"

    def __init__(self, certs: Certs, version: str) -> None:
        self.server_ctx = self._ctx(version)
        self.server_ctx.use_certificate_chain_file(certs.server)
        self.server_ctx.use_privatekey_file(certs.server)
        self.server_ctx.set_session_id(b"bench")
        self.client_ctx = self._ctx(version)
        self.client_ctx.load_verify_locations(certs.ca)
        self.client_ctx.set_verify(SSL.VERIFY_PEER)

    @staticmethod
    def _ctx(version: str) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_3_VERSION if version == "1.3" else SSL.TLS1_2_VERSION)
        ctx.set_options(SSL.OP_NO_COMPRESSION)
        ctx.set_cipher_list(TLS12_SUITES_OPENSSL.encode())
        ctx.set_tls13_ciphersuites(TLS13_SUITE.encode())
        if _lib.SSL_CTX_set1_curves_list(ctx._context, GROUPS) != 1:  # noqa: SLF001
            raise RuntimeError("groups refused")
        return ctx

    def _open(self, ctx: SSL.Context, sock: socket.socket, server: bool) -> Channel:
        conn = SSL.Connection(ctx, sock)
        conn.set_accept_state() if server else conn.set_connect_state()
        conn.do_handshake()
        return PyOpenSSLChannel(conn, sock)

    def server(self, sock: socket.socket) -> Channel:
        return self._open(self.server_ctx, sock, True)

    def client(self, sock: socket.socket) -> Channel:
        return self._open(self.client_ctx, sock, False)


class SslChannel:
    def __init__(self, conn: ssl.SSLSocket) -> None:
        self.conn = conn

    def read_into(self, buffer: bytearray) -> int:
        return self.conn.recv_into(buffer)

    def write(self, data: bytes | memoryview) -> None:
        self.conn.sendall(data)

    def close(self) -> None:
        self.conn.close()

    def describe(self) -> str:
        cipher = self.conn.cipher()
        return f"{cipher[0] if cipher else None} {'RESUMED' if self.conn.session_reused else 'full'}"


class PythonSsl:
    """Python's ``ssl`` (system OpenSSL 3.0); it cannot restrict TLS 1.3 suites."""

    name = "ssl"

    def __init__(self, certs: Certs, version: str) -> None:
        top = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(certs.server)
        self.client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_ctx.check_hostname = False
        self.client_ctx.load_verify_locations(certs.ca)
        for ctx in (self.server_ctx, self.client_ctx):
            ctx.maximum_version = top
            ctx.set_ciphers(TLS12_SUITES_OPENSSL)

    def server(self, sock: socket.socket) -> Channel:
        return SslChannel(self.server_ctx.wrap_socket(sock, server_side=True))

    def client(self, sock: socket.socket) -> Channel:
        return SslChannel(self.client_ctx.wrap_socket(sock))


class Mixed:
    """gskit on one end and raw pyOpenSSL on the other: which end costs what."""

    def __init__(self, name: str, server: Implementation, client: Implementation) -> None:
        self.name, self.server, self.client = name, server.server, client.client


def gskit_server(certs: Certs, version: str) -> Mixed:
    return Mixed("gskit-server", Gskit(certs, version), PyOpenSSL(certs, version))


def gskit_client(certs: Certs, version: str) -> Mixed:
    return Mixed("gskit-client", PyOpenSSL(certs, version), Gskit(certs, version))


FACTORIES: dict[str, Callable[[Certs, str], Implementation]] = {
    "gskit": Gskit, "pyopenssl": PyOpenSSL, "ssl": PythonSsl,
    "gskit-server": gskit_server, "gskit-client": gskit_client,
}


# -- measuring --------------------------------------------------------------------------------
def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle() -> None:
    gc.collect()
    time.sleep(0.05)


def summary(values: list[float]) -> str:
    digits = 1 if statistics.median(values) < 100 else 0
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def ratio_cell(values: list[float], base: list[float]) -> str:
    """The median of the per-round ratios, with their quartiles when there are enough rounds:
    each round ran both side by side, so load drifting between rounds cancels out, and
    the quartiles show how far one round's pairing may stray."""
    ratios = [v / b for v, b in zip(values, base)]
    median = f"{statistics.median(ratios):.3f}x"
    if len(ratios) < 4:
        return median
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"{median} ({low:.2f}-{high:.2f})"


def print_table(title: str, unit: str, rows: dict[str, dict[str, list[float]]]) -> None:
    """rows: configuration -> implementation -> per-round figures (in round order).

    The ratio columns give the median of the per-round ratios to pyOpenSSL and, from four
    rounds, their quartiles (n/a when pyOpenSSL did not run).
    """
    names = list(next(iter(rows.values())).keys())
    print(f"\n{title} ({unit}; median (min-max) of the rounds; ratio: median (quartiles) of per-round ratios)")
    ratio_names = [f"{n}/pyopenssl" for n in names if n != "pyopenssl"]
    print("| configuration | " + " | ".join(names + ratio_names) + " |")
    print("|---" * (1 + len(names) + len(ratio_names)) + "|")
    for config, per_impl in rows.items():
        cells = [summary(per_impl[n]) for n in names]
        base = per_impl.get("pyopenssl")
        ratios = [ratio_cell(per_impl[n], base) if base else "n/a" for n in names if n != "pyopenssl"]
        print(f"| {config} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


def cpu_time() -> float:
    """CPU seconds of this process (all threads, user + system): steadier than the wall
    clock on a shared machine."""
    return time.process_time()
