"""``gskit certstore`` in subprocesses: every command, exit codes, no tracebacks, no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from certstore import open_keystore, save_keystore

PASSWORD = "Cli-Secret-42"


def run(
    *args: str, cwd: Path, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PW": PASSWORD, **(env_extra or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "gskit", "certstore", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    return proc


def ok(*args: str, cwd: Path) -> str:
    proc = run(*args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fails(code: int, *args: str, cwd: Path, says: str = "") -> str:
    proc = run(*args, cwd=cwd)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert proc.stderr.strip() and says in proc.stderr
    return proc.stderr


def test_store_life_cycle(tmp_path):
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    assert (tmp_path / "a.sth").exists()
    ok("dev-ca", "--out", "dev", "--store", "a.kdb", cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "dev").iterdir()) == [
        "ca.pem",
        "client.pem",
        "server-ecdsa.pem",
        "server-rsa.pem",
    ]
    listing = json.loads(ok("list", "a.kdb", "--json", cwd=tmp_path))
    assert listing["verified"] and [e["label"] for e in listing["entries"]] == [
        "gskit-dev-ca",
        "gskit-dev-server-rsa",
        "gskit-dev-server-ecdsa",
        "gskit-dev-client",
    ]
    assert [e["key_type"] for e in listing["entries"]][1:3] == ["RSA 2048", "EC secp256r1"]
    text = ok("list", "a.kdb", cwd=tmp_path)
    assert "gskit-dev-server-ecdsa" in text and "EC secp256r1" in text

    ok(
        "export",
        "a.kdb",
        "srv.p12",
        "--label",
        "gskit-dev-server-rsa",
        "--out-password-env",
        "PW",
        cwd=tmp_path,
    )
    assert open_keystore(tmp_path / "srv.p12", PASSWORD).labels() == ["gskit-dev-server-rsa"]
    ok(
        "import",
        "a.kdb",
        "srv.p12",
        "--in-password-env",
        "PW",
        "--label",
        "web server",
        cwd=tmp_path,
    )
    assert "web server" in open_keystore(tmp_path / "a.kdb", PASSWORD).labels()
    ok("remove", "a.kdb", "--label", "web server", cwd=tmp_path)
    assert "web server" not in open_keystore(tmp_path / "a.kdb", PASSWORD).labels()

    (tmp_path / "pw.txt").write_text(PASSWORD + "\n")
    ok("convert", "a.kdb", "b.kdb", "--out-password-file", "pw.txt", "--stash", cwd=tmp_path)
    assert (
        open_keystore(tmp_path / "b.kdb", stash_file=tmp_path / "b.sth").labels()[0]
        == "gskit-dev-ca"
    )
    ok("convert", "a.kdb", "all.pem", "--no-key-password", cwd=tmp_path)
    assert len(open_keystore(tmp_path / "all.pem").entries) == 4
    ok("stash", "b.kdb", "--out", "again.sth", "--password-env", "PW", cwd=tmp_path)
    assert (tmp_path / "again.sth").read_bytes() == (tmp_path / "b.sth").read_bytes()


def test_application_ids(tmp_path, home):
    ok("dev-ca", "--system", cwd=tmp_path)
    apps = json.loads(ok("app", "list", "--json", cwd=tmp_path))
    assert {a["application_id"] for a in apps} == {"GSKIT_DEMO_SERVER", "GSKIT_DEMO_CLIENT"}
    register = (
        "app register ACME_SERVER --type server --label gskit-dev-server-rsa --sni acme.test"
        " --protocols tls1.3,TLSv1.2 --ciphers TLS_AES_256_GCM_SHA384 --client-auth required"
    )
    ok(*register.split(), "--description", "Acme web", cwd=tmp_path)
    shown = json.loads(ok("app", "show", "ACME_SERVER", "--json", cwd=tmp_path))
    assert shown["protocols"] == ["TLSv1.3", "TLSv1.2"] and shown["client_auth"] == "required"
    assert shown["store"] == "*SYSTEM" and shown["sni_names"] == ["acme.test"]
    assign = "app assign ACME_SERVER --label gskit-dev-server-ecdsa --label gskit-dev-server-rsa"
    ok(*assign.split(), "--ca", "gskit-dev-ca", cwd=tmp_path)
    shown = json.loads(ok("app", "show", "ACME_SERVER", "--json", cwd=tmp_path))
    assert shown["certificate_labels"] == ["gskit-dev-server-ecdsa", "gskit-dev-server-rsa"]
    assert "gskit-dev-server-ecdsa" in ok("list", "*SYSTEM", cwd=tmp_path)
    ok("app", "remove", "ACME_SERVER", cwd=tmp_path)
    fails(
        1, "app", "show", "ACME_SERVER", cwd=tmp_path, says="GSK_IBMI_ERROR_NOT_REGISTERED (6002)"
    )
    assert ok("home", cwd=tmp_path).strip() == str(home)


# (exit code, arguments, part of the sentence on stderr), all against the store a.kdb
BAD_INPUT = [
    (2, "import a.kdb random.kdb --in-password-env PW", "GSK_KEYRING_OPEN_ERROR (202)"),
    (2, "import a.kdb trunc.kdb --in-password-env PW", "truncated"),
    (2, "list a.kdb --password-file wrong.txt", "GSK_ERROR_BAD_KEYFILE_PASSWORD (408)"),
    (2, "import a.kdb dev.pem --label bad,label", "not valid"),
    (2, "import a.kdb a.kdb --in-password-env PW", "already has"),
    (1, "import a.kdb missing.p12", "does not exist"),
    (1, "export a.kdb x.pem --label nope --no-key-password", "GSK_ERROR_BAD_KEYFILE_LABEL (407)"),
    (2, "stash a.kdb --password-file wrong.txt", "408"),
    (2, "create a.kdb --password-env PW", "already exists"),
    (2, "list a.kdb --password-env UNSET_VARIABLE_X", "not set"),
]


def test_bad_input_never_changes_the_store(tmp_path):
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    ok("dev-ca", "--store", "a.kdb", cwd=tmp_path)
    before = (tmp_path / "a.kdb").read_bytes()
    (tmp_path / "random.kdb").write_bytes(os.urandom(5088))
    (tmp_path / "trunc.kdb").write_bytes(before[:300])
    (tmp_path / "wrong.txt").write_text("nope\n")
    for code, args, says in BAD_INPUT:
        fails(code, *args.split(), cwd=tmp_path, says=says)
    assert (tmp_path / "a.kdb").read_bytes() == before


def test_private_keys_need_an_output_password(tmp_path, dev):
    save_keystore(tmp_path / "s.p12", [dev.entries[1]], PASSWORD)
    fails(
        2,
        "convert",
        "s.p12",
        "s.pem",
        "--in-password-env",
        "PW",
        cwd=tmp_path,
        says="without a password",
    )
    assert not (tmp_path / "s.pem").exists()
    ok(
        "convert",
        "s.p12",
        "s.pem",
        "--in-password-env",
        "PW",
        "--out-password-env",
        "PW",
        cwd=tmp_path,
    )
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "s.pem").read_bytes()


def test_listing_a_kdb_without_password_and_ibm_files(tmp_path, ibm):
    proc = run("list", str(ibm / "claro.kdb"), "--json", cwd=tmp_path)
    assert proc.returncode == 0
    listing = json.loads(proc.stdout)
    assert listing["verified"] is False and listing["entries"][0]["label"] == "AD Root CA"
    proc = run(
        "list", str(ibm / "plugin.kdb"), "--stash-file", str(ibm / "plugin.sth"), cwd=tmp_path
    )
    assert proc.returncode == 2 and "version-8" in proc.stderr
    proc = run(
        "list",
        str(ibm / "plugin.kdb"),
        "--json",
        "--password-env",
        "IBM_PW",
        cwd=tmp_path,
        env_extra={"IBM_PW": "1qaz2wsx"},
    )
    listing = json.loads(proc.stdout)
    assert listing["verified"] and listing["entries"][0]["has_private_key"]
    assert listing["entries"][0]["key_type"] == "RSA 2048"
    assert "no entries" in ok(
        "list", str(ibm / "bank.kdb"), cwd=tmp_path
    )  # its .sth sibling opens it


@pytest.mark.parametrize(
    "args", [[], ["frobnicate"], ["list"], ["app"], ["dev-ca"], ["app", "register", "X"]]
)
def test_usage_errors(tmp_path, args):
    assert run(*args, cwd=tmp_path).returncode == 2


def test_help(tmp_path):
    assert "dev-ca" in ok("--help", cwd=tmp_path)


def test_system_store_import_and_create(tmp_path, home, dev):
    fails(2, "list", "*SYSTEM", cwd=tmp_path, says="no *SYSTEM store")
    ok("create", "*SYSTEM", cwd=tmp_path)
    assert json.loads(ok("list", "*SYSTEM", "--json", cwd=tmp_path))["entries"] == []
    fails(2, "create", "*SYSTEM", cwd=tmp_path, says="already exists")
    save_keystore(tmp_path / "s.p12", [dev.entries[2]], PASSWORD)
    ok("import", "*SYSTEM", "s.p12", "--in-password-env", "PW", "--label", "imported", cwd=tmp_path)
    listing = json.loads(ok("list", "*SYSTEM", "--json", cwd=tmp_path))
    assert [(e["label"], e["has_private_key"]) for e in listing["entries"]] == [("imported", True)]
    assert b"imported" not in (home / "registry.toml").read_bytes()
