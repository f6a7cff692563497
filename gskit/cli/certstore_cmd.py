"""``gskit certstore``: keystores and the application-ID registry (the DCM stand-in)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator, Sequence

from certstore import devstore, stash
from certstore.errors import KeystoreError, Refused, quoted
from certstore.files import read_bytes
from certstore.keystore import (FORMATS, format_for_path, open_keystore, password_for,
                                save_keystore)
from certstore.model import Entry, InvalidLabel, Keystore, check_label
from certstore.registry import (SYSTEM, ApplicationDefinition, InvalidDefinition, Registry,
                                is_system, normalise_protocols)
from certstore.report import application_info, entry_info, entry_kind
from certstore.resolve import open_system_store
from gskit import errors as rc
from gskit.cli import printable
from gskit.cli.usage import Parser

PROG = "gskit certstore"
NOT_FOUND_RCS = frozenset({rc.GSK_IBMI_ERROR_NOT_REGISTERED, rc.GSK_ERROR_BAD_KEYFILE_LABEL})


class UsageError(Exception):
    """Bad usage: one sentence, exit 2."""


class NotFound(Exception):
    """The thing asked for does not exist: one sentence, exit 1."""


@contextlib.contextmanager
def _writing(what: object) -> Iterator[None]:
    """Turn a failure to write ``what`` (a file or folder) into one sentence that names it."""
    try:
        yield
    except OSError as exc:
        name = exc.filename if exc.filename is not None else what
        raise UsageError(f"could not write {name} ({exc.strerror or exc}).") from None


def _say(text: object) -> None:
    """One line of text output on stdout (JSON output is printed as it is: it is escaped)."""
    print(printable(text))


def _note(message: str) -> None:
    """A note on stderr: something the user should know, the command goes on."""
    print(f"{PROG}: note: {printable(message)}", file=sys.stderr)


def _tell(args: argparse.Namespace, text: object) -> None:
    """The one line a command prints to say what it did; nothing in --json mode, where the
    object that :func:`_result` prints says it instead."""
    if not args.json:
        _say(text)


def _result(args: argparse.Namespace, command: str, **fields: Any) -> None:
    """With --json, one object on stdout: ``command`` first, then ``fields`` (no password or
    key material ever goes in; JSON escapes control characters itself)."""
    if args.json:
        print(json.dumps({"command": command, **fields}, indent=2))


def _abs(path: str | os.PathLike[str]) -> str:
    """``path`` as an absolute path (for --json), without resolving links."""
    return os.path.abspath(os.fspath(path))


def _entry_json(entry: Entry) -> dict[str, Any]:
    """An entry as ``list --json`` shows it: its label, its kind (key, ca, cert), then
    :func:`certstore.report.entry_info`.  Certificate facts only, never the key."""
    info = entry_info(entry)
    return {"label": info.pop("label"), "kind": entry_kind(entry), **info}


def _nonempty(flag: str) -> Callable[[str], str]:
    """An argparse type for ``flag``: the value as typed, but an empty one is bad usage (it is
    not "not given").  UsageError passes through argparse, which catches only its own errors,
    ValueError and TypeError, so this is one sentence like every other failure."""

    def check(value: str) -> str:
        if not value:
            raise UsageError(f"{flag} is empty; give a value or leave the option out.")
        return value

    return check


# ---------------------------------------------------------------- passwords


def _password_from(
    args: argparse.Namespace, prefix: str, prompt: str | None, confirm: bool = False
) -> str | None:
    """A password from --PREFIXpassword-file, --PREFIXpassword-env, or a prompt on a terminal."""
    path = getattr(args, f"{prefix}password_file", None)
    env = getattr(args, f"{prefix}password_env", None)
    if path:
        try:
            text = read_bytes(path, what="password file", regular_only=False).decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"the password file {path} is not UTF-8 text.") from None
        return text.splitlines()[0] if text else ""
    if env:
        if env not in os.environ:
            raise UsageError(f"the environment variable {env} is not set.")
        return os.environ[env]
    if prompt and sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        if confirm and getpass.getpass(f"{prompt} (again): ") != first:
            raise UsageError("the two passwords do not match.")
        return first
    return None


def _store_secret(
    args: argparse.Namespace, path: str, prefix: str = ""
) -> tuple[str | None, str | None]:
    """(password, stash file) for an existing store: given, else its sibling .sth, else a prompt.

    Asked once per command: the answer is kept on ``args``."""
    cache = args.__dict__.setdefault("_secrets", {})
    if (path, prefix) not in cache:
        cache[(path, prefix)] = _find_secret(args, path, prefix)
    return cache[(path, prefix)]


def _find_secret(args: argparse.Namespace, path: str, prefix: str) -> tuple[str | None, str | None]:
    stash_file = getattr(args, f"{prefix}stash_file", None)
    if getattr(args, f"{prefix}password_file", None) or getattr(
        args, f"{prefix}password_env", None
    ):
        return _password_from(args, prefix, None), None
    if stash_file:
        return None, stash_file
    sibling = _stash_beside(path)
    if sibling.exists():
        return None, str(sibling)
    return _password_from(args, prefix, f"Password for {path}"), None


# ---------------------------------------------------------------- stores


def _registry(args: argparse.Namespace) -> Registry:
    return Registry(args.home)


def _stash_beside(path: str | Path) -> Path:
    """The .sth next to a store file (``store.kdb`` -> ``store.sth``)."""
    if not Path(path).name or Path(path).is_dir():
        raise UsageError(f"{path} is a directory, not a file.")
    return Path(path).with_suffix(".sth")


def _require_file(path: str) -> None:
    if not Path(path).exists():
        raise NotFound(f"{path} does not exist.")


def _open(
    args: argparse.Namespace, path: str, prefix: str = "", *, require_password: bool = True
) -> Keystore:
    if is_system(path):
        return open_system_store(_registry(args))
    _require_file(path)
    password, stash_file = _store_secret(args, path, prefix)
    explicit = bool(password) or bool(getattr(args, f"{prefix}stash_file", None))
    try:
        return open_keystore(path, password, stash_file, require_password=require_password)
    except KeystoreError as exc:
        if require_password or explicit or exc.rc != rc.GSK_ERROR_BAD_KEYFILE_PASSWORD:
            raise
        _note(str(exc))  # a sibling stash that does not open it
        return open_keystore(path, require_password=False)


def _save(
    args: argparse.Namespace,
    path: str,
    entries: list[Entry],
    password: str | None,
    fmt: str | None = None,
) -> Path:
    """Encode everything first, then replace the file in one step (bad input never changes it).

    Returns the file written (for ``*SYSTEM``, the system store's)."""
    target = Path(path)
    if is_system(path):
        store_path, stash_path = _registry(args).system_store()
        target, password = store_path, stash.read(stash_path) if stash_path else password
    with _writing(target):
        save_keystore(target, entries, password, fmt)
    return target


def _store_password(args: argparse.Namespace, path: str) -> str | None:
    """The password to write ``store`` back with (the one that opened it)."""
    if is_system(path):
        return None
    return password_for(*_store_secret(args, path))


# ---------------------------------------------------------------- commands


def cmd_create(args: argparse.Namespace) -> int:
    if is_system(args.store):
        return _create_system(args)
    for path in (Path(args.store), *([_stash_beside(args.store)] if args.stash else [])):
        if path.exists():
            raise UsageError(f"{path} already exists; it was left unchanged.")
    fmt = args.format or format_for_path(args.store)
    if fmt == "pem":
        raise UsageError(
            "a PEM keystore cannot be empty; use 'import' to write one, or a .kdb or .p12 store."
        )
    password = _password_from(args, "", f"New password for {args.store}", confirm=True)
    if fmt == "kdb" and not password:
        raise UsageError(
            "a .kdb store needs a password: use --password-file, --password-env "
            "or a terminal prompt."
        )
    stash_file = _stash_beside(args.store) if args.stash else None
    with _writing(args.store):  # the store and its stash: both or neither
        save_keystore(args.store, [], password, fmt, stash_file=stash_file)
    _tell(args, f"created {fmt} store {args.store}" + (" and its stash file" if args.stash else ""))
    written = [_abs(args.store), *([_abs(stash_file)] if stash_file else [])]
    _result(args, "create", written=written, store=written[0], format=fmt,
            stash_file=written[1] if stash_file else None, system=False, created=True)
    return 0


def _create_system(args: argparse.Namespace) -> int:
    registry = _registry(args)
    with _writing(registry.home), registry.lock():
        data = registry.read()
        if devstore.system_store_exists(registry, data):
            raise UsageError(f"the *SYSTEM store already exists in {registry.home}.")
        adopted = devstore.adopt_system_store(registry, data)  # never overwrites its files
        if not adopted:
            devstore.create_system_store(registry, data, [])
        registry.write(data)
    if adopted:
        _tell(
            args,
            f"registered the *SYSTEM store already in {registry.home} (the registry had lost it)",
        )
    else:
        _tell(args, f"created the *SYSTEM store in {registry.home}")
    store_path, stash_path = registry.system_store(data)
    store_file, stash_file = _abs(store_path), _abs(stash_path) if stash_path else None
    written = [_abs(registry.path)] if adopted else [store_file, stash_file, _abs(registry.path)]
    _result(args, "create", written=written, store=store_file, format="kdb",
            stash_file=stash_file, system=True, created=not adopted)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _open(args, args.store, require_password=False)
    if args.json:
        print(
            json.dumps(
                {
                    "store": args.store,
                    "format": store.format,
                    "verified": store.verified,
                    "entries": [_entry_json(e) for e in store.entries],
                },
                indent=2,
            )
        )
        return 0
    if not store.verified:
        _note(f"no password was given, so {args.store} was not verified and keys are not shown.")
    if not store.entries:
        _say(f"{args.store}: no entries")
        return 0
    _say(f"{'LABEL':<28} {'KIND':<4} {'KEY TYPE':<16} {'EXPIRES':<10} SUBJECT")
    for e in store.entries:
        info = entry_info(e)
        _say(
            f"{e.label:<28} {entry_kind(e):<4} {info['key_type']:<16} "
            f"{info['not_after'][:10]:<10} {info['subject']}"
        )
    return 0


def _relabel(entries: list[Entry], label: str | None, trusted: bool) -> list[Entry]:
    if label is not None:
        keyed = [e for e in entries if e.private_key is not None]
        target = keyed[0] if len(keyed) == 1 else (entries[0] if len(entries) == 1 else None)
        if target is None:
            raise UsageError(
                "--label needs a file with exactly one private key or one certificate."
            )
        entries = [
            Entry(label, e.certificate, e.private_key, e.trusted) if e is target else e
            for e in entries
        ]
    if trusted:
        entries = [
            Entry(e.label, e.certificate, e.private_key, e.private_key is None) for e in entries
        ]
    return entries


def _merge_into(
    args: argparse.Namespace, store: Keystore, incoming: list[Entry], advice: str
) -> tuple[Path, list[str]]:
    """Write ``incoming`` into ``args.store``: a label already there is an error unless
    ``--replace``, which puts the new entry in its place.  Returns the file written and the
    labels replaced."""
    taken = {e.label for e in store.entries}
    clash = [e.label for e in incoming if e.label in taken]
    if clash and not args.replace:
        raise UsageError(f"{args.store} already has an entry labelled {clash[0]!r}; {advice}.")
    names = {e.label for e in incoming}
    merged = [e for e in store.entries if e.label not in names] + incoming
    target = _save(args, args.store, merged, _store_password(args, args.store), store.format)
    return target, clash


def cmd_import(args: argparse.Namespace) -> int:
    store = _open(args, args.store)
    source = _open(args, args.file, "in_")
    incoming = _relabel(source.entries, args.label, args.trusted)
    target, replaced = _merge_into(args, store, incoming, "use --replace or --label")
    _tell(
        args,
        f"imported {len(incoming)} entr{'y' if len(incoming) == 1 else 'ies'} into {args.store}: "
        + ", ".join(repr(e.label) for e in incoming),
    )
    _result(args, "import", written=[_abs(target)], store=_abs(target), format=store.format,
            system=is_system(args.store), source=_abs(args.file), source_format=source.format,
            added=[_entry_json(e) for e in incoming], replaced=replaced)
    return 0


def _write_out(args: argparse.Namespace, entries: list[Entry], out: str) -> dict[str, Any]:
    """Write ``entries`` to ``out``; returns what --json says about it."""
    fmt = args.format or format_for_path(out, default="pem")
    has_keys = any(e.private_key is not None for e in entries)
    password = _password_from(
        args, "out_", f"Password for {out}" if has_keys or fmt == "kdb" else None, confirm=True
    )
    if has_keys and not password and not args.no_key_password and fmt != "kdb":
        raise UsageError(
            f"{out} would hold private keys without a password; give --out-password-file, "
            "--out-password-env or --no-key-password."
        )
    if fmt == "kdb" and not password:
        raise UsageError("a .kdb needs a password: give --out-password-file or --out-password-env.")
    stash_file = _stash_beside(out) if args.stash and fmt == "kdb" else None
    for path in (Path(out), *([stash_file] if stash_file else [])):
        if path.exists() and not args.force:
            raise UsageError(f"{path} already exists; use --force to replace it.")
    with _writing(out):  # the store and its stash: both or neither
        save_keystore(out, entries, password, fmt, stash_file=stash_file)
    written = [_abs(out), *([_abs(stash_file)] if stash_file else [])]
    return {
        "written": written,
        "out": written[0],
        "format": fmt,
        "stash_file": written[1] if stash_file else None,
        "password_protected": bool(password),
    }


def cmd_export(args: argparse.Namespace) -> int:
    store = _open(args, args.store)
    if args.label:
        chosen = [store.get(label) for label in args.label]
        if args.chain:
            extra = [c for e in chosen for c in store.chain_for(e.certificate)]
            chosen += [e for e in store.entries if e.certificate in extra and e not in chosen]
    else:
        chosen = list(store.entries)
    if not chosen:
        raise NotFound(f"{args.store} has no entries to export.")
    out = _write_out(args, chosen, args.out)
    _tell(args, f"exported {len(chosen)} entr{'y' if len(chosen) == 1 else 'ies'} to {args.out}")
    store_file = (
        _abs(_registry(args).system_store()[0]) if is_system(args.store) else _abs(args.store)
    )
    _result(args, "export", written=out.pop("written"), store=store_file,
            system=is_system(args.store), **out, entries=[_entry_json(e) for e in chosen])
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    source = _open(args, args.source, "in_")
    out = _write_out(args, list(source.entries), args.out)
    _tell(args, f"converted {args.source} ({source.format}) to {args.out}")
    source_file = (
        _abs(_registry(args).system_store()[0]) if is_system(args.source) else _abs(args.source)
    )
    _result(args, "convert", written=out.pop("written"), source=source_file,
            source_format=source.format, **out, entries=[_entry_json(e) for e in source.entries])
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    store = _open(args, args.store)
    removed = store.get(args.label)
    kept = [e for e in store.entries if e.label != args.label]
    target = _save(args, args.store, kept, _store_password(args, args.store), store.format)
    _tell(args, f"removed {args.label!r} from {args.store}")
    _result(args, "remove", written=[_abs(target)], store=_abs(target), format=store.format,
            system=is_system(args.store), removed=[_entry_json(removed)])
    return 0


def cmd_stash(args: argparse.Namespace) -> int:
    _require_file(args.store)
    password = _password_from(args, "", f"Password for {args.store}")
    if not password:
        raise UsageError(
            "give the store's password with --password-file, --password-env or a terminal prompt."
        )
    open_keystore(args.store, password)  # the password must open the store before it is stashed
    try:
        open_keystore(args.store)
    except KeystoreError:
        pass  # it needs the password: what a stash file is for
    else:
        raise UsageError(
            f"{args.store} opens without a password, so a stash file would protect nothing; "
            "stash the password of a .kdb, or of a .p12 or PEM file that has one."
        )
    out = Path(args.out) if args.out else _stash_beside(args.store)
    if out.exists() and not args.force and not stash.is_stash(out):
        raise UsageError(f"{out} already exists and is not a stash file; use --force to replace it.")
    replaced = out.exists()
    with _writing(out):
        stash.write(out, password)
    _tell(
        args,
        f"wrote {out} (version-1 stash: obfuscated, not encrypted; protect it like the password)",
    )
    _result(args, "stash", written=[_abs(out)], store=_abs(args.store), stash_file=_abs(out),
            version=1, replaced=replaced)
    return 0


def cmd_dev_ca(args: argparse.Namespace) -> int:
    if not (args.out or args.store or args.system):
        raise UsageError("say where the certificates go: --out DIR, --store STORE and/or --system.")
    written: list[str] = []
    system: dict[str, Any] | None = None
    if args.system:
        registry = _registry(args)
        before = _file_states(registry)
        with _writing(registry.home):
            home = devstore.ensure_dev_store(args.home)
        _tell(args, f"*SYSTEM store and demo application IDs ready in {home}")
        written += [path for path, state in _file_states(registry).items() if state != before[path]]
        store_path, stash_path = registry.system_store()
        system = {
            "home": _abs(registry.home),
            "registry": _abs(registry.path),
            "store": _abs(store_path),
            "stash_file": _abs(stash_path) if stash_path else None,
            "applications": [a.application_id for a in devstore.DEMO_APPLICATIONS],
        }
    dev = devstore.make_dev_certificates()
    files: list[dict[str, str]] = []
    if args.out:
        with _writing(args.out):
            paths = devstore.write_dev_files(dev, args.out)
        for path in paths:
            _tell(args, f"wrote {path}")
        files = [{"path": _abs(path), "label": label}
                 for path, label in zip(paths, devstore.DEV_FILES.values())]
        written += [f["path"] for f in files]
    added: list[dict[str, Any]] = []
    replaced: list[str] = []
    store_file = None
    if args.store:
        store = _open(args, args.store)
        target, replaced = _merge_into(args, store, list(dev.entries), "use --replace")
        _tell(args, f"imported the development CA and certificates into {args.store}")
        store_file = _abs(target)
        written += [store_file] if store_file not in written else []
        added = [_entry_json(e) for e in dev.entries]
    _result(args, "dev-ca", written=written, system=system,
            out=_abs(args.out) if args.out else None, files=files,
            store=store_file, added=added, replaced=replaced)
    return 0


def _file_states(registry: Registry) -> dict[str, tuple[int, int, int] | None]:
    """(inode, size, mtime) of each file ``dev-ca --system`` may write, None when absent: a
    file whose state changed was written (every write replaces the file by a rename)."""
    states: dict[str, tuple[int, int, int] | None] = {}
    names = (devstore.SYSTEM_STORE_FILE, devstore.SYSTEM_STASH_FILE, "dev-ca.pem")
    for path in (*(registry.home / name for name in names), registry.path):
        try:
            st = path.stat()
        except OSError:
            states[_abs(path)] = None
        else:
            states[_abs(path)] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return states


def cmd_home(args: argparse.Namespace) -> int:
    registry = _registry(args)
    _tell(args, registry.home)
    _result(args, "home", home=_abs(registry.home), registry=_abs(registry.path),
            exists=registry.path.exists())
    return 0


# ---------------------------------------------------------------- application IDs


def _split(values: Sequence[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(x.strip() for v in values for x in v.split(",") if x.strip())


def _app_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The optional per-application settings given on the command line."""
    settings: dict[str, Any] = {}
    if args.protocols is not None:
        try:
            settings["protocols"] = normalise_protocols(_split(args.protocols) or ())
        except ValueError as exc:
            raise UsageError(f"{exc}.") from None
    for field, value in (("cipher_suites", args.ciphers), ("sni_names", args.sni)):
        if value is not None:
            settings[field] = _split(value)
    for field in ("client_auth", "description"):
        if getattr(args, field) is not None:
            settings[field] = getattr(args, field)
    if args.label is not None:
        settings["certificate_labels"] = tuple(args.label)
    if args.ca is not None:
        settings["ca_trust_list"] = tuple(args.ca)
    return settings


def _check_suites(names: Sequence[str] | None) -> None:
    """Every cipher suite named must be one gskit knows (the registry checks only the form)."""
    from gskit.attributes.ciphers import suite_by_name

    unknown = [name for name in names or () if suite_by_name(name) is None]
    if unknown:
        which = (
            f"{quoted(unknown[0])} is not a cipher suite"
            if len(unknown) == 1
            else f"{quoted(unknown[0])} and {len(unknown) - 1} other name(s) are not cipher suites"
        )
        raise UsageError(f"{which} gskit knows; give IANA names such as TLS_AES_128_GCM_SHA256.")


def _check_store(
    args: argparse.Namespace, app: ApplicationDefinition, labels: Sequence[str], shown: str
) -> None:
    """The store ``app`` names must exist and hold ``labels``, as ``gsk_environment_init``
    will open it: with its registered stash file only.  When it cannot be opened without a
    password, a note says so (the labels are still checked where they can be read)."""
    path, stash_file = _registry(args).store_files(app)  # as resolve() will find them
    if not path.exists():
        where = f"*SYSTEM store {path}" if is_system(app.store) else f"store {shown}"
        raise NotFound(f"the {where} does not exist.")
    if stash_file is not None and not stash_file.exists() and not is_system(app.store):
        given = getattr(args, "stash_file", None) or stash_file  # as typed, at registration
        raise NotFound(f"the stash file {given} does not exist.")
    try:
        store: Keystore | None = open_keystore(path, stash_file=stash_file)
    except KeystoreError as exc:
        if exc.rc != rc.GSK_NO_KEYFILE_PASSWORD:
            raise
        _note(
            f"{shown} needs a password and no stash file is registered for it, "
            "so gsk_environment_init will fail with GSK_NO_KEYFILE_PASSWORD (201): "
            "register it with --stash-file."
        )
        try:
            store = open_keystore(path, require_password=False)  # a .kdb's labels are in clear
        except KeystoreError:
            store = None
    if store is None:
        if labels:
            _note("the labels were not checked.")
        return
    missing = [label for label in labels if store.find(label) is None]
    if missing:
        raise NotFound(f"there is no certificate labelled {quoted(missing[0])} in {shown}.")


def _labels_given(args: argparse.Namespace) -> list[str]:
    return [*(args.label or ()), *(args.ca or ())]


def cmd_app_register(args: argparse.Namespace) -> int:
    store = args.store or SYSTEM
    try:
        app = ApplicationDefinition(
            args.application_id,
            type=args.type,
            store=store if is_system(store) else str(Path(store).resolve()),
            stash_file=str(Path(args.stash_file).resolve()) if args.stash_file else None,
            **_app_settings(args),
        )
    except InvalidDefinition as exc:
        raise UsageError(str(exc)) from None
    _check_suites(app.cipher_suites)
    registry = _registry(args)
    if not args.replace:  # before the store's notes (checked again under the lock)
        registry.require_unregistered(app.application_id)
    _check_store(args, app, _labels_given(args), store)
    old = registry.read().applications.get(app.application_id) if args.replace else None
    with _writing(registry.path):
        registry.register(app, replace_existing=args.replace)
    _tell(args, f"registered {app.application_id} ({app.type})")
    _app_result(args, "app register", registry, app.application_id, old, app)
    return 0


def _app_result(
    args: argparse.Namespace,
    command: str,
    registry: Registry,
    app_id: str,
    old: ApplicationDefinition | None,
    new: ApplicationDefinition | None,
) -> None:
    """--json for the app commands: the definition before and after (as ``app show --json``
    shows it; null when there was or is none) and the names of the settings that changed."""
    before = application_info(old) if old is not None else None
    after = application_info(new) if new is not None else None
    keys = [k for k in (after or before or {}) if k != "application_id"]
    missing = object()
    changed = [k for k in keys if (before or {}).get(k, missing) != (after or {}).get(k, missing)]
    _result(args, command, written=[_abs(registry.path)], registry=_abs(registry.path),
            application_id=app_id, before=before, after=after, changed=changed)


def cmd_app_assign(args: argparse.Namespace) -> int:
    changes = _app_settings(args)
    if not changes:
        raise UsageError("nothing to change: give --label, --ca or a setting.")
    registry = _registry(args)
    old = registry.application(args.application_id)
    try:
        new = replace(old, **changes)
    except InvalidDefinition as exc:
        raise UsageError(str(exc)) from None
    _check_suites(changes.get("cipher_suites"))
    labels = _labels_given(args)
    if labels:
        _check_store(args, new, labels, new.store)
    try:
        with _writing(registry.path):
            app = registry.modify(args.application_id, **changes)
    except InvalidDefinition as exc:  # the definition changed meanwhile
        raise UsageError(str(exc)) from None
    _tell(
        args,
        f"updated {app.application_id}: "
        f"certificates {', '.join(app.certificate_labels) or '(none)'}",
    )
    _app_result(args, "app assign", registry, app.application_id, old, app)
    return 0


def cmd_app_remove(args: argparse.Namespace) -> int:
    registry = _registry(args)
    old = registry.read().applications.get(args.application_id)  # None: an invalid entry
    with _writing(registry.path):
        registry.remove(args.application_id)
    _tell(args, f"removed {args.application_id}")
    _app_result(args, "app remove", registry, args.application_id, old, None)
    return 0


def cmd_app_show(args: argparse.Namespace) -> int:
    info = application_info(_registry(args).application(args.application_id))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            shown = (
                ", ".join(value)
                if isinstance(value, list)
                else ("(default)" if value is None else value)
            )
            _say(f"{key:<20} {shown}")
    return 0


def cmd_app_list(args: argparse.Namespace) -> int:
    """The valid definitions on stdout, a sentence on stderr for each invalid one (hand
    edits); exit 1 when there are none at all, 2 when only invalid ones."""
    data = _registry(args).read()
    apps = data.applications
    for exc in data.broken.values():
        _fail(f"{exc.name} ({exc.rc}): {exc}", 2)
    missing = 0 if apps else 2 if data.broken else 1
    if args.json:  # exit 1 when there are none, as in text: "nothing found" (cli.md)
        print(json.dumps([application_info(a) for a in apps.values()], indent=2))
        return missing
    if not apps:
        if not data.broken:
            _say("no application IDs are registered")
        return missing
    for app in apps.values():
        _say(
            f"{app.application_id:<32} {app.type:<6} "
            f"{', '.join(app.certificate_labels) or '-':<40} {app.description}"
        )
    return 0


# ---------------------------------------------------------------- parser


def _label(text: str) -> str:
    try:
        return check_label(text)
    except KeystoreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _password_options(
    p: argparse.ArgumentParser, prefix: str = "", what: str = "the store", stash_opt: bool = True
) -> None:
    flag = f"--{prefix.replace('_', '-')}"
    p.add_argument(
        f"{flag}password-file",
        type=_nonempty(f"{flag}password-file"),
        metavar="PATH",
        help=f"read the password of {what} from the first line of PATH",
    )
    p.add_argument(
        f"{flag}password-env",
        type=_nonempty(f"{flag}password-env"),
        metavar="NAME",
        help=f"read the password of {what} from environment variable NAME",
    )
    if stash_opt:
        p.add_argument(
            f"{flag}stash-file",
            type=_nonempty(f"{flag}stash-file"),
            metavar="PATH",
            help=f"the stash file of {what} (default: its .sth sibling)",
        )


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the file name)")
    _password_options(p, "out_", "the output file", stash_opt=False)
    p.add_argument(
        "--no-key-password", action="store_true", help="allow private keys without a password"
    )
    p.add_argument(
        "--stash", action="store_true", help="also write a .sth stash next to a .kdb output"
    )
    p.add_argument("--force", action="store_true", help="replace an existing output file")


def _app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--description")
    p.add_argument(
        "--label", action="append", type=_label, help="an assigned certificate (repeat, 1 to 4)"
    )
    p.add_argument(
        "--ca",
        action="append",
        type=_label,
        help="a CA certificate label for the trust list (repeat)",
    )
    p.add_argument(
        "--protocols", action="append", help="e.g. TLSv1.3,TLSv1.2 (default: the system's)"
    )
    p.add_argument("--ciphers", action="append", help="IANA cipher-suite names in preference order")
    p.add_argument("--sni", action="append", help="server names this application answers for")
    p.add_argument("--client-auth", choices=("none", "optional", "required"))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Manage keystores and the application-ID registry "
        "(the stand-in for IBM i's Digital Certificate Manager).",
    )
    parser.add_argument(
        "--home",
        type=_nonempty("--home"),
        help="registry folder (default: $GSKIT_HOME or the per-user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_text: str,
        parent: Any = sub,
        json_help: str = "print one JSON object saying what was written (docs/certstore.md)",
    ) -> argparse.ArgumentParser:
        """A subcommand; every one has --json (cli.md)."""
        p = parent.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help=json_help)
        return p

    p = add("create", cmd_create, "create an empty keystore (.kdb, .p12) or the *SYSTEM store")
    p.add_argument("store")
    p.add_argument("--format", choices=FORMATS)
    p.add_argument("--stash", action="store_true", help="also write a .sth stash file")
    _password_options(p, stash_opt=False)

    p = add("list", cmd_list, "list a keystore's labels, subjects, expiry and key types",
            json_help="print the store and its entries as one JSON object")
    p.add_argument("store", help="a keystore file or *SYSTEM")
    _password_options(p)

    p = add("import", cmd_import, "import certificates and keys from a PKCS#12, PEM or .kdb file")
    p.add_argument("store")
    p.add_argument("file")
    p.add_argument(
        "--label", type=_label, help="label for the imported key (or single certificate)"
    )
    p.add_argument(
        "--trusted", action="store_true", help="mark imported certificates as trusted CAs"
    )
    p.add_argument("--replace", action="store_true", help="replace entries with the same labels")
    _password_options(p)
    _password_options(p, "in_", "the file imported")

    p = add("export", cmd_export, "export entries (default all) to a PKCS#12, PEM or .kdb file")
    p.add_argument("store")
    p.add_argument("out")
    p.add_argument("--label", action="append", type=_label)
    p.add_argument(
        "--chain", action="store_true", help="add the intermediates of the exported certificates"
    )
    _password_options(p)
    _output_options(p)

    p = add("convert", cmd_convert, "convert a keystore to another format")
    p.add_argument("source")
    p.add_argument("out")
    _password_options(p, "in_", "the source")
    _output_options(p)

    p = add("remove", cmd_remove, "remove one entry from a keystore")
    p.add_argument("store")
    p.add_argument("--label", required=True, type=_label)
    _password_options(p)

    p = add("stash", cmd_stash, "write a .sth stash file for a store that a password protects")
    p.add_argument("store")
    p.add_argument(
        "--out",
        type=_nonempty("--out"),
        help="the stash file (default: the store's name with .sth)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing file that is not a stash")
    _password_options(p, stash_opt=False)

    p = add(
        "dev-ca",
        cmd_dev_ca,
        "make a development CA with RSA and ECDSA server and client certificates",
    )
    p.add_argument("--out", type=_nonempty("--out"), help="write PEM files into this folder")
    p.add_argument(
        "--store", type=_nonempty("--store"), help="import them into this keystore (or *SYSTEM)"
    )
    p.add_argument(
        "--system",
        action="store_true",
        help="set up the *SYSTEM store and the demo application IDs",
    )
    p.add_argument("--replace", action="store_true")
    _password_options(p)

    add("home", cmd_home, "print the registry folder",
        json_help="print the registry folder and file as one JSON object")

    app = sub.add_parser("app", help="manage application IDs", description="manage application IDs")
    app_sub = app.add_subparsers(dest="app_command", metavar="ACTION")
    app_sub.required = True
    p = add("register", cmd_app_register, "register an application ID", app_sub)
    p.add_argument("application_id")
    p.add_argument("--type", choices=("server", "client"), required=True)
    p.add_argument("--store", type=_nonempty("--store"), help="keystore path (default *SYSTEM)")
    p.add_argument(
        "--stash-file",
        type=_nonempty("--stash-file"),
        help="stash file of a keystore other than *SYSTEM",
    )
    p.add_argument("--replace", action="store_true")
    _app_options(p)
    p = add("assign", cmd_app_assign, "assign certificates, a CA trust list or settings", app_sub)
    p.add_argument("application_id")
    _app_options(p)
    p = add("remove", cmd_app_remove, "remove an application ID", app_sub)
    p.add_argument("application_id")
    p = add("show", cmd_app_show, "show one application definition", app_sub,
            json_help="print the definition as one JSON object")
    p.add_argument("application_id")
    add("list", cmd_app_list, "list the application IDs", app_sub,
        json_help="print a JSON array of the definitions")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {printable(message)}", file=sys.stderr)
    return code


def main(argv: list[str]) -> int:
    """Run ``gskit certstore ARGS``; 0 ok, 1 not found, 2 bad usage or bad input."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    except UsageError as exc:  # from _nonempty
        return _fail(str(exc), 2)
    try:
        return int(args.func(args))
    except (UsageError, Refused) as exc:
        return _fail(str(exc), 2)
    except NotFound as exc:
        return _fail(str(exc), 1)
    except KeystoreError as exc:
        code = 1 if exc.rc in NOT_FOUND_RCS and not isinstance(exc, (InvalidLabel, InvalidDefinition)) else 2
        return _fail(f"{exc.name} ({exc.rc}): {exc}", code)
    except EOFError:  # end of input at a password prompt; Ctrl-C is the dispatcher's (130)
        return _fail("cancelled: the input ended at the password prompt.", 2)
    except OSError as exc:  # every write is named by _writing: what is left is reading...
        if exc.filename is None:  # ...or writing the output, which the dispatcher reports
            raise
        return _fail(f"could not read {exc.filename} ({exc.strerror or exc}).", 2)
