"""Reading with limits and writing atomically: a store and its stash, both or neither."""

from __future__ import annotations

import pytest

from certstore import open_keystore, save_keystore
from certstore.files import MAX_FILE, atomic_write_all, read_bytes

PASSWORD = "Files-Secret-42"


def test_a_store_and_its_stash_are_written_both_or_neither(tmp_path, dev):
    """The stash cannot be written (its path is a folder): the new store is taken away again,
    and a store it was replacing is put back."""
    store, stash_file = tmp_path / "s.kdb", tmp_path / "s.sth"
    stash_file.mkdir()
    with pytest.raises(OSError) as info:
        save_keystore(store, [dev.entries[0]], PASSWORD, stash_file=stash_file)
    assert info.value.filename == str(stash_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sth"]
    save_keystore(store, [dev.entries[3]], PASSWORD)
    before = store.read_bytes()
    with pytest.raises(OSError):
        save_keystore(store, [dev.entries[0]], PASSWORD, stash_file=stash_file)
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.kdb", "s.sth"]
    stash_file.rmdir()
    save_keystore(store, [dev.entries[0]], PASSWORD, stash_file=stash_file)
    assert open_keystore(store, stash_file=stash_file).labels() == ["gskit-dev-ca"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.kdb", "s.sth"]


def test_a_failure_before_the_renames_changes_nothing(tmp_path):
    """A temporary file that cannot be made (its folder is missing) stops the write before
    any file is renamed; the temporary files already written are removed."""
    (tmp_path / "a").write_bytes(b"old a")
    with pytest.raises(FileNotFoundError) as info:
        atomic_write_all([(tmp_path / "a", b"new a"), (tmp_path / "no" / "b", b"new b")])
    assert info.value.filename == str(tmp_path / "no" / "b")
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert (tmp_path / "a").read_bytes() == b"old a"


def test_read_bytes_names_the_kind_of_file_too_large(tmp_path):
    with open(tmp_path / "pw", "wb") as f:
        f.truncate(MAX_FILE + 1)  # sparse
    with pytest.raises(Exception) as info:
        read_bytes(tmp_path / "pw", what="password file")
    assert str(info.value) == (
        f"the password file {tmp_path / 'pw'} is larger than 64 MiB, the most gskit reads."
    )
