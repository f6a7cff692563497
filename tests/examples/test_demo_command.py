"""`gskit demo` in a subprocess, on a fresh GSKIT_HOME (the README's first command)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DEADLINE = 60


def demo(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GSKIT_HOME": str(home)}
    env.pop("GSKIT_AUDIT_FILE", None)
    return subprocess.run([sys.executable, "-m", "gskit", "demo", *args], env=env, capture_output=True,
                          text=True, timeout=DEADLINE)


def test_demo_creates_the_store_and_shows_what_was_negotiated(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    first = demo(home)
    assert (first.returncode, first.stderr) == (0, "")
    lines = first.stdout.splitlines()
    assert lines[0].startswith("gskit demo: TLS echo over loopback")
    assert lines[1] == f"  store        {home} (created now)"
    assert re.fullmatch(r"  echo         127\.0\.0\.1:\d+: sent 25 bytes, got them back", lines[2])
    assert lines[3:5] == ["  protocol     TLSv1.3", "  suite        TLS_AES_128_GCM_SHA256"]
    assert lines[5].startswith("  server cert  CN=localhost,")
    assert lines[6].startswith("  client cert  CN=gskit development client,")
    assert lines[7] == "audit records:"
    assert sorted(line.split()[6] for line in lines[8:]) == ["client", "server"]
    for line in lines[8:]:
        assert re.fullmatch(r"  SK-S IPv4 local 127\.0\.0\.1:\d+ remote 127\.0\.0\.1:\d+ (client|server) TLSv1\.3 "
                            r"TLS_AES_128_GCM_SHA256 \S+ \S+", line)
    assert (home / "system.kdb").is_file() and (home / "registry.toml").is_file()
    second = demo(home)
    assert second.returncode == 0
    assert second.stdout.splitlines()[1] == f"  store        {home} (existing)"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG folder is the Linux default")
def test_demo_without_gskit_home_uses_the_per_user_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GSKIT_HOME", "XDG_DATA_HOME", "GSKIT_AUDIT_FILE")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "gskit", "demo"], env=env, capture_output=True, text=True,
                            timeout=DEADLINE)
    assert (result.returncode, result.stderr) == (0, "")
    home = tmp_path / ".local" / "share" / "gskit"
    assert result.stdout.splitlines()[1] == f"  store        {home} (created now)"
    assert (home / "system.kdb").is_file()


def test_demo_json(tmp_path: Path) -> None:
    result = demo(tmp_path / "home", "--json")
    assert (result.returncode, result.stderr) == (0, "")
    doc = json.loads(result.stdout)
    assert doc["store_created"] is True
    assert (doc["protocol"], doc["cipher"]) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    assert doc["sent"] == doc["echoed"] == "hello from the gskit demo"
    assert doc["client_certificate"].startswith("CN=gskit development client,")
    records = sorted(doc["audit"], key=lambda r: r["role"])
    assert [r["role"] for r in records] == ["client", "server"]
    client, server = records
    assert (client["local_port"], client["remote_port"]) == (server["remote_port"], server["local_port"])
    assert all(r["entry_type"] == "SK-S" and r["address_family"] == "IPv4" for r in records)


def test_demo_says_one_sentence_when_the_store_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = demo(blocker / "home")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("gskit demo: could not create the development store in ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("damage, says", [
    (lambda home: (home / "system.kdb").write_bytes(b"junk"),
     "system.kdb is not a usable keystore: it is not a PKCS#12, PEM or CMS key database file."),
    (lambda home: (home / "system.sth").unlink(), "system.sth does not exist."),
], ids=["damaged-store", "missing-stash"])
def test_demo_names_the_file_when_its_store_cannot_be_used(tmp_path: Path, damage, says: str) -> None:
    """The compat call's 202 alone (before) named neither the file nor the reason."""
    assert demo(tmp_path).returncode == 0
    damage(tmp_path)
    result = demo(tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("gskit demo: the server's gsk_environment_init returned 202 (The certificate store "
                           "file could not be opened.): ") and line.endswith(says), line


def test_demo_bad_usage_exits_2(tmp_path: Path) -> None:
    result = demo(tmp_path / "home", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


@pytest.mark.parametrize("host, says", [
    ("8.8.8.8", "8.8.8.8 is not a loopback address"),
    ("192.0.2.1", "192.0.2.1 is not a loopback address"),
    ("example.com", "'example.com' is not a loopback address"),
    ("0.0.0.0", "0.0.0.0 is the wildcard address"),
    ("::", ":: is the wildcard address"),
    ("127.0.0.2", "127.0.0.2 is not an address the development certificate is issued for"),
])
def test_demo_refuses_a_host_that_is_not_its_loopback_address(tmp_path: Path, host: str, says: str) -> None:
    home = tmp_path / "home"
    result = demo(home, "--host", host)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"gskit demo: {says}")
    assert result.stderr.rstrip().endswith("use 127.0.0.1, ::1 or localhost.")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not home.exists()  # bad input creates nothing


def test_demo_accepts_localhost(tmp_path: Path) -> None:
    result = demo(tmp_path / "home", "--host", "localhost", "--json")
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["address"].startswith("localhost:")
