"""`gskit errors`, run as a real process (python -m gskit errors ...)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gskit.errors import ENTRIES

TIMEOUT = 60
REQUIRED = {"code": int, "name": str, "aliases": list, "family": str, "text": str}


def gskit_errors(*args: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gskit", "errors", *args],
                          capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=TIMEOUT)


def found(*args: str) -> str:
    result = gskit_errors(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def headers(stdout: str) -> list[str]:
    """The "NAME = code (hex)" line of every entry shown."""
    return [line for line in stdout.splitlines() if " = " in line and not line.startswith(" ")]


def test_decimal_shows_name_code_hex_message_id_text_and_remedy():
    out = found("406")
    assert headers(out) == ["GSK_ERROR_IO = 406 (0x196)"]
    assert "  message ID: CPDBC8A\n" in out
    assert "  meaning:    An error occurred in SSL processing; check the errno value.\n" in out
    assert "  check:      Look at errno" in out
    assert "  family:     GSK, IBM i GSKit return code (gskssl.h)\n" in out
    assert "  raises:     gskit.errors.GSKIOError" in out


@pytest.mark.parametrize("query", ["0x196", "196h", "GSK_ERROR_IO", "gsk_error_io"])
def test_hex_and_names_find_406(query):
    assert headers(found(query)) == ["GSK_ERROR_IO = 406 (0x196)"]


def test_negative_numbers_are_queries_not_options():
    assert headers(found("-10")) == ["SSL_ERROR_IO = -10 (0xFFFFFFF6)"]
    assert headers(found("-0xA")) == ["SSL_ERROR_IO = -10 (0xFFFFFFF6)"]
    assert headers(found("0xFFFFFFF6")) == ["SSL_ERROR_IO = -10 (0xFFFFFFF6)"]
    assert headers(found("--", "-10")) == ["SSL_ERROR_IO = -10 (0xFFFFFFF6)"]


def test_alias_spelling_shows_the_other_spellings():
    out = found("gsk_os400_error_timed_out")
    assert headers(out) == ["GSK_IBMI_ERROR_TIMED_OUT = 6011 (0x177B)"]
    assert "  also:       GSK_OS400_ERROR_TIMED_OUT, GSK_AS400_ERROR_TIMED_OUT\n" in out
    assert "CPDBC9B (inferred from IBM's numbering, not confirmed)" in out


def test_every_family_sharing_a_number_is_shown():
    assert headers(found("0")) == ["GSK_OK = 0 (0x0)", "GSKKM_OK = 0 (0x0)",
                                   "GSK_VALIDATION_SUCCESSFUL = 0 (0x0)"]
    out = found("93")
    assert headers(out) == ["GSKKM_ERROR_KEYDB_NOT_EXIST = 93 (0x5D)"]
    assert ".arm, not .der" in out


@pytest.mark.parametrize(("query", "expected"), [
    ("CPDBC8A", ["GSK_ERROR_IO = 406 (0x196)", "SSL_ERROR_IO = -10 (0xFFFFFFF6)"]),
    ("cpdbcb9", ["GSK_INTERNAL_ERROR = 3 (0x3)", "SSL_ERROR_UNKNOWN = -99 (0xFFFFFF9D)"]),
    ("CPE3406", ["GSK_WOULD_BLOCK = 502 (0x1F6)", "EAGAIN = 3406 (0xD4E)"]),
])
def test_message_ids(query, expected):
    assert headers(found(query)) == expected


def test_unresolved_message_id_is_marked_with_its_note():
    out = found("6019")
    assert "CPCBC88 (unresolved: as printed in the guide; CPCBCB8 if the 8 is OCR damage)" in out
    assert "GSK_IBMI_ERROR_ASYNCHRONOUS_SOC_INIT" in out


def test_pasted_report_tells_what_happened_and_what_to_check():
    out = found("GSKit error 408")
    assert headers(out) == ["GSK_ERROR_BAD_KEYFILE_PASSWORD = 408 (0x198)"]
    assert "certificate store password is not valid" in out and "stash file" in out
    assert headers(found("rc=408")) == headers(out)


def test_free_words_best_first():
    out = found("certificate", "expired")
    assert headers(out)[:3] == ["GSK_KEYFILE_CERT_EXPIRED = 107 (0x6B)",
                                "SSL_ERROR_CERT_EXPIRED = -24 (0xFFFFFFE8)",
                                "GSKVAL_ERROR_CERT_EXPIRED = 575018 (0x8C62A)"]


def test_approximate_answers_say_so():
    out = found("certficate", "revokd")
    assert out.startswith("(Showing results for 'certificate revoked'.)\n")
    out = found("GSK_ERROR_PKCS11_TOKEN_LABELMISMATCH")
    assert "(No exact name matches" in out and "LABELMISMATH = 430" in out


def test_long_word_results_are_cut_with_a_hint():
    out = found("the")  # a stop word alone still searches
    assert len(headers(out)) == 15
    assert out.splitlines()[-1].endswith("more; add words, or use --json to see them all.")


def test_several_numbers_at_once():
    assert headers(found("406", "0x198")) == ["GSK_ERROR_IO = 406 (0x196)",
                                              "GSK_ERROR_BAD_KEYFILE_PASSWORD = 408 (0x198)"]


def test_json_schema():
    result = gskit_errors("--json", "0")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert [d["family"] for d in data] == ["GSK", "GSKKM", "GSKVAL"]
    for item in data:
        for key, kind in REQUIRED.items():
            assert isinstance(item[key], kind), key
        assert all(isinstance(a, str) for a in item["aliases"])
        assert item["message_id"] is None or isinstance(item["message_id"], str)
        assert item["remedy"] is None or isinstance(item["remedy"], str)
    io = json.loads(found("--json", "GSK_OS400_ERROR_TIMED_OUT"))[0]
    assert io["name"] == "GSK_IBMI_ERROR_TIMED_OUT" and io["code"] == 6011
    assert io["aliases"] == ["GSK_OS400_ERROR_TIMED_OUT", "GSK_AS400_ERROR_TIMED_OUT"]
    assert (io["message_id"], io["message_id_status"]) == ("CPDBC9B", "INFERRED")
    assert io["exception"] == "GSKTimeoutError" and io["hex"] == "0x177B"


def test_json_with_nothing_found_is_an_empty_array_and_exit_1():
    result = gskit_errors("--json", "zzzqqq")
    assert (result.returncode, json.loads(result.stdout)) == (1, [])


def test_list_all_and_one_family():
    assert len(found("--list").splitlines()) == len(ENTRIES)
    lines = found("--list", "gskval").splitlines()
    assert len(lines) == 69 and all(line.startswith("GSKVAL ") for line in lines)
    data = json.loads(found("--list", "--json", "GSK"))
    assert len(data) == sum(1 for e in ENTRIES if e.family == "GSK")


def test_family_filter():
    assert headers(found("--family", "gskkm", "8")) == ["GSKKM_ERROR_DATABASE_CREATE = 8 (0x8)"]
    assert headers(found("--family=GSK", "8")) == ["GSK_ERROR_CERT_VALIDATION = 8 (0x8)"]


def test_help():
    out = found("--help")
    assert out.startswith("usage: gskit errors") and "exit status" in out


def one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gskit errors: ") and lines[0].endswith(".")


@pytest.mark.parametrize("args", [
    (), ("",), ("   ",), ("99999999999999999999",), ("0x1FFFFFFFF",), ("x" * 600,),
    ("--bogus", "406"), ("--family",), ("--family", "nope", "406"), ("--list", "a", "b"),
    ("--list", "nope"), ("--list", "--family", "GSK", "GSK"), ("error", "\x07"),
])
def test_bad_usage_is_one_sentence_and_exit_2(args):
    result = gskit_errors(*args)
    assert result.returncode == 2, result
    one_sentence(result.stderr)


@pytest.mark.parametrize("args", [("zzzqqq",), ("12345",), ("\u00e9\u8a3c\u660e\u66f8",),
                                  ("GSK_NOPE_NOPE_XYZ",), ("--family", "ERRNO", "406")])
def test_nothing_found_is_one_sentence_and_exit_1(args):
    result = gskit_errors(*args)
    assert (result.returncode, result.stdout) == (1, "")
    one_sentence(result.stderr)


def test_undecodable_argument_bytes():
    result = subprocess.run([sys.executable, "-m", "gskit", "errors", b"\xff\xfe"],
                            capture_output=True, timeout=TIMEOUT)
    assert result.returncode == 2
    one_sentence(result.stderr.decode("utf-8", "replace"))


def test_closed_pipe_is_quiet():
    proc = subprocess.Popen([sys.executable, "-m", "gskit", "errors", "--list", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"[\n"
        proc.stdout.close()
        stderr = proc.stderr.read()
        assert proc.wait(timeout=TIMEOUT) == 0
        assert b"Traceback" not in stderr and b"Error" not in stderr
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
        proc.stderr.close()
