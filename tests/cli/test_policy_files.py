"""Policy files (cli.md "Policy files"): every field checks its type and range, and a wrong
one is one sentence naming the file, the field and what was expected, from both commands
that read policy files (``gskit ciphers --policy``, ``gskit scan --policy``)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gskit.attributes.protocols import Protocol
from gskit.policy import PolicyError, load_policy

P = Protocol

# (TOML, the field named, what the message says was expected / found)
BAD = [
    ("[protocols]\nallowed = [1, 2]", "[protocols] allowed:",
     'expected a list of protocol versions, such as ["TLSv1.2", "TLSv1.3"], but entry 1 is the integer 1'),
    ('[protocols]\nallowed = [["TLSv1.2"]]', "[protocols] allowed:", "but entry 1 is a list"),
    ('[protocols]\nallowed = "TLSv1.2"', "[protocols] allowed:",
     "expected a list of protocol versions, such as [\"TLSv1.2\", \"TLSv1.3\"], got the string 'TLSv1.2'"),
    ('[protocols]\nforbidden = ["TLSv1", ""]', "[protocols] forbidden:", "but entry 2 is the string ''"),
    ('[suites]\nallowed = "2F"', "[suites] allowed:", "expected a list of cipher suite names"),
    ("[suites]\nforbidden = [47]", "[suites] forbidden:", "but entry 1 is the integer 47"),
    ('[suites]\nrequire_forward_secrecy = "false"', "[suites] require_forward_secrecy:",
     "expected true or false (without quotes), got the string 'false'"),
    ("[suites]\nrequire_aead = 1", "[suites] require_aead:", "expected true or false (without quotes), got the integer 1"),
    ('[key_exchange]\ngroups = "X25519"', "[key_exchange] groups:",
     "expected a list of group names, such as [\"X25519\", \"prime256v1\"], got the string 'X25519'"),
    ('[certificate]\nkey_types = "ECDSA"', "[certificate] key_types:",
     "expected a list of key types, such as [\"ECDSA\", \"RSA\"], got the string 'ECDSA'"),
    ('[certificate]\nkey_types = ["RSA", "ECDH"]', "[certificate] key_types:", "unknown key type(s) 'ECDH'"),
    ('[certificate]\nsignature_algorithms = "sha256WithRSAEncryption"', "[certificate] signature_algorithms:",
     "got the string 'sha256WithRSAEncryption'"),
    ("[certificate]\nmin_rsa_bits = 2048.9", "[certificate] min_rsa_bits:",
     "expected a positive whole number, got the number 2048.9"),
    ("[certificate]\nmin_rsa_bits = -2048", "[certificate] min_rsa_bits:",
     "expected a positive whole number, got the integer -2048"),
    ("[certificate]\nmin_ec_bits = true", "[certificate] min_ec_bits:", "expected a positive whole number, got true"),
    ('[certificate]\nmin_ec_bits = "256"', "[certificate] min_ec_bits:", "got the string '256'"),
    ("[certificate]\nexpiry_margin_days = -1", "[certificate] expiry_margin_days:",
     "expected a whole number, 0 or more, got the integer -1"),
    ("[certificate]\nmax_lifespan_days = 0", "[certificate] max_lifespan_days:", "expected a positive whole number"),
    ("[certificate]\nmax_lifespan_days = 2030-01-01", "[certificate] max_lifespan_days:", "got the date/time 2030-01-01"),
    ("[policy]\nname = 3", "[policy] name:", "expected a non-empty string, got the integer 3"),
    ('[policy]\nname = "\\u001b[2Jx"', "[policy] name:",
     "expected one line of printable text, got the string '\\x1b[2Jx'"),
    ('[suites]\nallowed = ["\\u001b[31mRED"]', "[suites] allowed:", "unknown cipher suite(s): '\\x1b[31mRED'"),
    ("[policy]\ndescription = ['a']", "[policy] description:", "expected a string, got a list"),
    ("policy = 3", "policy must be a table ([policy])", "not the integer 3"),
    ('name = "x"', "unknown top-level key 'name'", "known tables: policy, protocols"),
]


def write(folder, text: str | bytes, name: str = "my-policy.toml"):
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def gskit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gskit", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("text, field, expected", BAD, ids=[b[0].replace("\n", " ") for b in BAD])
def test_wrong_type_or_range_is_one_sentence(tmp_path, text, field, expected):
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(str(path))
    message = str(info.value)
    assert message.startswith(f"policy file {str(path)!r}: "), message
    assert field in message and expected in message, message
    assert "\n" not in message


def test_not_utf8(tmp_path):
    path = write(tmp_path, b'[policy]\nname = "caf\xe9"\n')
    with pytest.raises(PolicyError) as info:
        load_policy(str(path))
    assert str(info.value) == (f"policy file {str(path)!r} is not UTF-8 text (byte 0xE9 at offset 20); "
                               "save it as UTF-8")


def test_right_types_are_kept(tmp_path):
    policy = load_policy(str(write(tmp_path, """
[protocols]
allowed = ["TLSv1.2", "tls1.3"]
[suites]
require_forward_secrecy = false
require_aead = true
[key_exchange]
groups = ["x25519", "P-256"]
[certificate]
key_types = ["ec", "RSA"]
min_rsa_bits = 3072
expiry_margin_days = 0
signature_algorithms = ["ecdsa-with-SHA256"]
""")))
    assert policy.allowed_protocols == {P.TLSV12, P.TLSV13}
    assert policy.require_forward_secrecy is False and policy.require_aead is True
    assert policy.allowed_groups == {"X25519", "secp256r1"}
    assert policy.certificate_key_types == {"ECDSA", "RSA"}
    assert policy.min_rsa_bits == 3072 and policy.expiry_margin_days == 0
    assert policy.signature_algorithms == {"ecdsa-with-SHA256"}


CLI_CASES = [
    (b"[protocols]\nallowed = [1, 2]\n", "[protocols] allowed: expected a list of protocol versions"),
    (b'[suites]\nrequire_forward_secrecy = "false"\n', "[suites] require_forward_secrecy: expected true or false"),
    (b"[certificate]\nmin_rsa_bits = 2048.9\n", "[certificate] min_rsa_bits: expected a positive whole number"),
    (b"\xff\xfe[policy]\n", "is not UTF-8 text (byte 0xFF at offset 0)"),
]


@pytest.mark.parametrize("command", [["ciphers", "--release", "7.4"], ["scan", "127.0.0.1:9"]],
                         ids=["ciphers", "scan"])
@pytest.mark.parametrize("content, expected", CLI_CASES, ids=["int-list", "quoted-bool", "float", "latin1"])
def test_both_commands_refuse_a_bad_file_with_one_sentence(tmp_path, command, content, expected):
    path = write(tmp_path, content)
    out = gskit(*command, "--policy", str(path))
    assert out.returncode == 2, out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr
    [line] = out.stderr.splitlines()
    assert line.startswith(f"gskit {command[0]}: policy file {str(path)!r}") and expected in line, line


def _fifo(folder):
    path = folder / "fifo.toml"
    os.mkfifo(path)
    return path


# (how the policy argument is made, what the one sentence says)
UNREADABLE = [
    (lambda folder: str(write(folder, "x = " + "[" * 5000 + "1" + "]" * 5000)),
     "is not valid TOML: arrays or tables are nested too deep"),
    (lambda folder: str(_fifo(folder)), "is not a regular file"),          # (before: waited for ever)
    (lambda folder: "/dev/zero", "the policy file /dev/zero is not a regular file"),  # (before: read without end)
    (lambda folder: "p" * 300 + ".toml", "cannot be read (File name too long)"),
    (lambda folder: "", "give a policy name or a .toml file"),             # (before: no policy at all)
]


@pytest.mark.parametrize("command", [["ciphers", "--release", "7.4"], ["scan", "127.0.0.1:9"]],
                         ids=["ciphers", "scan"])
@pytest.mark.parametrize("make, expected", UNREADABLE, ids=["deep", "fifo", "dev-zero", "long-name", "empty"])
def test_a_policy_that_cannot_be_read_is_one_sentence(tmp_path, command, make, expected):
    out = gskit(*command, "--policy", make(tmp_path))
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith(f"gskit {command[0]}: ") and expected in line, line
