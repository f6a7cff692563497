"""Every example pair end to end: the server in a subprocess on a free port, the client against it."""
from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEADLINE = 30.0
MESSAGE = "ping from the tests 1 2 3"


class Program:
    """An example running in a subprocess; its output is collected by reader threads; killed on teardown."""

    def __init__(self, name: str, *args: str, stdin: str | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=EXAMPLES)
        self.out: list[str] = []
        self.err: list[str] = []
        self.listening = threading.Event()
        self.readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()
        assert self.proc.stdin is not None
        if stdin is not None:
            self.proc.stdin.write(stdin)
        self.proc.stdin.close()

    def _read(self, stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)
            if line.startswith("Listening on "):
                self.listening.set()
        self.listening.set()                     # ended without listening: port() reports it

    def port(self) -> int:
        """The port of the "Listening on ... port N." line."""
        self.listening.wait(DEADLINE)
        for line in self.out:
            match = re.match(r"Listening on \S+ port (\d+)\.", line)
            if match:
                return int(match.group(1))
        raise AssertionError(f"the server did not start: {''.join(self.out + self.err)}")

    def finish(self) -> tuple[int, str, str]:
        """Exit status, all of stdout, all of stderr (killed after the deadline)."""
        try:
            self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for reader in self.readers:
            reader.join(DEADLINE)
        return self.proc.returncode, "".join(self.out), "".join(self.err)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for reader in self.readers:
            reader.join(DEADLINE)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()  # type: ignore[union-attr]


@pytest.fixture
def run() -> Iterator[Callable[..., Program]]:
    import certstore

    certstore.ensure_dev_store()        # once, before server and client race to create it
    programs: list[Program] = []

    def start(name: str, *args: str, stdin: str | None = None) -> Program:
        program = Program(name, *args, stdin=stdin)
        programs.append(program)
        return program

    yield start
    for program in programs:
        program.stop()


def exchange(run: Callable[..., Program], server: str, client: str, *server_args: str,
             message: str = MESSAGE) -> tuple[str, str]:
    """Run one server/client pair; both must exit 0.  Returns (server output, client output)."""
    srv = run(server, "--port", "0", *server_args)
    port = srv.port()
    code, client_out, client_err = run(client, "--port", str(port), "--message", message).finish()
    assert code == 0, client_out + client_err
    code, server_out, server_err = srv.finish()
    assert code == 0, server_out + server_err
    assert client_err == "" and server_err == ""
    return server_out, client_out


def sent_and_received(client_out: str) -> tuple[int, int, list[str]]:
    """The byte counts and the texts of an exchange, from either form of the GSKit client."""
    counts = re.findall(r"(?:wrote|received|Sent|Received) (\d+) bytes", client_out)
    assert len(counts) == 2, client_out
    return int(counts[0]), int(counts[1]), [line for line in client_out.splitlines() if line == MESSAGE]


GSK_LINES_COMPAT_CLIENT = [
    f"gsk_secure_soc_write() wrote {len(MESSAGE)} bytes...", MESSAGE,
    f"gsk_secure_soc_read() received {len(MESSAGE)} bytes, here they are ...", MESSAGE,
]


def test_async_recv_server_and_client_print_what_the_c_programs_print(run: Callable[..., Program]) -> None:
    server_out, client_out = exchange(run, "gsk_server_async_recv", "gsk_client")
    assert client_out.splitlines() == GSK_LINES_COMPAT_CLIENT
    assert server_out.splitlines()[1:] == [
        f"gsk_secure_soc_startRecv() received {len(MESSAGE)} bytes, here they are:", MESSAGE,
        f"gsk_secure_soc_write() wrote {len(MESSAGE)} bytes...", MESSAGE,
        "Success.",
    ]


def in_order(lines: list[str], expected: list[str]) -> bool:
    """``expected`` appears in ``lines`` in this order (other lines may come between)."""
    remaining = iter(lines)
    return all(any(line == wanted for line in remaining) for wanted in expected)


def test_async_init_server_and_client_print_what_the_c_programs_print(run: Callable[..., Program]) -> None:
    server_out, client_out = exchange(run, "gsk_server_async_init", "gsk_client", "--worker-delay", "0")
    assert client_out.splitlines() == GSK_LINES_COMPAT_CLIENT
    lines = server_out.splitlines()
    listening = next(line for line in lines if line.startswith("Listening on 127.0.0.1 port "))
    main_thread = ["gsk_environment_open()", "gsk_environment_init()", "socket()", "bind()", "listen()",
                   listening, "accept()", "gsk_secure_soc_open()", "gsk_secure_soc_startInit()",
                   "gsk_secure_soc_startInit got GSK_OS400_ASYNCHRONOUS_SOC_INIT", "Success."]
    worker = ["QsoWaitForIOCompletion()", "gsk_attribute_get_numeric_value()", "gsk_secure_soc_read()",
              f"gsk_secure_soc_read() received {len(MESSAGE)} bytes, here they are ...", MESSAGE,
              "gsk_secure_soc_write()", f"gsk_secure_soc_write() wrote {len(MESSAGE)} bytes...", MESSAGE]
    assert sorted(lines) == sorted(main_thread + worker)
    assert in_order(lines, main_thread) and in_order(lines, worker)
    assert lines.index("gsk_secure_soc_startInit()") < lines.index("gsk_attribute_get_numeric_value()")


@pytest.mark.parametrize("server", ["gsk_server_async_recv", "gsk_server_async_init"])
@pytest.mark.parametrize("client", ["gsk_client", "gsk_client_pythonic"])
def test_line_by_line_and_pythonic_forms_make_the_same_exchange(run: Callable[..., Program], server: str,
                                                                 client: str) -> None:
    extra = ("--worker-delay", "0") if server.endswith("init") else ()
    _, port_out = exchange(run, server, client, *extra)
    _, pythonic_out = exchange(run, f"{server}_pythonic", client)
    assert sent_and_received(port_out) == sent_and_received(pythonic_out) == (len(MESSAGE), len(MESSAGE),
                                                                               [MESSAGE, MESSAGE])


def test_pythonic_client_reports_the_negotiated_protocol_and_suite(run: Callable[..., Program]) -> None:
    server_out, client_out = exchange(run, "gsk_server_async_recv_pythonic", "gsk_client_pythonic")
    assert f"Received {len(MESSAGE)} bytes (TLSv1.3, TLS_AES_128_GCM_SHA256):" in client_out.splitlines()
    assert server_out.splitlines()[1:] == [
        "Handshake done: TLSv1.3 TLS_AES_128_GCM_SHA256", f"Received {len(MESSAGE)} bytes:", MESSAGE,
        f"Echoed {len(MESSAGE)} bytes.", "Success.",
    ]


@pytest.mark.parametrize("server", ["async_io_server", "async_io_server_pythonic"])
@pytest.mark.parametrize("client", ["generic_client", "generic_client_pythonic"])
def test_asynchronous_io_echo_and_generic_client(run: Callable[..., Program], server: str, client: str) -> None:
    server_out, client_out = exchange(run, server, client)
    assert server_out.splitlines()[1:] == ["Waiting for client connection.", "Success."]
    lines = client_out.splitlines()
    assert lines[-3:] == [f"{len(MESSAGE) + 1} bytes sent", f"{len(MESSAGE) + 1} bytes received", MESSAGE]


def test_generic_client_reads_the_message_from_stdin_like_gets(run: Callable[..., Program]) -> None:
    srv = run("async_io_server", "--port", "0")
    port = srv.port()
    code, out, err = run("generic_client", "--port", str(port), stdin="typed by hand\n").finish()
    assert (code, err) == (0, "")
    assert out.splitlines() == ["Connect completed.", "Enter message to be sent:", "14 bytes sent",
                                "14 bytes received", "typed by hand"]
    assert srv.finish()[0] == 0


def test_gsk_client_prints_rc_and_meaning_when_the_server_is_not_trusted(run: Callable[..., Program],
                                                                          openssl_server, pki) -> None:
    peer = openssl_server("-cert", str(pki.self_signed), "-tls1_2")
    code, out, err = run("gsk_client", "--port", str(peer.port), "--message", MESSAGE).finish()
    assert code == 1
    assert out.splitlines() == [    # GSK_ERROR_SELF_SIGNED
        "gsk_secure_soc_init() failed with rc = 417 and errno = 0.",
        "rc of 417 means The certificate is self-signed and not trusted.",
    ]


def test_pool_server_serves_concurrent_clients_on_one_completion_port(run: Callable[..., Program]) -> None:
    clients = 5
    srv = run("gsk_server_pool", "--port", "0", "--clients", str(clients), "--workers", "3")
    port = srv.port()
    ctx = ssl.create_default_context(cafile=os.path.join(os.environ["GSKIT_HOME"], "dev-ca.pem"))
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as raw, \
                    ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                for i in range(3):
                    message = f"client {n} round {i} ".encode() * 100
                    tls.sendall(message)
                    echoed = b""
                    while len(echoed) < len(message):
                        chunk = tls.recv(65536)
                        assert chunk, "server closed early"
                        echoed += chunk
                    assert echoed == message
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert not errors and not any(t.is_alive() for t in threads)
    code, out, err = srv.finish()
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1] == "Served 5 clients with 3 workers."
    for n in range(1, clients + 1):
        assert f"client {n}: secure session TLSV13 TLS_AES_128_GCM_SHA256" in lines
        closed = [line for line in lines if line.startswith(f"client {n}: closed by the client; echoed ")]
        assert len(closed) == 1
    assert sorted(int(line.rsplit(" ", 2)[1]) for line in lines if "echoed" in line) == sorted(
        sum(len(f"client {n} round {i} ".encode() * 100) for i in range(3)) for n in range(clients))


def test_seed_gsk_client_against_openssl_s_server(run: Callable[..., Program], openssl_server, pki) -> None:
    """The line-by-line port of the guide's GSKit client against a real OpenSSL server."""
    peer = openssl_server("-cert", str(pki.server_ec), "-rev", "-naccept", "1")
    code, out, err = run("gsk_client", "--port", str(peer.port), "--keyring-file", str(pki.ca_pem),
                         "--message", "seed client to s_server\n").finish()
    assert code == 0, out + err
    assert f"gsk_secure_soc_write() wrote {len('seed client to s_server') + 1} bytes..." in out
    assert "revres_s ot tneilc dees" in out


@pytest.mark.parametrize("server", ["gsk_server_async_recv", "gsk_server_async_init"])
def test_seed_gsk_servers_against_openssl_s_client(run: Callable[..., Program], pki, server: str) -> None:
    """The guide's asynchronous GSKit servers (compat ports) against ``openssl s_client``."""
    srv = run(server, "--port", "0", "--keyring-file", str(pki.server_ec), "--worker-delay", "0") \
        if server.endswith("init") else run(server, "--port", "0", "--keyring-file", str(pki.server_ec))
    port = srv.port()
    client = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(pki.ca_pem),
         "-verify_return_error", "-servername", "localhost", "-ign_eof"],
        input=MESSAGE + "\n", capture_output=True, text=True, timeout=DEADLINE)
    code, server_out, server_err = srv.finish()
    assert code == 0, server_out + server_err
    assert MESSAGE in server_out                    # the server printed what it received
    assert client.stdout.count(MESSAGE) >= 1        # and echoed it to s_client
    assert "Verify return code: 0 (ok)" in client.stdout
