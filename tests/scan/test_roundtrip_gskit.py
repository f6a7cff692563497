"""Round trip: GSKit settings -> ``gskit ciphers`` -> a server on gskit's own GSKit layer -> ``gskit scan``."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading

import pytest
import trustme

gsk = pytest.importorskip("gskit.compat.gsk")
from gskit import constants as c  # noqa: E402

SETTINGS = {  # attribute -> (CLI option, value)
    c.GSK_TLSV11_CIPHER_SPECS: ("--tlsv11-specs", "35"),
    c.GSK_TLSV12_CIPHER_SPECS_EX: ("--tlsv12-specs-ex", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
                                   "TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    c.GSK_TLSV13_CIPHER_SPECS_EX: ("--tlsv13-specs-ex", "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256"),
}
SWITCHES = {c.GSK_PROTOCOL_TLSV10: c.GSK_FALSE, c.GSK_PROTOCOL_TLSV11: c.GSK_TRUE,
            c.GSK_PROTOCOL_TLSV12: c.GSK_TRUE, c.GSK_PROTOCOL_TLSV13: c.GSK_TRUE}


def gskit_cli(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "gskit", *args], capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def gskit_server(tmp_path):
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    keyring = tmp_path / "server.pem"
    ca.issue_cert("localhost", key_type=trustme.KeyType.RSA).private_key_and_cert_chain_pem.write_to_path(str(keyring))
    code, env = gsk.gsk_environment_open()
    assert code == 0
    assert gsk.gsk_attribute_set_buffer(env, c.GSK_KEYRING_FILE, str(keyring)) == 0
    assert gsk.gsk_attribute_set_enum(env, c.GSK_SESSION_TYPE, c.GSK_SERVER_SESSION) == 0
    for attribute, (_, value) in SETTINGS.items():
        assert gsk.gsk_attribute_set_buffer(env, attribute, value) == 0
    for attribute, value in SWITCHES.items():
        assert gsk.gsk_attribute_set_enum(env, attribute, value) == 0
    assert gsk.gsk_environment_init(env) == 0
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            _, session = gsk.gsk_secure_soc_open(env)
            gsk.gsk_attribute_set_numeric_value(session, c.GSK_FD, conn.fileno())
            gsk.gsk_secure_soc_init(session)
            gsk.gsk_secure_soc_close(session)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
    listener.close()
    thread.join(timeout=10)
    gsk.gsk_environment_close(env)


def test_settings_ciphers_server_scan(gskit_server):
    options = [arg for option, value in SETTINGS.values() for arg in (option, value)]
    explained = gskit_cli("ciphers", *options, "--protocols", "TLSv1.1,TLSv1.2,TLSv1.3", "--json")
    expected = {p["protocol"]: p["suites"] for p in explained["protocols"]}
    scanned = gskit_cli("scan", f"127.0.0.1:{gskit_server}", "--sni", "localhost", "--timeout", "3", "--json")
    got = {p["protocol"]: p for p in scanned["protocols"]}
    assert not got["TLSv1"]["supported"]
    for protocol, suites in expected.items():
        assert got[protocol]["supported"]
        assert [s["iana_name"] for s in got[protocol]["accepted"]] == [s["iana_name"] for s in suites]
        if len(suites) > 1:
            assert got[protocol]["server_order"] is True  # GSKit: the server's list order wins
