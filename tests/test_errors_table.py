"""The return-code table against the reference, gsk_strerror, and the exception tree."""
from __future__ import annotations

import errno
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gskit import errors
from gskit.errors import (
    ENTRIES,
    GSKArgumentError,
    GSKCertificateError,
    GSKConnectionClosedError,
    GSKError,
    GSKHandshakeError,
    GSKIOError,
    GSKKeystoreError,
    GSKStateError,
    GSKTimeoutError,
    GSKWouldBlockError,
    entry_for,
    gsk_strerror,
)

REFERENCE = Path(os.environ.get(
    "GSKIT_REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "reference"))
MESSAGE_ID = re.compile(r"^CP[A-Z][0-9A-F]{4}$")
NAME = re.compile(r"\bGSK_[A-Z][A-Z0-9_]*[A-Z0-9]")  # not the OCR-damaged GSK_05400_


def reference(name: str) -> str:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"reference file {path} is absent")
    return path.read_text(encoding="utf-8")


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def table_rows(text: str) -> list[list[str]]:
    """Cells of every markdown table row whose first cell starts with a digit or a minus."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and re.match(r"^-?\d", cells[0]):
            rows.append(cells)
    return rows


def reference_return_codes() -> dict[int, set[str]]:
    """Every return code of gskit-constants.md section 5 with every spelling named there."""
    text = section(reference("gskit-constants.md"), "## 5. Return codes", "## 6.")
    codes: dict[int, set[str]] = {}
    for cells in table_rows(text):
        first = cells[0]
        if "–" in first:  # "1601–1605 | GSK_TRACE_STARTED, _STOPPED, ..."
            low, high = (int(x) for x in first.split("–"))
            stem, *suffixes = (s.strip() for s in cells[1].split(","))
            names = [stem] + ["GSK_TRACE" + s for s in suffixes]
            codes.update({code: {name} for code, name in zip(range(low, high + 1), names)})
            continue
        code = int(first)
        names: set[str] = set()
        ibmi_suffix = None
        # the main table is Value | Name | MsgID | Sources; the 6000-6019 one has three names
        for cell in cells[1:2] if len(cells) == 4 else cells[1:4]:
            if cell.startswith("…"):  # "…_ERROR_PASSWORD_EXPIRED" = the GSK_IBMI_ name
                ibmi_suffix = cell.split()[0][1:].lstrip("_")
                names.add("GSK_IBMI_" + ibmi_suffix)
            names.update(NAME.findall(cell))
        if ibmi_suffix:  # "✓ [src]" = the OS400 / AS400 spelling with the same suffix
            for prefix, cell in zip(("GSK_OS400_", "GSK_AS400_"), cells[2:4]):
                if cell.startswith("✓"):
                    names.add(prefix + ibmi_suffix)
        codes[code] = names
    return codes


def reference_family(prefix: str, marker: str) -> dict[int, set[str]]:
    """GSKKM_* or GSKVAL_* codes of gskit-constants.md section 10."""
    text = section(reference("gskit-constants.md"), "## 10.", "## 11.")
    paragraph = next(p for p in text.split("\n\n") if p.startswith(marker))
    listing = paragraph.split(": ", 1)[1]
    codes: dict[int, set[str]] = {}
    for name, value in re.findall(r"\b([A-Z][A-Z0-9_]+)(?: \(sic\))? (\d+)\b", listing):
        full = name if name.startswith(prefix.split("_")[0]) else prefix + name
        codes.setdefault(int(value), set()).add(full)
    return codes


# --- completeness against the reference --------------------------------------------------

def test_every_return_code_and_spelling_of_the_reference_is_in_the_table():
    expected = reference_return_codes()
    assert len(expected) > 110  # the parser read the whole table
    assert expected[6019] >= {"GSK_OS400_ASYNCHRONOUS_SOC_INIT",
                              "GSK_IBMI_ERROR_ASYNCHRONOUS_SOC_INIT"}
    for code, names in expected.items():
        entry = entry_for(code)
        assert entry is not None, code
        assert names <= set(entry.names), (code, names - set(entry.names))
        for name in names:
            assert getattr(errors, name) == code


def test_ibm_i_codes_have_all_three_spellings():
    for code in (*range(6000, 6006), *range(6007, 6020)):
        suffix = entry_for(code).name.removeprefix("GSK_IBMI_")
        for prefix in ("GSK_IBMI_", "GSK_OS400_", "GSK_AS400_"):
            assert getattr(errors, prefix + suffix) == code
    assert entry_for(6006) is None  # a gap in IBM's numbering
    assert errors.GSK_IBMI_ASYNCHRONOUS_SOC_INIT == errors.GSK_AS400_ASYNCHRONOUS_SOC_INIT == 6019
    assert errors.GSK_ERROR_PKCS11_TOKEN_LABELMISMATH == 430  # (sic), as IBM spells it


@pytest.mark.parametrize(("prefix", "marker", "family", "count"), [
    ("GSKKM_ERROR_", "GSKKM_*", "GSKKM", 125),
    ("GSKVAL_ERROR_", "GSKVAL_ERROR_*", "GSKVAL", 68),
])
def test_every_cross_platform_code_of_the_reference_is_in_its_family(prefix, marker, family,
                                                                     count):
    expected = reference_family(prefix, marker)
    assert len(expected) == count
    for code, names in expected.items():
        entry = entry_for(code, family)
        assert entry is not None and entry.family == family, code
        assert names <= set(entry.names), (code, names - set(entry.names))


def test_ssl_api_codes_of_the_guide_with_ocr_spaces_removed():
    guide = reference("seed-socket-programming.txt")
    rows = re.findall(r"^(-\d+)\t(CP[^\t]+)\t(SSL_ERROR_[A-Z_]+)", guide, re.MULTILINE)
    assert len(rows) == 27
    for code, message_id, name in rows:
        entry = entry_for(int(code), "SSL")
        assert entry is not None and entry.name == name
        assert entry.message_id == message_id.replace(" ", "")


def test_message_ids_are_the_corrected_ones():
    """Every row of gskit-semantics.md 6.1: our ID is among the corrected ones, same status."""
    text = section(reference("gskit-semantics.md"), "### 6.1", "### 6.2")
    rows = table_rows(text)
    assert len(rows) > 45
    for code, _constant, _ocr, corrected, status, *_ in (r[:6] for r in rows):
        entry = entry_for(int(code))
        assert entry.message_id in re.findall(r"CP[A-Z][0-9A-F]{4}", corrected), code
        want = ("UNRESOLVED" if "UNRESOLVED" in status else
                "INFERRED" if "◐" in status else "DOC")
        assert entry.message_id_status == want, code
        if want == "UNRESOLVED":
            assert entry.message_id_note


def test_the_guides_ocr_damaged_ids_are_never_used():
    guide = reference("seed-socket-programming.txt")
    rows = re.findall(r"^(\d+)\t(CP\S+)\tGSK_", guide, re.MULTILINE)
    corrected = {int(r[0]) for r in table_rows(section(
        reference("gskit-semantics.md"), "### 6.1", "### 6.2"))}
    assert len(rows) == 56
    for code, message_id in rows:
        if entry_for(int(code)).message_id != message_id:
            assert int(code) in corrected, code  # every difference is a listed correction
    assert entry_for(1).message_id == "CPDBCA1"  # the guide prints CPBCA1
    assert entry_for(3).message_id == "CPDBCB9"  # the guide's example says CPDBC89


# --- shape of the table ------------------------------------------------------------------

def test_no_two_codes_share_a_primary_name_and_every_spelling_has_one_value():
    primaries = [e.name for e in ENTRIES]
    assert len(primaries) == len(set(primaries))
    values: dict[str, int] = {}
    for entry in ENTRIES:
        for name in entry.names:
            assert values.setdefault(name, entry.code) == entry.code, name
    keys = [(e.family, e.code) for e in ENTRIES]
    assert len(keys) == len(set(keys))


def test_every_message_id_has_ibms_form_and_a_status():
    with_ids = [e for e in ENTRIES if e.message_id]
    assert len(with_ids) > 80
    for entry in ENTRIES:
        if entry.message_id is None:
            assert entry.message_id_status is None
        else:
            assert MESSAGE_ID.match(entry.message_id), entry
            assert entry.message_id_status in ("DOC", "INFERRED", "UNRESOLVED"), entry


def test_texts_are_one_ascii_line():
    for entry in ENTRIES:
        for value in (entry.text, entry.remedy or "", entry.message_id_note or ""):
            assert value.isascii() and "\n" not in value, entry
        assert entry.text.endswith("."), entry
        assert entry.family in errors.FAMILIES


def test_return_code_names_are_every_gskssl_h_spelling_and_only_those():
    """The GSK and GSKVAL families (gskssl.h), not SSL_ (ssl.h) or GSKKM (key management)."""
    names = errors.RETURN_CODE_NAMES
    assert len(names) == len(set(names))
    assert set(names) == {n for e in ENTRIES if e.family in ("GSK", "GSKVAL") for n in e.names}
    assert "GSK_OS400_ERROR_TIMED_OUT" in names and "GSKVAL_ERROR_ROOT_NOT_TRUSTED" in names
    assert "SSL_ERROR_IO" not in names and "GSKKM_ERROR_KEYDB_NOT_EXIST" not in names
    assert set(names) <= set(errors.__all__)
    assert errors.GSKKM_ERROR_KEYDB_NOT_EXIST == 93 and errors.SSL_ERROR_IO == -10
    assert errors.GSK_NO_CRLS_FOUND == 575040
    assert not hasattr(errors, "EAGAIN")  # errno names are lookup-only


def test_return_code_enum_is_built_from_the_gsk_rows():
    gsk = [e for e in ENTRIES if e.family == "GSK"]
    members = list(errors.ReturnCode)
    assert [(m.name, m.value) for m in members] == [(e.name, e.code) for e in gsk]
    assert errors.ReturnCode.GSK_ERROR_IO == 406
    assert errors.ReturnCode(6011).name == "GSK_IBMI_ERROR_TIMED_OUT"
    assert errors.ReturnCode is errors.ReturnCode  # built once
    with pytest.raises(AttributeError):
        errors.NoSuchThing  # noqa: B018


# --- gsk_strerror --------------------------------------------------------------------------

def test_strerror_of_every_gsk_code_is_its_text():
    for entry in ENTRIES:
        if entry.family == "GSK":
            assert gsk_strerror(entry.code) == entry.text
    assert gsk_strerror(406) == "An error occurred in SSL processing; check the errno value."
    assert gsk_strerror(errors.ReturnCode.GSK_WOULD_BLOCK) == (
        "Operation would have caused the process to be suspended.")
    assert gsk_strerror(-10) == entry_for(-10, "SSL").text
    assert gsk_strerror(575018) == "The certificate has expired."
    assert gsk_strerror(93) == "Unknown GSKit return code 93."  # GSKKM numbers collide
    assert gsk_strerror(6006) == "Unknown GSKit return code 6006."


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize("value", [None, "406", 4.06, b"x", [1], _BadRepr(), "x" * 500])
def test_strerror_of_non_ints_is_a_sentence(value):
    text = gsk_strerror(value)
    assert text.startswith("Not a GSKit return code: ") and len(text) < 100


@given(st.integers())
def test_strerror_never_raises(rc):
    text = gsk_strerror(rc)
    assert isinstance(text, str) and text


# --- exceptions ----------------------------------------------------------------------------

KINDS = {
    GSKCertificateError: (6000, 107, 8, 404, 413, 414, 417, 6017, 6018, 401, 405, 403, -23),
    GSKConnectionClosedError: (420, 6004, 503, -22, -98),
    GSKIOError: (406, -10),
    GSKArgumentError: (*range(701, 712), 501, 6010, 6014, 6015, 6016, 13),
    GSKStateError: (1, 5, 6007, -21),
    GSKTimeoutError: (6011,),
    GSKKeystoreError: (201, 202, 407, 408, 428, 6002, 6003, 6005, *range(102, 107)),
    GSKHandshakeError: (402, 410, 411, 412, 415, 421, 422, 439),
    GSKWouldBlockError: (502,),
    GSKError: (0, 3, 6012, 6013, 6019, 123456),
}


@pytest.mark.parametrize("klass", list(KINDS), ids=lambda k: k.__name__)
def test_for_rc_returns_the_class_of_the_codes_kind(klass):
    for rc in KINDS[klass]:
        exc = GSKError.for_rc(rc, "detail")
        assert type(exc) is klass, rc
        assert exc.rc == rc and exc.detail == "detail"


def test_every_gsk_code_maps_to_an_exception_with_its_identity():
    for entry in ENTRIES:
        if entry.family != "GSK":
            continue
        exc = GSKError.for_rc(entry.code)
        assert isinstance(exc, GSKError) and type(exc).__name__ == entry.exception
        assert (exc.rc, exc.name, exc.message_id, exc.text) == (
            entry.code, entry.name, entry.message_id, entry.text)


def test_error_string_names_code_message_id_text_and_detail():
    exc = GSKError.for_rc(406, "peer reset", errno=104)
    assert str(exc) == ("GSK_ERROR_IO (406, CPDBC8A): An error occurred in SSL processing; "
                        "check the errno value: peer reset")
    assert exc.errno == 104
    assert str(GSKError(6)) == ("GSK_KEY_LABEL_NOT_FOUND (6): The certificate label was not "
                                "found in the certificate store.")
    unknown = GSKError(99999)
    assert (unknown.name, unknown.message_id) == ("GSK_UNKNOWN_RC", None)
    assert str(unknown) == "GSK_UNKNOWN_RC (99999): Unknown GSKit return code 99999."
    assert repr(exc) == "GSKIOError(rc=406, detail='peer reset')"


def test_subclasses_carry_a_default_rc_and_builtin_bases():
    assert GSKTimeoutError().rc == 6011 and isinstance(GSKTimeoutError(), TimeoutError)
    assert GSKTimeoutError().errno == errno.ETIMEDOUT
    assert GSKWouldBlockError().rc == 502 and isinstance(GSKWouldBlockError(), BlockingIOError)
    assert GSKWouldBlockError().errno == errno.EAGAIN
    assert GSKError.for_rc(406).errno is None
    assert GSKError.for_rc(406, errno=errno.ECONNRESET).errno == errno.ECONNRESET
    closed = GSKConnectionClosedError(6004)
    assert isinstance(closed, GSKIOError) and isinstance(closed, ConnectionError)
    assert closed.errno is None and closed.name == "GSK_IBMI_ERROR_CLOSED"
    assert isinstance(GSKArgumentError(), ValueError)
    assert GSKStateError().name == "GSK_INVALID_STATE"
    assert GSKError().rc == 3
    with pytest.raises(TypeError):
        GSKError("406")


@pytest.mark.parametrize("rc", [406, 420, 6011, 502, 8, 0, 99999])
def test_errors_survive_pickling(rc):
    exc = GSKError.for_rc(rc, "why", errno=32, peer="127.0.0.1")
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc) and str(copy) == str(exc)
    assert copy.errno == 32 and copy.peer == "127.0.0.1"


def test_importing_the_lookup_loads_no_tls_library_and_no_typing():
    """``gskit errors`` starts fast: its imports load no TLS library, and not ``typing``
    (about 4 ms of a 30 ms start) unless the interpreter had it already."""
    code = ("import sys; had_typing = 'typing' in sys.modules; "
            "import gskit.errors, gskit.errors_lookup, gskit.cli, gskit.cli.errors_cmd; "
            "bad = [m for m in ('ssl', '_ssl', 'OpenSSL', 'cryptography') if m in sys.modules]; "
            "bad += ['typing'] if 'typing' in sys.modules and not had_typing else []; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
