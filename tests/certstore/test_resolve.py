"""resolve(): application IDs, keyring files, *SYSTEM, trust rules and every return code."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from certstore import (
    ApplicationDefinition,
    Entry,
    KeystoreError,
    Registry,
    ensure_dev_store,
    resolve,
    save_keystore,
    write_stash,
)
from certstore import devstore
from gskit import errors as rc


@pytest.fixture
def kdb_store(tmp_path, dev):
    path = save_keystore(tmp_path / "app.kdb", list(dev.entries), "pw")
    write_stash(tmp_path / "app.sth", "pw")
    return path


def _code(**kw) -> int:
    with pytest.raises(KeystoreError) as info:
        resolve(**kw)
    return info.value.rc


def test_dev_store_and_demo_application_ids(home):
    assert ensure_dev_store() == home
    server = resolve(application_id=devstore.DEMO_SERVER, role="server")
    assert [i.label for i in server.identities] == [
        devstore.SERVER_RSA_LABEL,
        devstore.SERVER_ECDSA_LABEL,
    ]
    assert all(i.private_key is not None for i in server.identities)
    assert server.application.application_id == devstore.DEMO_SERVER
    client = resolve(application_id=devstore.DEMO_CLIENT)
    assert [c.subject for c in client.trusted] == [server.identities[0].certificate.issuer]
    assert not client.use_system_trust
    assert b"password" not in (home / "registry.toml").read_bytes()


def test_dev_store_is_idempotent(home):
    ensure_dev_store()
    before = {p.name: p.read_bytes() for p in home.iterdir()}
    ensure_dev_store()
    assert {p.name: p.read_bytes() for p in home.iterdir()} == before


def test_dev_store_fills_an_existing_system_store(home, self_signed):
    """A *SYSTEM store made before (here with one certificate of its own) keeps it and
    gets the development entries and the demo application IDs."""
    from certstore.resolve import open_system_store

    registry = Registry()
    own = self_signed("made before")
    with registry.lock():
        data = registry.read()
        devstore.create_system_store(registry, data, [own])
        registry.write(data)
    ensure_dev_store()
    store = open_system_store(registry)
    assert store.find("made before") is not None
    assert store.find(devstore.SERVER_ECDSA_LABEL) is not None
    assert len(resolve(application_id=devstore.DEMO_SERVER, role="server").identities) == 2


def _first_use(home: str) -> None:
    ensure_dev_store(home)


def test_dev_store_concurrent_first_use(home):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_first_use, args=(str(home),)) for _ in range(3)]
    threads = [threading.Thread(target=ensure_dev_store) for _ in range(3)]
    for job in (*procs, *threads):
        job.start()
    try:
        for job in (*procs, *threads):
            job.join(timeout=60)
        assert all(p.exitcode == 0 for p in procs)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    store = resolve(keyring_file="*SYSTEM", role="server")
    assert len(resolve(application_id=devstore.DEMO_SERVER, role="server").identities) == 2
    assert store.identities[0].label == devstore.SERVER_RSA_LABEL


def test_an_application_on_the_system_store_reads_the_registry_once(home, monkeypatch):
    """The application and the *SYSTEM store it names come from one reading of the
    registry: one file read, and no mix of two versions if it changes in between."""
    ensure_dev_store()
    reads = []
    real_read = Registry.read
    monkeypatch.setattr(Registry, "read", lambda self: reads.append(1) or real_read(self))
    server = resolve(application_id=devstore.DEMO_SERVER, role="server")
    assert len(server.identities) == 2
    assert len(reads) == 1


def test_system_keyring_needs_no_password(home):
    ensure_dev_store()
    creds = resolve(keyring_file="*system", labels=[devstore.SERVER_ECDSA_LABEL], role="server")
    assert creds.identities[0].label == devstore.SERVER_ECDSA_LABEL
    assert creds.application is None


def test_not_registered():
    assert _code(application_id="NOT_THERE") == rc.GSK_IBMI_ERROR_NOT_REGISTERED


def test_application_id_wins_over_keyring_file(home, tmp_path):
    ensure_dev_store()
    creds = resolve(
        application_id=devstore.DEMO_SERVER,
        keyring_file=str(tmp_path / "missing.kdb"),
        password="wrong",
        labels=["nope"],
        role="server",
    )
    assert creds.application.application_id == devstore.DEMO_SERVER
    assert (
        _code(application_id="NOT_THERE", keyring_file="*SYSTEM")
        == rc.GSK_IBMI_ERROR_NOT_REGISTERED
    )


def test_server_without_assigned_certificate(home):
    ensure_dev_store()
    Registry().register(ApplicationDefinition("EMPTY_SERVER", type="server"))
    assert _code(application_id="EMPTY_SERVER", role="server") == rc.GSK_ERROR_NO_CERTIFICATE
    client = resolve(application_id="EMPTY_SERVER", role="client")  # a client needs none
    assert client.identities == () and len(client.trusted) == 1


def test_assigned_certificate_expired_or_keyless_or_missing(home, tmp_path, self_signed, dev):
    old = self_signed("old", days_from=-30, days_to=-1)
    bare = Entry("bare", self_signed("bare").certificate, None)
    store = save_keystore(tmp_path / "s.kdb", [old, bare], "pw")
    write_stash(tmp_path / "s.sth", "pw")
    reg = Registry()
    for app_id, label in (("OLD", "old"), ("BARE", "bare"), ("GONE", "gone")):
        reg.register(
            ApplicationDefinition(
                app_id,
                type="server",
                certificate_labels=(label,),
                store=str(store),
                stash_file=str(tmp_path / "s.sth"),
            )
        )
    assert _code(application_id="OLD", role="server") == rc.GSK_KEYFILE_CERT_EXPIRED
    assert _code(application_id="BARE", role="server") == rc.GSK_ERROR_NO_PRIVATE_KEY
    assert _code(application_id="GONE", role="server") == rc.GSK_ERROR_BAD_KEYFILE_LABEL


def test_keyring_file_errors(tmp_path, kdb_store, ibm):
    (tmp_path / "junk.kdb").write_bytes(os.urandom(1000))
    cases = [
        (
            dict(keyring_file=str(tmp_path / "missing.kdb"), password="pw"),
            rc.GSK_KEYRING_OPEN_ERROR,
        ),
        (dict(keyring_file=str(tmp_path / "junk.kdb"), password="pw"), rc.GSK_KEYRING_OPEN_ERROR),
        (dict(keyring_file=str(kdb_store)), rc.GSK_NO_KEYFILE_PASSWORD),
        (dict(keyring_file=str(kdb_store), password="wrong"), rc.GSK_ERROR_BAD_KEYFILE_PASSWORD),
        (
            dict(keyring_file=str(kdb_store), stash_file=str(ibm / "bank.sth")),
            rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
        ),
        (
            dict(keyring_file=str(kdb_store), password="pw", labels=["nope"]),
            rc.GSK_ERROR_BAD_KEYFILE_LABEL,
        ),
        (
            dict(keyring_file=str(kdb_store), password="pw", labels=["gskit-dev-ca"]),
            rc.GSK_ERROR_NO_PRIVATE_KEY,
        ),
        (
            dict(keyring_file=str(kdb_store), password="pw", labels=["a", "b", "c", "d", "e"]),
            rc.GSK_ERROR_BAD_KEYFILE_LABEL,
        ),
        (dict(keyring_file="*SYSTEM"), rc.GSK_KEYRING_OPEN_ERROR),  # no *SYSTEM store set up yet
    ]
    for kw, code in cases:
        assert _code(role="server", **kw) == code, kw


def test_keyring_default_and_labels(kdb_store, tmp_path):
    creds = resolve(
        keyring_file=str(kdb_store), stash_file=str(tmp_path / "app.sth"), role="server"
    )
    assert [i.label for i in creds.identities] == ["gskit-dev-server-rsa"]
    creds = resolve(
        keyring_file=str(kdb_store),
        password="pw",
        labels=["gskit-dev-server-ecdsa", "gskit-dev-server-rsa"],
        role="server",
    )
    assert [i.label for i in creds.identities] == ["gskit-dev-server-ecdsa", "gskit-dev-server-rsa"]


def test_server_keyring_with_only_ca_certificates(tmp_path, dev):
    path = save_keystore(tmp_path / "cas.kdb", [dev.entries[0]], "pw")
    assert (
        _code(keyring_file=str(path), password="pw", role="server") == rc.GSK_ERROR_NO_CERTIFICATE
    )
    client = resolve(keyring_file=str(path), password="pw")
    assert client.trusted == (dev.ca,) and not client.use_system_trust


def test_trust_rules(home, tmp_path, dev, self_signed):
    other_ca = self_signed("other root", ca=True)
    store = save_keystore(
        tmp_path / "t.kdb",
        [*dev.entries, Entry("other root", other_ca.certificate, None, True)],
        "pw",
    )
    write_stash(tmp_path / "t.sth", "pw")
    reg = Registry()
    common = dict(type="client", store=str(store), stash_file=str(tmp_path / "t.sth"))
    reg.register(ApplicationDefinition("LIMITED", ca_trust_list=("other root",), **common))
    reg.register(ApplicationDefinition("ALL", **common))
    assert resolve(application_id="LIMITED").trusted == (other_ca.certificate,)
    assert set(resolve(application_id="ALL").trusted) == {dev.ca, other_ca.certificate}
    no_trust = save_keystore(tmp_path / "n.kdb", [dev.entries[3]], "pw")
    creds = resolve(keyring_file=str(no_trust), password="pw")
    assert creds.trusted == () and creds.use_system_trust
    assert resolve().use_system_trust  # nothing set: a client trusts the system store
    assert _code(role="server") == rc.GSK_ERROR_NO_CERTIFICATE


def test_pkcs12_keyring_with_label(tmp_path, dev):
    path = save_keystore(tmp_path / "s.p12", [dev.entries[2], dev.entries[0]], "pw")
    creds = resolve(
        keyring_file=str(path), password="pw", labels=["gskit-dev-server-ecdsa"], role="server"
    )
    assert creds.identities[0].certificate == dev.entries[2].certificate
    assert creds.trusted == (dev.ca,)


def test_bad_role():
    with pytest.raises(ValueError):
        resolve(role="both")


# ---------------------------------------------------------------- registry paths


@pytest.mark.parametrize("store, stash", [("app.kdb", "app.sth"), ("~/app.kdb", "~/app.sth")])
def test_registry_paths_do_not_depend_on_the_current_folder(
    home, tmp_path, monkeypatch, dev, store, stash
):
    """Decision 12: a relative store path in the registry is relative to the registry folder
    (as its stash path always was) and ``~`` is the user's home, wherever the program runs."""
    monkeypatch.setenv("HOME", str(home))  # "~" is the registry folder here too
    home.mkdir()
    save_keystore(home / "app.kdb", list(dev.entries), "pw")
    write_stash(home / "app.sth", "pw")
    labels = (devstore.SERVER_RSA_LABEL,)
    Registry().register(
        ApplicationDefinition("REL", type="server", store=store, stash_file=stash,
                              certificate_labels=labels)
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    creds = resolve(application_id="REL", role="server")
    assert [i.label for i in creds.identities] == list(labels)


# ---------------------------------------------------------------- the *SYSTEM files


def _system_files(home) -> dict[str, bytes]:
    return {name: (home / name).read_bytes() for name in ("system.kdb", "system.sth")}


def test_a_forgotten_system_store_is_registered_again_not_overwritten(home):
    ensure_dev_store()
    before = _system_files(home)
    (home / "registry.toml").unlink()  # the user resets the application list
    ensure_dev_store()
    assert _system_files(home) == before
    assert len(resolve(application_id=devstore.DEMO_SERVER, role="server").identities) == 2


@pytest.mark.parametrize("damage", ["lose the store", "lose the stash", "another stash"])
def test_system_files_that_do_not_open_are_never_overwritten(home, damage):
    ensure_dev_store()
    (home / "registry.toml").unlink()
    if damage == "lose the store":
        (home / "system.kdb").unlink()
    elif damage == "lose the stash":
        (home / "system.sth").unlink()
    else:
        write_stash(home / "system.sth", "not the password")
    left = {p.name: p.read_bytes() for p in home.iterdir() if p.name.startswith("system.")}
    with pytest.raises(KeystoreError) as info:
        ensure_dev_store()
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR and "left unchanged" in str(info.value)
    assert {p.name: p.read_bytes() for p in home.iterdir() if p.name.startswith("system.")} == left
    registry = Registry()
    with pytest.raises(KeystoreError), registry.lock():  # nor by a direct call
        devstore.create_system_store(registry, registry.read(), [])
    assert {p.name: p.read_bytes() for p in home.iterdir() if p.name.startswith("system.")} == left


# ---------------------------------------------------------------- through gsk_environment_init


def test_a_damaged_certificate_fails_environment_init_with_202_not_3(tmp_path, dev, damaged):
    """A certificate whose subject does not parse (cryptography reads it lazily) fails
    gsk_environment_init with GSK_KEYRING_OPEN_ERROR, not GSK_INTERNAL_ERROR."""
    from gskit import (GSK_KEYRING_FILE, GSK_KEYRING_PW, GSK_SERVER_SESSION, GSK_SESSION_TYPE,
                       gsk_attribute_set_buffer, gsk_attribute_set_enum, gsk_environment_close,
                       gsk_environment_init, gsk_environment_open)

    bad = damaged(dev.entries[0].certificate, "subject")
    path = save_keystore(tmp_path / "bad.kdb", [dev.entries[1], Entry("bad", bad, None)], "pw")
    code, env = gsk_environment_open()
    try:
        assert gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_SERVER_SESSION) == 0
        assert gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, str(path)) == 0
        assert gsk_attribute_set_buffer(env, GSK_KEYRING_PW, "pw") == 0
        assert gsk_environment_init(env) == rc.GSK_KEYRING_OPEN_ERROR
    finally:
        gsk_environment_close(env)
