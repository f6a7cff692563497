"""The application-ID registry: TOML, validation, atomic writes, concurrent writers."""

from __future__ import annotations

import multiprocessing
import os
import sys
from certstore import _toml
from pathlib import Path

import pytest

from certstore import ApplicationDefinition, KeystoreError, Registry, registry_home
from certstore.errors import Refused
from gskit import errors as rc


def _app(app_id: str, **kw) -> ApplicationDefinition:
    return ApplicationDefinition(app_id, "test app", kw.pop("type", "server"), **kw)


def test_home_from_environment_and_default(monkeypatch, home, tmp_path):
    assert registry_home() == home
    assert registry_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("GSKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert registry_home() == tmp_path / "xdg" / "gskit"


def test_round_trip_and_human_readable(home):
    reg = Registry()
    app = _app(
        "ACME_WEB_SERVER",
        certificate_labels=("rsa", "ecdsa"),
        ca_trust_list=("root",),
        protocols=("TLSv1.3", "TLSv1.2"),
        cipher_suites=("TLS_AES_128_GCM_SHA256",),
        sni_names=("www.example.test",),
        client_auth="optional",
        store="/x/y.kdb",
        stash_file="/x/y.sth",
    )
    reg.register(app)
    assert reg.application("ACME_WEB_SERVER") == app
    doc = _toml.loads((home / "registry.toml").read_text())
    assert doc["applications"]["ACME_WEB_SERVER"]["certificate_labels"] == ["rsa", "ecdsa"]
    reg.register(_app("PLAIN"))  # settings left to the system are not written at all
    plain = _toml.loads((home / "registry.toml").read_text())["applications"]["PLAIN"]
    assert "protocols" not in plain and "client_auth" not in plain
    assert reg.application("PLAIN").protocols is None
    assert (home / "registry.toml").read_text().startswith("# gskit certificate registry")


def test_hand_edit_is_read(home):
    home.mkdir()
    (home / "registry.toml").write_text(
        '[applications."HAND_MADE"]\ntype = "client"\nca_trust_list = ["root ca"]\n# a comment\n'
    )
    app = Registry().application("HAND_MADE")
    assert (app.type, app.ca_trust_list, app.store, app.protocols) == (
        "client",
        ("root ca",),
        "*SYSTEM",
        None,
    )


def test_broken_registry_is_a_clear_error(home):
    home.mkdir()
    (home / "registry.toml").write_text("[applications\n")
    with pytest.raises(KeystoreError) as info:
        Registry().application("X")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR and "not valid TOML" in str(info.value)


def test_not_registered_duplicate_modify_remove():
    reg = Registry()
    with pytest.raises(KeystoreError) as info:
        reg.application("NOPE")
    assert info.value.rc == rc.GSK_IBMI_ERROR_NOT_REGISTERED
    reg.register(_app("A"))
    with pytest.raises(KeystoreError):
        reg.register(_app("A"))
    reg.register(_app("A", type="client"), replace_existing=True)
    assert reg.modify("A", certificate_labels=("c",)).certificate_labels == ("c",)
    reg.remove("A")
    with pytest.raises(KeystoreError) as info:
        reg.remove("A")
    assert info.value.rc == rc.GSK_IBMI_ERROR_NOT_REGISTERED


@pytest.mark.parametrize(
    "kw",
    [
        {"type": "object-signing"},
        {"certificate_labels": ("a", "b", "c", "d", "e")},
        {"certificate_labels": ("bad,label",)},
        {"protocols": ("SSLv3",)},
        {"protocols": ("TLSv9",)},
        {"cipher_suites": ("RC4-MD5",)},
        {"client_auth": "sometimes"},
        {"protocols": ()},
        {"cipher_suites": ()},
        {"sni_names": ()},
        {"sni_names": ("\x1b[31mred",)},
        {"sni_names": ("a b.test",)},
        {"sni_names": ("acme.test.",)},
        {"sni_names": ("x" * 64 + ".test",)},
    ],
)
def test_invalid_definitions(kw):
    with pytest.raises(KeystoreError):
        _app("X", **kw)


@pytest.mark.parametrize("description", ["\x1b]0;pwn\x07", "two\nlines", "two\u2028lines"])
def test_a_description_is_one_line_without_control_characters(description):
    with pytest.raises(KeystoreError) as info:
        ApplicationDefinition("X", description)
    assert "the description must be one line of text, without control characters" in str(info.value)


@pytest.mark.parametrize("app_id", ["", "has space", "a/b", "x" * 101])
def test_invalid_application_ids(app_id):
    with pytest.raises(KeystoreError):
        _app(app_id)


def test_failed_write_leaves_the_old_registry(home, monkeypatch):
    reg = Registry()
    reg.register(_app("KEEP"))
    before = (home / "registry.toml").read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        reg.register(_app("LOST"))
    monkeypatch.undo()
    assert (home / "registry.toml").read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["registry.lock", "registry.toml"]


def test_a_change_that_raises_writes_nothing(home):
    reg = Registry()
    reg.register(_app("KEEP"))
    before = (home / "registry.toml").read_bytes()
    with pytest.raises(KeystoreError):
        reg.register(_app("KEEP"))
    assert (home / "registry.toml").read_bytes() == before


def _writer(home: str, worker: int, count: int) -> None:
    reg = Registry(home)
    for i in range(count):
        reg.register(ApplicationDefinition(f"W{worker}_APP{i}", type="client"))


def test_concurrent_writers_lose_nothing(home):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(home), w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    apps = Registry(home).read().applications
    assert sorted(apps) == sorted(f"W{w}_APP{i}" for w in range(4) for i in range(15))
    _toml.loads((home / "registry.toml").read_text())
    assert not [p for p in Path(home).iterdir() if p.name.endswith(".tmp")]


def test_lock_is_exclusive_between_threads(home):
    import threading

    reg = Registry()
    order: list[str] = []

    def second() -> None:
        with reg.lock():
            order.append("second")

    with reg.lock():
        t = threading.Thread(target=second)
        t.start()
        t.join(timeout=0.3)
        assert t.is_alive()
        order.append("first")
    t.join(timeout=10)
    assert not t.is_alive()
    assert order == ["first", "second"]


def test_awkward_text_round_trips(home):
    reg = Registry()
    app = ApplicationDefinition(
        "ACME.WEB-1", 'Says "hi" and\\ ünïcode = [x]', "client", store='/srv/a\nb "q".kdb'
    )
    reg.register(app)
    assert reg.application("ACME.WEB-1") == app
    assert '[applications."ACME.WEB-1"]' in (home / "registry.toml").read_text()


def test_a_taken_application_id_is_refused_not_reported_as_not_registered():
    reg = Registry()
    reg.register(_app("A"))
    with pytest.raises(Refused) as info:
        reg.register(_app("A", type="client"))
    assert info.value.rc == rc.GSK_INVALID_PARAMETER
    assert str(info.value) == "application ID 'A' is already registered."
    assert reg.application("A").type == "server"


def test_server_names_are_host_names():
    names = ("acme.test", "*.acme.test", "xn--ls8h.test", "bücher.test", "a_b-c.test", "x" * 63)
    assert _app("S", sni_names=names).sni_names == names


def test_protocol_spellings_are_normalised():
    assert _app("P", protocols=("tls1.3", "TLSV12")).protocols == ("TLSv1.3", "TLSv1.2")


@pytest.mark.parametrize(
    "table, says",
    [
        ('certificat_labels = ["x"]', "'certificat_labels' is not a setting"),
        ('certificate_labels = "x"', "must be a list of strings"),
        ("type = 5", "must be a string"),
        ('type = "object"', "type must be one of"),
        ('description = "\\u001b]0;pwn\\u0007"', "the description must be one line of text"),
        ("protocols = []", "an empty protocols list would allow nothing"),
    ],
)
def test_a_bad_hand_edit_spoils_only_its_own_entry(home, table, says):
    home.mkdir()
    (home / "registry.toml").write_text(
        f'[applications.GOOD]\ntype = "client"\n\n[applications.BAD]\n{table}\n'
    )
    reg = Registry()
    assert reg.application("GOOD").type == "client"
    with pytest.raises(KeystoreError) as info:
        reg.application("BAD")
    assert info.value.rc == rc.GSK_IBMI_ERROR_NOT_REGISTERED and says in str(info.value)
    before = (home / "registry.toml").read_bytes()
    with pytest.raises(KeystoreError) as info:  # a write would drop BAD: refused
        reg.register(_app("NEW"))
    assert "Fix or remove it" in str(info.value)
    with pytest.raises(KeystoreError):
        reg.register(_app("BAD"))  # taken, even though it is broken
    assert (home / "registry.toml").read_bytes() == before
    reg.remove("BAD")
    reg.register(_app("NEW"))
    assert sorted(reg.read().applications) == ["GOOD", "NEW"]


def test_malformed_tables(home):
    home.mkdir()
    (home / "registry.toml").write_text('system_store = "x"\n')
    with pytest.raises(KeystoreError) as info:
        Registry().read()
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


def test_astral_and_control_characters_round_trip(home):
    """Characters above U+FFFF (written as themselves; JSON's surrogate-pair escapes are not
    TOML) keep the registry readable, in a description, paths and server names, and so do
    control characters in a path (a description and a server name cannot hold them)."""
    reg = Registry()
    app = ApplicationDefinition(
        "WEB",
        "web 🔒 \"q\" \\ \U0010fffd",
        "server",
        store="/srv/🔒/\x00\x01\x1f\x7f\t\b\f\r\n web.kdb",
        stash_file="~/𝄞 stash.sth",
        sni_names=("xn--ls8h.test", "bücher.test", "𐌰𐌱.test"),
    )
    reg.register(app)
    reg.register(_app("OTHER"))
    assert reg.application("WEB") == app
    assert sorted(reg.read().applications) == ["OTHER", "WEB"]
    text = (home / "registry.toml").read_text(encoding="utf-8")
    assert _toml.loads(text)["applications"]["WEB"]["store"] == app.store
    assert "\\ud83d" not in text.lower()


@pytest.mark.parametrize("field", ["description", "store", "stash_file", "sni_names"])
def test_text_toml_cannot_hold_is_an_invalid_definition(home, field):
    """A lone surrogate (what Python makes of command-line bytes that are not UTF-8) would
    make the registry unreadable: the definition is refused, and nothing is written."""
    value = "bad \udcff"
    with pytest.raises(KeystoreError) as info:
        ApplicationDefinition("X", **{field: (value,) if field == "sni_names" else value})
    assert info.value.rc == rc.GSK_IBMI_ERROR_NOT_REGISTERED and "Unicode" in str(info.value)
    assert not (home / "registry.toml").exists()
