"""``gskit certstore`` in subprocesses: every command, exit codes, no tracebacks, no secrets."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from certstore import Entry, open_keystore, save_keystore

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
    ok("stash", "b.kdb", "--password-env", "PW", cwd=tmp_path)  # re-stashing replaces a stash


def test_stash_never_replaces_a_file_that_is_not_a_stash(tmp_path):
    ok("create", "a.kdb", "--password-env", "PW", cwd=tmp_path)
    ok("create", "keep.p12", "--password-env", "PW", cwd=tmp_path)
    before = (tmp_path / "keep.p12").read_bytes()
    fails(2, "stash", "a.kdb", "--out", "keep.p12", "--password-env", "PW", cwd=tmp_path,
          says="keep.p12 already exists and is not a stash file; use --force")
    assert (tmp_path / "keep.p12").read_bytes() == before
    ok("stash", "a.kdb", "--out", "keep.p12", "--force", "--password-env", "PW", cwd=tmp_path)
    assert len((tmp_path / "keep.p12").read_bytes()) == 129


@pytest.mark.parametrize("command", [
    ("list", "."), ("convert", ".", "x.p12", "--in-password-env", "PW"), ("import", "a.kdb", "/", "--password-env", "PW"),
    ("remove", "/", "--label", "x"), ("create", "/", "--stash", "--password-env", "PW"),
    ("stash", ".", "--password-env", "PW"),
])
def test_a_folder_for_a_store_is_one_sentence_not_a_traceback(tmp_path, command):
    ok("create", "a.kdb", "--password-env", "PW", cwd=tmp_path)
    proc = run(*command, cwd=tmp_path)  # run() fails on a traceback
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "is a directory, not a file." in proc.stderr


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


def test_create_an_empty_pkcs12_store(tmp_path):
    """`create x.p12` makes the empty store its help promises, readable by OpenSSL too."""
    ok("create", "open.p12", cwd=tmp_path)
    ok("create", "locked.p12", "--password-env", "PW", cwd=tmp_path)
    assert "no entries" in ok("list", "open.p12", cwd=tmp_path)
    listing = json.loads(ok("list", "locked.p12", "--json", "--password-env", "PW", cwd=tmp_path))
    assert (listing["format"], listing["entries"]) == ("pkcs12", [])
    (tmp_path / "wrong.txt").write_text("nope\n")
    fails(2, "list", "locked.p12", "--password-file", "wrong.txt", cwd=tmp_path, says="408")
    for name, secret in (("open.p12", "pass:"), ("locked.p12", "env:PW")):
        proc = subprocess.run(
            ["openssl", "pkcs12", "-info", "-noout", "-in", name, "-passin", secret],
            cwd=tmp_path, env={**os.environ, "PW": PASSWORD}, capture_output=True, text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
    ok("dev-ca", "--out", "dev", cwd=tmp_path)
    ok("import", "locked.p12", "dev/client.pem", "--password-env", "PW", cwd=tmp_path)
    assert open_keystore(tmp_path / "locked.p12", PASSWORD).labels() == ["gskit-dev-client"]


# An application definition the registry refuses is bad input (exit 2), and a long ID is
# not echoed whole.
BAD_DEFINITIONS = [
    (["X", "--protocols", "SSLv3"], "'SSLv3' is not a TLS protocol version"),
    (["", "--description", "empty id"], "an application ID is 1 to 100"),
    (["A" * 5000], "(5000 characters)"),
    (["X", "--ciphers", "TLS_FOO"], "'TLS_FOO' is not a cipher suite gskit knows"),
    (["X", "--ciphers", "TLS_AES_128_GCM_SHA256,TLS_FOO,TLS_BAR"], "'TLS_FOO' and 1 other"),
]


@pytest.mark.parametrize("args, says", BAD_DEFINITIONS)
def test_app_register_refuses_an_invalid_definition(tmp_path, home, args, says):
    ok("dev-ca", "--system", cwd=tmp_path)
    before = (home / "registry.toml").read_bytes()
    stderr = fails(2, "app", "register", *args, "--type", "server", cwd=tmp_path, says=says)
    assert len(stderr) < 300 and len(stderr.strip().splitlines()) == 1
    assert "GSK_IBMI_ERROR_NOT_REGISTERED" not in stderr
    assert (home / "registry.toml").read_bytes() == before


def test_app_assign_refuses_an_invalid_setting(tmp_path):
    ok("dev-ca", "--system", cwd=tmp_path)
    fails(2, "app", "assign", "GSKIT_DEMO_SERVER", "--protocols", "SSLv3", cwd=tmp_path, says="SSLv3")
    fails(2, "app", "assign", "GSKIT_DEMO_SERVER", "--ciphers", "TLS_FOO", cwd=tmp_path, says="TLS_FOO")
    fails(1, "app", "assign", "NOT_THERE", "--sni", "x.test", cwd=tmp_path, says="not registered")


def test_app_register_checks_the_store_and_its_labels(tmp_path, home):
    fails(2, "app", "register", "S", "--type", "server", cwd=tmp_path, says="no *SYSTEM store")
    ok("dev-ca", "--system", cwd=tmp_path)
    fails(1, "app", "register", "S", "--type", "server", "--store", "missing.kdb",
          cwd=tmp_path, says="the store missing.kdb does not exist")
    fails(1, "app", "register", "S", "--type", "server", "--label", "nolabel",
          cwd=tmp_path, says="no certificate labelled 'nolabel' in *SYSTEM")
    fails(1, "app", "register", "S", "--type", "client", "--ca", "no-ca",
          cwd=tmp_path, says="no certificate labelled 'no-ca'")
    fails(1, "app", "assign", "GSKIT_DEMO_SERVER", "--label", "nolabel", cwd=tmp_path, says="nolabel")
    # another store: opened with its stash file, as gsk_environment_init will open it
    ok("create", "k.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    ok("dev-ca", "--store", "k.kdb", cwd=tmp_path)
    fails(1, "app", "register", "K", "--type", "server", "--store", "k.kdb", "--stash-file", "k.sth",
          "--label", "nolabel", cwd=tmp_path, says="no certificate labelled 'nolabel' in k.kdb")
    fails(1, "app", "register", "K", "--type", "server", "--store", "k.kdb", "--stash-file", "no.sth",
          cwd=tmp_path, says="the stash file no.sth does not exist")
    proc = run("app", "register", "K", "--type", "server", "--store", "k.kdb", "--label", "nolabel",
               cwd=tmp_path)  # no stash registered: the labels are still read (a .kdb's are clear)
    assert proc.returncode == 1 and "needs a password" in proc.stderr and "'nolabel'" in proc.stderr
    assert "K" not in {a["application_id"] for a in json.loads(ok("app", "list", "--json", cwd=tmp_path))}
    ok("app", "register", "K", "--type", "server", "--store", "k.kdb", "--stash-file", "k.sth",
       "--label", "gskit-dev-server-rsa", "--ca", "gskit-dev-ca", cwd=tmp_path)
    ok("app", "register", "S", "--type", "server", "--label", "gskit-dev-server-ecdsa",
       "--ciphers", "TLS_AES_256_GCM_SHA384", cwd=tmp_path)


def test_app_register_notes_a_store_it_cannot_open(tmp_path):
    ok("create", "p.p12", "--password-env", "PW", cwd=tmp_path)
    proc = run("app", "register", "P", "--type", "client", "--store", "p.p12", "--ca", "x",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "GSK_NO_KEYFILE_PASSWORD (201)" in proc.stderr and "labels were not checked" in proc.stderr


def test_write_and_read_errors_name_the_users_file_and_the_action(tmp_path):
    stderr = fails(2, "create", "no-such-folder/out.p12", cwd=tmp_path,
                   says="could not write no-such-folder/out.p12 (No such file or directory).")
    assert ".tmp" not in stderr
    long_name = "a" * 300 + ".kdb"  # stat() fails: a read, not a write
    stderr = fails(2, "list", long_name, cwd=tmp_path, says="could not read")
    assert "written" not in stderr and "write" not in stderr


def test_an_empty_app_list_exits_1_with_or_without_json(tmp_path):
    proc = run("app", "list", cwd=tmp_path)
    assert proc.returncode == 1 and "no application IDs" in proc.stdout
    proc = run("app", "list", "--json", cwd=tmp_path)
    assert (proc.returncode, json.loads(proc.stdout)) == (1, [])


def test_a_hand_edit_that_breaks_an_entry_is_bad_input_for_show_and_named_by_list(tmp_path):
    """docs/certstore.md: an invalid application definition is bad input (exit 2) for
    ``app show``; ``app list`` lists the valid ones and names each invalid one on stderr."""
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    ok("app", "register", "GOOD", "--type", "client", "--store", "a.kdb", cwd=tmp_path)
    ok("app", "register", "BAD", "--type", "client", "--store", "a.kdb", cwd=tmp_path)
    registry = Path(ok("home", cwd=tmp_path).strip()) / "registry.toml"
    head, bad = registry.read_text().split("[applications.BAD]")
    registry.write_text(head + "[applications.BAD]" + bad.replace('type = "client"', 'type = "bogus"', 1))
    fails(2, "app", "show", "BAD", cwd=tmp_path, says="'BAD' is not valid: type must be one of server, client.")
    for form in ((), ("--json",)):
        proc = run("app", "list", *form, cwd=tmp_path)
        assert proc.returncode == 0 and "GOOD" in proc.stdout and "BAD" not in proc.stdout
        assert "GSK_IBMI_ERROR_NOT_REGISTERED (6002): application definition 'BAD' is not valid" in proc.stderr
    registry.write_text('version = 1\n\n[applications.BAD]\ntype = "bogus"\n')
    proc = run("app", "list", cwd=tmp_path)
    assert proc.returncode == 2 and "'BAD' is not valid" in proc.stderr and not proc.stdout


def test_ctrl_c_at_a_password_prompt_exits_130(tmp_path, monkeypatch, capsys):
    import getpass

    from gskit.cli import main

    def interrupted(prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", interrupted)
    assert main(["certstore", "create", "a.kdb"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "cancelled" not in err
    assert not (tmp_path / "a.kdb").exists()


def test_an_astral_description_keeps_the_registry_readable(tmp_path, home):
    ok("create", "open.p12", cwd=tmp_path)
    ok("app", "register", "WEB", "--type", "client", "--store", "open.p12",
       "--description", "web 🔒", cwd=tmp_path)
    assert "WEB" in ok("app", "list", cwd=tmp_path)
    assert json.loads(ok("app", "show", "WEB", "--json", cwd=tmp_path))["description"] == "web 🔒"
    before = (home / "registry.toml").read_bytes()
    # bytes that are not UTF-8 reach Python as lone surrogates, which TOML cannot hold
    fails(2, "app", "register", "BAD", "--type", "client", "--store", "open.p12",
          "--description", "web \udcff", cwd=tmp_path, says="not valid Unicode text")
    assert (home / "registry.toml").read_bytes() == before


def test_listing_a_store_with_a_damaged_certificate(tmp_path, dev, damaged):
    """One byte changed in a subject: one sentence and exit 2, not a traceback."""
    bad = Entry("bad", damaged(dev.entries[1].certificate, "subject"), None)
    save_keystore(tmp_path / "bad.kdb", [dev.entries[0], bad], PASSWORD)
    for args in (["list", "bad.kdb"], ["list", "bad.kdb", "--json", "--password-env", "PW"]):
        fails(2, *args, cwd=tmp_path, says="GSK_KEYRING_OPEN_ERROR (202)")


def test_create_system_registers_the_store_the_registry_lost(tmp_path, home):
    ok("dev-ca", "--system", cwd=tmp_path)
    files = {name: (home / name).read_bytes() for name in ("system.kdb", "system.sth")}
    (home / "registry.toml").unlink()
    assert "registered the *SYSTEM store already in" in ok("create", "*SYSTEM", cwd=tmp_path)
    assert {name: (home / name).read_bytes() for name in files} == files
    assert "gskit-dev-ca" in ok("list", "*SYSTEM", cwd=tmp_path)
    (home / "registry.toml").unlink()
    (home / "system.kdb").unlink()
    fails(2, "create", "*SYSTEM", cwd=tmp_path, says="system.sth is already in")
    assert (home / "system.sth").read_bytes() == files["system.sth"]


def test_a_password_too_long_to_stash_writes_nothing(tmp_path, dev):
    """--stash: the stash's limits are checked before the store is written."""
    (tmp_path / "long.txt").write_text("p" * 200 + "\n")
    fails(2, "create", "a.kdb", "--password-file", "long.txt", "--stash", cwd=tmp_path,
          says="GSK_ERROR_BAD_KEYFILE_PASSWORD (408)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.txt"]
    save_keystore(tmp_path / "s.p12", [dev.entries[1]], PASSWORD)
    fails(2, "convert", "s.p12", "out.kdb", "--in-password-env", "PW", "--out-password-file",
          "long.txt", "--stash", cwd=tmp_path, says="GSK_ERROR_BAD_KEYFILE_PASSWORD (408)")
    assert not (tmp_path / "out.kdb").exists() and not (tmp_path / "out.sth").exists()


def test_an_invalid_label_in_an_input_file_is_bad_input(tmp_path, dev):
    """A friendly name with a comma is an odd label (exit 2), not a missing one (exit 1)."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    server = dev.entries[1]
    (tmp_path / "comma.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"web, prod", server.private_key, server.certificate, None,
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    ))
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    before = (tmp_path / "a.kdb").read_bytes()
    fails(2, "import", "a.kdb", "comma.p12", "--in-password-env", "PW", cwd=tmp_path,
          says="GSK_ERROR_BAD_KEYFILE_LABEL (407): label 'web, prod' is not valid")
    assert (tmp_path / "a.kdb").read_bytes() == before
    fails(1, "remove", "a.kdb", "--label", "absent", cwd=tmp_path,  # a missing one stays 1
          says="GSK_ERROR_BAD_KEYFILE_LABEL (407)")


def test_the_trusted_option_marks_imported_signers_of_a_kdb(tmp_path, dev):
    """A .kdb keeps the trust bit it is given: --trusted takes effect there too."""
    signer = Entry("signer", dev.entries[3].certificate, None, trusted=False)
    save_keystore(tmp_path / "in.kdb", [signer], PASSWORD)
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    ok("import", "a.kdb", "in.kdb", "--in-password-env", "PW", cwd=tmp_path)
    assert open_keystore(tmp_path / "a.kdb", PASSWORD).get("signer").trusted is False
    ok("import", "a.kdb", "in.kdb", "--in-password-env", "PW", "--trusted", "--replace",
       cwd=tmp_path)
    assert open_keystore(tmp_path / "a.kdb", PASSWORD).get("signer").trusted is True


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_store_is_refused_and_a_fifo_password_file_still_works(tmp_path):
    import threading

    os.mkfifo(tmp_path / "fifo.kdb")
    fails(2, "list", "fifo.kdb", "--password-env", "PW", cwd=tmp_path, says="not a regular file")
    ok("create", "a.kdb", "--password-env", "PW", cwd=tmp_path)
    os.mkfifo(tmp_path / "pw.fifo")  # as bash's <(...) gives it

    def write() -> None:
        with open(tmp_path / "pw.fifo", "w") as f:
            f.write(PASSWORD + "\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert "no entries" in ok("list", "a.kdb", "--password-file", "pw.fifo", cwd=tmp_path)
    writer.join(10)


def test_a_stash_file_already_there_is_never_overwritten(tmp_path):
    """`create --stash` / `convert --stash` next to a .sth of another store: refused, both
    files left as they were (without --force)."""
    (tmp_path / "a.sth").write_bytes(b"another store's stash")
    fails(2, "create", "a.kdb", "--stash", "--password-env", "PW", cwd=tmp_path, says="a.sth already exists")
    assert not (tmp_path / "a.kdb").exists()
    ok("create", "b.p12", "--password-env", "PW", cwd=tmp_path)
    fails(2, "convert", "b.p12", "a.kdb", "--stash", "--in-password-env", "PW", "--out-password-env", "PW",
          cwd=tmp_path, says="a.sth already exists")
    assert (tmp_path / "a.sth").read_bytes() == b"another store's stash" and not (tmp_path / "a.kdb").exists()


# ---------------------------------------------------------------- found by fuzzing


@pytest.mark.parametrize("output", ["a closed pipe", "a full disk"])
def test_a_failure_to_write_the_output_is_not_called_a_read(monkeypatch, capsys, output):
    """An OSError without a file name is standard output failing: certstore passes it on to
    the dispatcher (exit 0 for a closed pipe, one sentence for a full disk), never 'could not
    read a file'."""
    from gskit.cli import certstore_cmd

    if output == "a full disk":
        if not os.path.exists("/dev/full"):
            pytest.skip("needs /dev/full")
        stream = open("/dev/full", "w", buffering=1)
    else:
        reader, writer = os.pipe()
        os.close(reader)
        stream = open(writer, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        with pytest.raises(OSError) as info:
            certstore_cmd.main(["home"])
    finally:
        with contextlib.suppress(OSError):
            stream.close()
    assert info.value.filename is None
    assert info.value.errno == (errno.ENOSPC if output == "a full disk" else errno.EPIPE)
    assert capsys.readouterr().err == ""


def test_listing_into_a_closed_pipe_or_onto_a_full_disk(tmp_path):
    ok("create", "a.p12", cwd=tmp_path)
    command = [sys.executable, "-m", "gskit", "certstore", "list", "a.p12", "--json"]
    reader, writer = os.pipe()
    os.close(reader)
    try:  # `gskit certstore list a.p12 --json | true`
        proc = subprocess.run(command, cwd=tmp_path, stdout=writer, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    finally:
        os.close(writer)
    assert (proc.returncode, proc.stderr) == (0, "")
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(command, cwd=tmp_path, stdout=full, stderr=subprocess.PIPE,
                                  text=True, timeout=60)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "(No space left on device)." in proc.stderr and "read" not in proc.stderr


def test_a_store_too_large_to_read_back_is_not_written(tmp_path, self_signed):
    """14,000 certificates make a .kdb bigger than gskit reads (64 MiB): refused before
    anything is written, so the store stays usable."""
    pem = self_signed("one").certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "many.pem").write_bytes(b"".join(b"label: c%d\n" % i + pem for i in range(13500)))
    ok("create", "a.kdb", "--password-env", "PW", cwd=tmp_path)
    before = (tmp_path / "a.kdb").read_bytes()
    stderr = fails(2, "import", "a.kdb", "many.pem", "--password-env", "PW", cwd=tmp_path)
    assert stderr == (
        "gskit certstore: a kdb keystore of 13,500 entries would be 67,500,088 bytes, more "
        "than the 64 MiB gskit reads, so nothing was written.\n"
    )
    assert (tmp_path / "a.kdb").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.kdb", "many.pem"]
    assert "no entries" in ok("list", "a.kdb", "--password-env", "PW", cwd=tmp_path)


@pytest.mark.parametrize("args, what", [
    (("list", "big.kdb", "--password-env", "PW"), "keystore big.kdb"),
    (("list", "a.kdb", "--password-file", "big.kdb"), "password file big.kdb"),
])
def test_a_file_too_large_to_read_says_what_it_is_and_the_limit(tmp_path, args, what):
    ok("create", "a.kdb", "--password-env", "PW", cwd=tmp_path)
    with open(tmp_path / "big.kdb", "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: nothing is really written
    stderr = fails(2, *args, cwd=tmp_path)
    assert stderr == (
        f"gskit certstore: GSK_KEYRING_OPEN_ERROR (202): the {what} is larger than 64 MiB, "
        "the most gskit reads.\n"
    )


def test_registering_an_id_twice_is_bad_input_and_says_only_that(tmp_path, home):
    """Exit 2 (an existing output), not 1 (not found); no 6002, and no note about the store
    that is not going to be registered."""
    ok("create", "g.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    register = ("app", "register", "A1", "--type", "server", "--store", "g.kdb")
    run(*register, cwd=tmp_path)  # the store has no registered stash: a note, exit 0
    before = (home / "registry.toml").read_bytes()
    stderr = fails(2, *register, cwd=tmp_path)
    assert stderr == "gskit certstore: application ID 'A1' is already registered.\n"
    assert (home / "registry.toml").read_bytes() == before
    ok(*register, "--stash-file", "g.sth", "--replace", cwd=tmp_path)


def test_a_stash_that_cannot_be_written_leaves_no_half_written_output(tmp_path, dev):
    """Store and stash are written both or neither: here the .sth is a folder (as a full disk
    would make it fail), and the .kdb is neither left behind nor replaced."""
    save_keystore(tmp_path / "g.kdb", [dev.entries[0]], PASSWORD)
    (tmp_path / "x.sth").mkdir()
    export = ("export", "g.kdb", "x.kdb", "--password-env", "PW", "--out-password-env", "PW",
              "--stash", "--force")
    stderr = fails(2, *export, cwd=tmp_path)
    assert stderr == "gskit certstore: could not write x.sth (Is a directory).\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.kdb", "x.sth"]
    (tmp_path / "x.kdb").write_bytes(b"the old x.kdb")
    fails(2, *export, cwd=tmp_path, says="could not write x.sth")
    assert (tmp_path / "x.kdb").read_bytes() == b"the old x.kdb"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.kdb", "x.kdb", "x.sth"]
    (tmp_path / "x.sth").rmdir()
    ok(*export, cwd=tmp_path)
    assert open_keystore(tmp_path / "x.kdb", stash_file=tmp_path / "x.sth").labels() == [
        "gskit-dev-ca"
    ]


@pytest.mark.parametrize("args, flag", [
    (("list", "g.kdb", "--password-env", ""), "--password-env"),
    (("list", "g.kdb", "--password-file", ""), "--password-file"),
    (("list", "g.kdb", "--stash-file", ""), "--stash-file"),
    (("import", "g.kdb", "g.kdb", "--in-password-env", ""), "--in-password-env"),
    (("app", "register", "X", "--type", "client", "--store", ""), "--store"),
    (("app", "register", "X", "--type", "client", "--store", "g.kdb", "--stash-file", ""),
     "--stash-file"),
    (("--home", "", "home"), "--home"),
])
def test_an_empty_option_value_is_bad_usage_not_a_missing_option(tmp_path, args, flag):
    """`--password-env ''` used to fall back to the sibling stash; an empty --store meant
    *SYSTEM."""
    ok("create", "g.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    stderr = fails(2, *args, cwd=tmp_path)
    assert stderr == f"gskit certstore: {flag} is empty; give a value or leave the option out.\n"


@pytest.mark.parametrize("option, value, field", [
    ("--protocols", "", "protocols"),
    ("--ciphers", "", "cipher_suites"),
    ("--sni", "", "sni_names"),
    ("--sni", " , ", "sni_names"),
])
def test_an_empty_list_of_protocols_suites_or_names_is_refused(
    tmp_path, home, option, value, field
):
    """An empty list would let the application negotiate nothing; leaving the option out
    means the system default."""
    ok("create", "open.p12", cwd=tmp_path)
    ok("app", "register", "APP", "--type", "client", "--store", "open.p12", cwd=tmp_path)
    before = (home / "registry.toml").read_bytes()
    says = (f"gskit certstore: application definition {{}} is not valid: an empty {field} list "
            "would allow nothing; leave the setting out for the system default.\n")
    stderr = fails(2, "app", "register", "NEW", "--type", "client", "--store", "open.p12",
                   option, value, cwd=tmp_path)
    assert stderr == says.format("'NEW'")
    assert fails(2, "app", "assign", "APP", option, value, cwd=tmp_path) == says.format("'APP'")
    assert (home / "registry.toml").read_bytes() == before


def test_control_characters_from_files_and_arguments_are_printed_escaped(tmp_path, self_signed):
    """A label, a file name or a registry path that holds ESC or BEL is shown escaped
    (``\\x1b``), never sent raw to the terminal; JSON escapes them already."""
    pem = self_signed("one").certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "evil.pem").write_bytes(b"label: \x1b[31mEVIL\x07\n" + pem)
    text = ok("list", "evil.pem", cwd=tmp_path)
    assert "\x1b" not in text and "\x07" not in text and "\\x1b[31mEVIL\\x07 " in text
    listing = json.loads(ok("list", "evil.pem", "--json", cwd=tmp_path))
    assert listing["entries"][0]["label"] == "\x1b[31mEVIL\x07"
    stderr = fails(1, "list", "\x1b]0;pwn\x07.kdb", cwd=tmp_path)
    assert stderr == "gskit certstore: \\x1b]0;pwn\\x07.kdb does not exist.\n"
    ok("create", "\x1b[31m.p12", cwd=tmp_path)
    ok("app", "register", "E", "--type", "client", "--store", "\x1b[31m.p12", cwd=tmp_path)
    shown = ok("app", "show", "E", cwd=tmp_path)
    assert "\x1b" not in shown and f"{tmp_path}/\\x1b[31m.p12" in shown


@pytest.mark.parametrize("option, value, says", [
    ("--sni", "\x1b[31mred", "the server name '\\x1b[31mred' is not a host name."),
    ("--sni", "acme.test,a b.test", "the server name 'a b.test' is not a host name."),
    ("--description", "\x1b]0;pwn\x07",
     "the description must be one line of text, without control characters."),
    ("--description", "two\nlines",
     "the description must be one line of text, without control characters."),
])
def test_server_names_and_descriptions_hold_no_control_characters(
    tmp_path, home, option, value, says
):
    ok("create", "open.p12", cwd=tmp_path)
    stderr = fails(2, "app", "register", "A11", "--type", "server", "--store", "open.p12",
                   option, value, cwd=tmp_path)
    assert stderr == f"gskit certstore: application definition 'A11' is not valid: {says}\n"
    assert not (home / "registry.toml").exists()
    ok("app", "register", "A11", "--type", "server", "--store", "open.p12",
       "--sni", "*.acme.test,bücher.test", "--description", "Acme 🔒 web", cwd=tmp_path)


def test_stash_needs_a_store_that_a_password_protects(tmp_path, dev):
    """A stash holds the password a store needs: a .kdb, or a .p12 or PEM file with a
    password.  A store that opens without one has nothing to stash (any password 'opens'
    it), so nothing is written."""
    ok("create", "n.p12", cwd=tmp_path)
    ok("dev-ca", "--out", "dev", cwd=tmp_path)
    for store in ("n.p12", "dev/ca.pem"):
        stderr = fails(2, "stash", store, "--password-env", "PW", cwd=tmp_path)
        assert stderr == (
            f"gskit certstore: {store} opens without a password, so a stash file would protect "
            "nothing; stash the password of a .kdb, or of a .p12 or PEM file that has one.\n"
        )
    assert not (tmp_path / "n.sth").exists() and not (tmp_path / "dev" / "ca.sth").exists()
    ok("create", "locked.p12", "--password-env", "PW", cwd=tmp_path)
    save_keystore(tmp_path / "key.pem", [dev.entries[1]], PASSWORD)
    for store in ("locked.p12", "key.pem"):
        ok("stash", store, "--password-env", "PW", cwd=tmp_path)
        ok("list", store, cwd=tmp_path)  # opened with the stash beside it, no password given


# ---------------------------------------------------------------- --json on every command
# docs/certstore.md, "--json": one object on stdout saying what the command did.

ENTRY_KEYS = {"label", "kind", "subject", "issuer", "serial", "not_before", "not_after",
              "key_type", "has_private_key", "is_ca", "trusted", "sha256"}


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """``gskit certstore ARGS --json`` in this process (the module's main()), in tmp_path:
    returns (exit code, the parsed object or None when stdout is empty, stderr)."""
    from gskit.cli import certstore_cmd

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PW", PASSWORD)

    def call(*args: str, code: int = 0):
        got = certstore_cmd.main([*args, "--json"])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and PASSWORD not in out + err
        assert got == code, (out, err)
        return json.loads(out) if out else None

    return call


def _is_file(path: str) -> bool:
    return os.path.isabs(path) and Path(path).is_file()


def _labels(cli, store: str, *options: str) -> list[str]:
    return [e["label"] for e in cli("list", store, *options)["entries"]]


def test_json_create_import_export_remove_convert_stash(tmp_path, cli):
    made = cli("create", "a.kdb", "--password-env", "PW", "--stash")
    assert made == {
        "command": "create", "written": [str(tmp_path / "a.kdb"), str(tmp_path / "a.sth")],
        "store": str(tmp_path / "a.kdb"), "format": "kdb", "stash_file": str(tmp_path / "a.sth"),
        "system": False, "created": True,
    }
    assert all(_is_file(p) for p in made["written"])
    p12 = cli("create", "open.p12")
    assert (p12["format"], p12["stash_file"], p12["written"]) == (
        "pkcs12", None, [str(tmp_path / "open.p12")])

    dev = cli("dev-ca", "--out", "dev", "--store", "a.kdb")
    assert dev["command"] == "dev-ca" and dev["system"] is None
    assert dev["out"] == str(tmp_path / "dev") and dev["store"] == str(tmp_path / "a.kdb")
    assert [(Path(f["path"]).name, f["label"]) for f in dev["files"]] == [
        ("ca.pem", "gskit-dev-ca"), ("server-rsa.pem", "gskit-dev-server-rsa"),
        ("server-ecdsa.pem", "gskit-dev-server-ecdsa"), ("client.pem", "gskit-dev-client")]
    assert dev["written"] == [f["path"] for f in dev["files"]] + [dev["store"]]
    assert all(_is_file(p) for p in dev["written"])
    assert [e["label"] for e in dev["added"]] == _labels(cli, "a.kdb") and dev["replaced"] == []
    assert [(e["kind"], e["key_type"]) for e in dev["added"]][:3] == [
        ("ca", "RSA 2048"), ("key", "RSA 2048"), ("key", "EC secp256r1")]
    assert all(set(e) == ENTRY_KEYS for e in dev["added"])
    listed = cli("list", "a.kdb")["entries"]  # the same entry objects as list --json
    assert dev["added"] == listed

    exported = cli("export", "a.kdb", "srv.p12", "--label", "gskit-dev-server-rsa",
                   "--out-password-env", "PW")
    assert exported == {
        "command": "export", "written": [str(tmp_path / "srv.p12")],
        "store": str(tmp_path / "a.kdb"), "system": False, "out": str(tmp_path / "srv.p12"),
        "format": "pkcs12", "stash_file": None, "password_protected": True,
        "entries": exported["entries"],
    }
    assert [(e["label"], e["kind"]) for e in exported["entries"]] == [("gskit-dev-server-rsa", "key")]
    assert _is_file(exported["out"])
    assert open_keystore(exported["out"], PASSWORD).labels() == ["gskit-dev-server-rsa"]

    imported = cli("import", "a.kdb", "srv.p12", "--in-password-env", "PW", "--label", "web")
    assert {k: v for k, v in imported.items() if k != "added"} == {
        "command": "import", "written": [str(tmp_path / "a.kdb")], "store": str(tmp_path / "a.kdb"),
        "format": "kdb", "system": False, "source": str(tmp_path / "srv.p12"),
        "source_format": "pkcs12", "replaced": [],
    }
    assert [(e["label"], e["kind"], e["key_type"]) for e in imported["added"]] == [
        ("web", "key", "RSA 2048")]
    assert imported["added"][0]["subject"] == exported["entries"][0]["subject"]
    assert _labels(cli, "a.kdb")[-1] == "web"
    again = cli("import", "a.kdb", "srv.p12", "--in-password-env", "PW", "--label", "web",
                "--replace")
    assert again["replaced"] == ["web"] and _labels(cli, "a.kdb").count("web") == 1

    removed = cli("remove", "a.kdb", "--label", "web")
    assert {k: v for k, v in removed.items() if k != "removed"} == {
        "command": "remove", "written": [str(tmp_path / "a.kdb")], "store": str(tmp_path / "a.kdb"),
        "format": "kdb", "system": False,
    }
    assert [(e["label"], e["kind"]) for e in removed["removed"]] == [("web", "key")]
    assert "web" not in _labels(cli, "a.kdb")

    (tmp_path / "pw.txt").write_text(PASSWORD + "\n")
    (tmp_path / "sub").mkdir()
    converted = cli("convert", "a.kdb", "sub/../b.kdb", "--out-password-file", "pw.txt", "--stash")
    assert {k: v for k, v in converted.items() if k != "entries"} == {  # absolute, normalised
        "command": "convert", "written": [str(tmp_path / "b.kdb"), str(tmp_path / "b.sth")],
        "source": str(tmp_path / "a.kdb"), "source_format": "kdb", "out": str(tmp_path / "b.kdb"),
        "format": "kdb", "stash_file": str(tmp_path / "b.sth"), "password_protected": True,
    }
    assert [e["label"] for e in converted["entries"]] == _labels(cli, converted["out"])
    assert all(_is_file(p) for p in converted["written"])
    clear = cli("convert", "a.kdb", "all.pem", "--no-key-password")
    assert (clear["format"], clear["password_protected"], clear["stash_file"]) == ("pem", False, None)

    stashed = cli("stash", "b.kdb", "--out", "again.sth", "--password-env", "PW")
    assert stashed == {
        "command": "stash", "written": [str(tmp_path / "again.sth")],
        "store": str(tmp_path / "b.kdb"), "stash_file": str(tmp_path / "again.sth"),
        "version": 1, "replaced": False,
    }
    assert (tmp_path / "again.sth").read_bytes() == (tmp_path / "b.sth").read_bytes()
    assert cli("stash", "b.kdb", "--password-env", "PW")["replaced"] is True


def test_json_system_store_dev_ca_and_home(tmp_path, home, cli, dev):
    assert cli("home") == {"command": "home", "home": str(home),
                           "registry": str(home / "registry.toml"), "exists": False}
    made = cli("create", "*SYSTEM")
    system = {"store": str(home / "system.kdb"), "stash_file": str(home / "system.sth")}
    assert made == {"command": "create", "written": [*system.values(), str(home / "registry.toml")],
                    "format": "kdb", "system": True, "created": True, **system}
    assert all(_is_file(p) for p in made["written"])
    assert cli("home")["exists"] is True
    (home / "registry.toml").unlink()  # registered again, not created: only the registry written
    adopted = cli("create", "*SYSTEM")
    assert (adopted["created"], adopted["written"]) == (False, [str(home / "registry.toml")])

    save_keystore(tmp_path / "s.p12", [dev.entries[2]], PASSWORD)
    imported = cli("import", "*SYSTEM", "s.p12", "--in-password-env", "PW", "--label", "mine")
    assert (imported["store"], imported["system"], imported["written"]) == (
        system["store"], True, [system["store"]])
    assert [e["label"] for e in imported["added"]] == _labels(cli, "*SYSTEM") == ["mine"]

    ready = cli("dev-ca", "--system")
    assert ready["system"] == {
        "home": str(home), "registry": str(home / "registry.toml"), **system,
        "applications": ["GSKIT_DEMO_SERVER", "GSKIT_DEMO_CLIENT"],
    }
    assert ready["written"] == [system["store"], str(home / "registry.toml")]
    assert (ready["out"], ready["files"], ready["store"], ready["added"]) == (None, [], None, [])
    assert cli("dev-ca", "--system")["written"] == []  # nothing left to do: nothing written
    removed = cli("remove", "*SYSTEM", "--label", "mine")
    assert removed["store"] == system["store"] and removed["removed"][0]["label"] == "mine"
    exported = cli("export", "*SYSTEM", "ca.pem", "--label", "gskit-dev-ca")
    assert (exported["store"], exported["system"], exported["out"]) == (
        system["store"], True, str(tmp_path / "ca.pem"))


def test_json_app_register_assign_remove(tmp_path, home, cli):
    cli("dev-ca", "--system")
    registry = str(home / "registry.toml")
    made = cli("app", "register", "ACME", "--type", "server", "--label", "gskit-dev-server-rsa",
               "--protocols", "tls1.3", "--description", "Acme web")
    assert made["command"] == "app register" and made["application_id"] == "ACME"
    assert (made["written"], made["registry"], made["before"]) == ([registry], registry, None)
    assert made["after"] == cli("app", "show", "ACME")
    assert made["after"]["protocols"] == ["TLSv1.3"] and made["after"]["store"] == "*SYSTEM"
    assert made["changed"] == [k for k in made["after"] if k != "application_id"]

    assigned = cli("app", "assign", "ACME", "--label", "gskit-dev-server-ecdsa",
                   "--ca", "gskit-dev-ca", "--description", "Acme web")
    assert assigned["changed"] == ["certificate_labels", "ca_trust_list"]  # not the description
    assert assigned["before"] == made["after"] and assigned["after"] == cli("app", "show", "ACME")
    assert assigned["after"]["certificate_labels"] == ["gskit-dev-server-ecdsa"]

    cli("create", "k.p12")
    replaced = cli("app", "register", "ACME", "--type", "client", "--store", "k.p12", "--replace")
    assert replaced["before"] == assigned["after"]
    assert replaced["after"]["store"] == str(tmp_path / "k.p12")
    assert set(replaced["changed"]) == {"type", "store", "description", "certificate_labels",
                                        "ca_trust_list", "protocols"}

    removed = cli("app", "remove", "ACME")
    assert (removed["command"], removed["before"], removed["after"]) == (
        "app remove", replaced["after"], None)
    assert "ACME" not in {a["application_id"] for a in cli("app", "list")}


def test_json_keeps_control_characters_escaped(tmp_path, cli, capsys):
    """A label cannot hold one (decision 4), a file name can: JSON escapes it itself."""
    from gskit.cli import certstore_cmd

    assert certstore_cmd.main(["create", "\x1b[31m\x07.p12", "--json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "/\\u001b[31m\\u0007.p12" in out
    assert json.loads(out)["store"] == str(tmp_path / "\x1b[31m\x07.p12")


def test_every_subcommand_has_json():
    """cli.md: every subcommand has a --json form of its output."""
    from gskit.cli.certstore_cmd import build_parser

    def leaves(parser):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield parser
        for action in subs:
            for child in action.choices.values():
                yield from leaves(child)

    found = {p.prog.removeprefix("gskit certstore "): p for p in leaves(build_parser())}
    assert set(found) == {"create", "list", "import", "export", "convert", "remove", "stash",
                          "dev-ca", "home", "app register", "app assign", "app remove",
                          "app show", "app list"}
    for name, parser in found.items():
        assert "--json" in parser.format_help(), name


def test_text_output_without_json_is_unchanged(tmp_path):
    assert ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path) == (
        "created kdb store a.kdb and its stash file\n")
    assert ok("dev-ca", "--store", "a.kdb", cwd=tmp_path) == (
        "imported the development CA and certificates into a.kdb\n")
    assert ok("remove", "a.kdb", "--label", "gskit-dev-client", cwd=tmp_path) == (
        "removed 'gskit-dev-client' from a.kdb\n")


# (exit code, arguments, the sentence's end): each with and without --json
JSON_ERRORS = [
    (2, "create a.kdb --password-env PW", "a.kdb already exists; it was left unchanged."),
    (1, "remove a.kdb --label absent", "there is no certificate labelled 'absent' in a.kdb."),
    (1, "import a.kdb missing.p12", "missing.p12 does not exist."),
    (1, "app remove NOPE", "application ID 'NOPE' is not registered."),
    (2, "stash a.kdb --password-file wrong.txt", "does not open a.kdb."),
]


def test_an_error_in_json_mode_is_one_sentence_on_stderr_and_nothing_on_stdout(tmp_path):
    ok("create", "a.kdb", "--password-env", "PW", "--stash", cwd=tmp_path)
    (tmp_path / "wrong.txt").write_text("nope\n")
    before = (tmp_path / "a.kdb").read_bytes()
    for code, args, says in JSON_ERRORS:
        plain = run(*args.split(), cwd=tmp_path)
        proc = run(*args.split(), "--json", cwd=tmp_path)
        assert (proc.returncode, proc.stdout) == (code, ""), (args, proc.stdout, proc.stderr)
        assert proc.stderr == plain.stderr and plain.returncode == code
        assert proc.stderr.startswith("gskit certstore: ") and proc.stderr.count("\n") == 1
        assert proc.stderr.endswith(says + "\n"), proc.stderr
    assert (tmp_path / "a.kdb").read_bytes() == before
