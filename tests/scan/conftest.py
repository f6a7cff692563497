"""Real ``openssl s_server`` peers on loopback for the scanner tests."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import trustme

OPENSSL = shutil.which("openssl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: Path, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"s_server exited: {log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("s_server did not start listening")


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> dict[str, Path]:
    """An RSA and an ECDSA identity (from separate CAs), and each CA's PEM."""
    folder = tmp_path_factory.mktemp("certs")
    out = {}
    for kind, key_type in (("rsa", trustme.KeyType.RSA), ("ecdsa", trustme.KeyType.ECDSA)):
        ca = trustme.CA(key_type=key_type)
        leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=key_type)
        other = ca.issue_cert("other.test", key_type=key_type)
        out[kind] = folder / f"{kind}.pem"
        out[f"{kind}-other"] = folder / f"{kind}-other.pem"
        out[f"{kind}-ca"] = folder / f"{kind}-ca.pem"
        leaf.private_key_and_cert_chain_pem.write_to_path(str(out[kind]))
        other.private_key_and_cert_chain_pem.write_to_path(str(out[f"{kind}-other"]))
        ca.cert_pem.write_to_path(str(out[f"{kind}-ca"]))
    return out


@pytest.fixture
def s_server(certs, tmp_path):
    """Start ``openssl s_server`` with extra arguments; returns its port; killed on teardown."""
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    procs: list[subprocess.Popen] = []

    def start(*args: str, cert: str = "rsa") -> int:
        port = free_port()
        cmd = [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(certs[cert]),
               "-key", str(certs[cert]), "-quiet", "-naccept", "1000", *args]
        log = tmp_path / f"s_server-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_listening(port, proc, log)
        return port

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=5)
