"""The err.exe-style search behind `gskit errors`, in process."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gskit.errors_lookup import (
    QueryError,
    as_message_id,
    entries_of,
    lookup,
    lookup_detailed,
    parse_number,
)


def codes(query: str) -> list[tuple[str, int]]:
    return [(e.family, e.code) for e in lookup(query)]


@pytest.mark.parametrize(("token", "expected"), [
    ("406", [406]), ("0x196", [406]), ("0X196", [406]), ("196h", [406]), ("196H", [406]),
    ("1f6", [502]), ("-10", [-10]), ("+8", [8]), ("-0xA", [-10]), ("0", [0]),
    ("\u0664\u0660\u0666", [406]),  # Arabic-Indic digits are decimal digits too
    ("0xFFFFFFF6", [4294967286, -10]),  # what a C program prints for -10 with %X
    ("abc", []), ("bad", []), ("1.2", []), ("0x", []), ("h", []), ("CPDBC8A", []), ("", []),
])
def test_parse_number(token, expected):
    assert parse_number(token) == expected


@pytest.mark.parametrize("token", ["99999999999999999999", "0x1FFFFFFFF", "4294967296",
                                   "-2147483649", "9" * 5000, "-" + "9" * 20])
def test_numbers_no_family_can_hold_are_refused(token):
    with pytest.raises(QueryError, match="is out of range for a GSKit return code"):   # (never "too large"
        parse_number(token)                                                             # for -9...9)


@pytest.mark.parametrize(("token", "expected"), [
    ("CPDBC8A", "CPDBC8A"), ("cpdbc8a", "CPDBC8A"), ("CPE3406", "CPE3406"),
    ("CPBCA1", "CPDBCA1"),  # the guide's OCR dropped the D
    ("CPDBC8", None), ("CPDBCXY", None), ("GSK_OK", None), ("406", None),
])
def test_message_id_forms(token, expected):
    assert as_message_id(token) == expected


def test_a_number_shows_every_family_that_uses_it():
    assert codes("0") == [("GSK", 0), ("GSKKM", 0), ("GSKVAL", 0)]
    assert codes("8") == [("GSK", 8), ("GSKKM", 8)]
    assert codes("93") == [("GSKKM", 93)]
    assert codes("3406") == [("ERRNO", 3406)]
    assert codes("575018") == [("GSKVAL", 575018)]


@pytest.mark.parametrize("query", ["406", "0x196", "196h", "GSK_ERROR_IO", "gsk_error_io",
                                   "GSK-ERROR-IO", "GSKit error 408 GSK_ERROR_IO", "CPDBC8A"])
def test_406_in_every_form(query):
    assert ("GSK", 406) in codes(query)


def test_names_in_any_spelling_and_case():
    for name in ("GSK_IBMI_ERROR_TIMED_OUT", "gsk_os400_error_timed_out",
                 "Gsk_As400_Error_Timed_Out"):
        assert codes(name) == [("GSK", 6011)]
    assert codes("GSK_IBMI_ERROR_ASYNCHRONOUS_SOC_INIT") == [("GSK", 6019)]
    assert codes("GSK_05400_ASYNCHRONOUS_SOC_INIT") == [("GSK", 6019)]  # the guide's OCR
    assert codes("GSKKM_ERROR_SUCCESS") == [("GSKKM", 0)]
    assert codes("GSK_NO_CRLS_FOUND") == [("GSKVAL", 575040)]
    assert codes("ewouldblock") == [("ERRNO", 3406)]
    assert codes("SSL_ERROR_NOT_TRUSTED_ROOT") == [("SSL", -23)]


def test_message_ids_find_every_code_that_shares_them():
    assert codes("cpdbc8a") == [("GSK", 406), ("SSL", -10)]
    assert codes("CPDBCB7") == [("GSK", 421), ("GSK", 422), ("SSL", -97)]
    assert codes("CPDBC B1") == [("GSK", 6001), ("SSL", -91)]  # as the guide prints it
    assert codes("CPE3460") == [("GSK", 4), ("ERRNO", 3460)]
    assert codes("CPF0083") == []


@pytest.mark.parametrize("query", ["GSKit error 408", "rc=408", "return code 408.",
                                   "error: 0x198", "GSKit Error: 408 (bad password)"])
def test_pasted_sentences_find_the_number(query):
    assert codes(query) == [("GSK", 408)]


def test_words_need_all_of_them_best_first():
    found = lookup("certificate expired")
    assert [e.code for e in found[:3]] == [107, -24, 575018]
    for entry in found:
        hay = " ".join((*entry.names, entry.text)).lower()
        assert "expir" in hay and ("cert" in hay), entry
    assert codes("timeout")[0] == ("GSK", 6011)
    assert codes("would block")[0] == ("GSK", 502)
    assert codes("not trusted")[:2] == [("GSK", 6000), ("SSL", -23)]


def test_words_fall_back_to_some_of_them_then_to_spelling():
    found, note = lookup_detailed("certificate banana")
    assert found and "some of them" in note
    found, note = lookup_detailed("certficate revokd")
    assert note == "Showing results for 'certificate revoked'."
    assert ("GSK", 6017) in [(e.family, e.code) for e in found]


def test_close_names_are_offered_when_no_name_matches():
    found, note = lookup_detailed("GSK_ERROR_PKCS11_TOKEN_LABELMISMATCH")
    assert [e.code for e in found] == [430] and "close" in note
    found, _ = lookup_detailed("GSK_ATTRIBUTE_INVALID_NUMERIC")  # the guide's truncation
    assert [e.code for e in found] == [705]
    assert codes("ERROR_BAD_KEYFILE_PASSWORD") == [("GSK", 408)]


@pytest.mark.parametrize("query", ["zzzqqq", "12345", "-5", "\u8a3c\u660e\u66f8", "GSK_NOPE_NOPE_XYZ"])
def test_nothing_found_is_an_empty_list(query):
    assert lookup(query) == []


@pytest.mark.parametrize("query", ["", "   ", "x" * 501, "406\x00", "\udcff",
                                   "error 99999999999999999999"])
def test_queries_that_cannot_be_searched(query):
    with pytest.raises(QueryError):
        lookup(query)


def test_entries_of_a_family():
    assert len(entries_of("gskkm")) == 125
    assert {e.family for e in entries_of("GSK")} == {"GSK"}
    assert entries_of("nope") == []
    assert len(entries_of()) == len(entries_of("GSK")) + sum(
        len(entries_of(f)) for f in ("SSL", "GSKKM", "GSKVAL", "ERRNO"))


@given(st.text(max_size=80))
def test_lookup_never_fails_except_with_a_query_error(query):
    try:
        found = lookup(query)
    except QueryError as exc:
        assert str(exc)
    else:
        assert isinstance(found, list)
