"""A cipher policy: what a configuration or a live server must (not) allow, loaded from TOML."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gskit.attributes.ciphers import CipherSuite, suite_by_name
from gskit.attributes.protocols import Protocol


class PolicyError(ValueError):
    """A policy that cannot be found or read, or that says something this model does not know."""


# Group spellings -> the name OpenSSL reports for the negotiated group.
GROUP_ALIASES = {"prime256v1": "secp256r1", "p-256": "secp256r1", "p-384": "secp384r1",
                 "p-521": "secp521r1", "x25519": "X25519", "x448": "X448"}


def canonical_group(name: str) -> str:
    return GROUP_ALIASES.get(name.lower(), name)


@dataclass(frozen=True)
class Policy:
    """What a policy requires.  ``None`` in a field means "no requirement"."""

    name: str
    description: str = ""
    source: str = ""
    allowed_protocols: frozenset[Protocol] | None = None
    forbidden_protocols: frozenset[Protocol] = frozenset()
    allowed_suites: tuple[CipherSuite, ...] | None = None
    forbidden_suites: frozenset[CipherSuite] = frozenset()
    require_forward_secrecy: bool = False
    require_aead: bool = False
    allowed_groups: frozenset[str] | None = None
    certificate_key_types: frozenset[str] | None = None
    min_rsa_bits: int | None = None
    min_ec_bits: int | None = None
    signature_algorithms: frozenset[str] | None = None
    expiry_margin_days: int | None = None
    max_lifespan_days: int | None = None


# TOML table -> key -> (Policy field, converter).  A converter checks the type and range of
# the TOML value and raises ValueError saying what was expected (parse_policy adds where).
def _describe(value: Any) -> str:
    """How a TOML value reads in an error: ``the string 'false'``, ``the number 2048.9``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"the date/time {value}"


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {_describe(value)}")
    return _optional_text(value)


def _optional_text(value: Any) -> str:
    """A string printed as it is (a policy's name and description): one line of printable
    text, so that a file cannot send a terminal its control sequences."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_describe(value)}")
    if not value.isprintable():
        raise ValueError(f"expected one line of printable text, got {_describe(value)}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false (without quotes), got {_describe(value)}")
    return value


def _whole(minimum: int) -> Any:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            floor = "a positive whole number" if minimum == 1 else "a whole number, 0 or more"
            raise ValueError(f"expected {floor}, got {_describe(value)}")
        return value
    return convert


def _strings(value: Any, what: str, example: str) -> list[str]:
    """A TOML array of non-empty strings (a bare string is refused: ``"TLSv1.2"`` is not a list)."""
    expected = f"expected a list of {what}, such as {example}"
    if not isinstance(value, list):
        raise ValueError(f"{expected}, got {_describe(value)}")
    for i, item in enumerate(value, 1):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{expected}, but entry {i} is {_describe(item)}")
    return value


def _protocols(value: Any) -> frozenset[Protocol]:
    return frozenset(Protocol.from_label(v)
                     for v in _strings(value, "protocol versions", '["TLSv1.2", "TLSv1.3"]'))


def _suite_list(value: Any) -> tuple[CipherSuite, ...]:
    suites, unknown = [], []
    for name in _strings(value, "cipher suite names", '["TLS_AES_128_GCM_SHA256", "2F"]'):
        suite = suite_by_name(name)
        (suites.append(suite) if suite else unknown.append(name))
    if unknown:
        raise ValueError(f"unknown cipher suite(s): {', '.join(map(repr, unknown))}")
    return tuple(dict.fromkeys(suites))


# Certificate key types as gskit scan reports them (upper-cased), and a spelling people use.
KEY_TYPES = {"RSA": "RSA", "ECDSA": "ECDSA", "EC": "ECDSA", "DSA": "DSA", "ED25519": "ED25519",
             "ED448": "ED448"}


def _key_types(value: Any) -> frozenset[str]:
    names = [v.strip().upper() for v in _strings(value, "key types", '["ECDSA", "RSA"]')]
    unknown = [n for n in names if n not in KEY_TYPES]
    if unknown:
        raise ValueError(f"unknown key type(s) {', '.join(map(repr, unknown))}; use RSA, ECDSA, DSA, Ed25519 "
                         "or Ed448")
    return frozenset(KEY_TYPES[n] for n in names)


def _signature_algorithms(value: Any) -> frozenset[str]:
    return frozenset(v.strip() for v in _strings(
        value, "signature algorithm names", '["sha256WithRSAEncryption", "ecdsa-with-SHA256"]'))


def _groups(value: Any) -> frozenset[str]:
    return frozenset(canonical_group(v.strip())
                     for v in _strings(value, "group names", '["X25519", "prime256v1"]'))


_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "policy": {"name": ("name", _text), "description": ("description", _optional_text),
               "source": ("source", _optional_text)},
    "protocols": {"allowed": ("allowed_protocols", _protocols),
                  "forbidden": ("forbidden_protocols", _protocols)},
    "suites": {"allowed": ("allowed_suites", _suite_list),
               "forbidden": ("forbidden_suites", lambda v: frozenset(_suite_list(v))),
               "require_forward_secrecy": ("require_forward_secrecy", _flag),
               "require_aead": ("require_aead", _flag)},
    "key_exchange": {"groups": ("allowed_groups", _groups)},
    "certificate": {"key_types": ("certificate_key_types", _key_types),
                    "min_rsa_bits": ("min_rsa_bits", _whole(1)), "min_ec_bits": ("min_ec_bits", _whole(1)),
                    "signature_algorithms": ("signature_algorithms", _signature_algorithms),
                    "expiry_margin_days": ("expiry_margin_days", _whole(0)),
                    "max_lifespan_days": ("max_lifespan_days", _whole(1))},
}


def parse_policy(data: dict[str, Any], default_name: str, *, origin: str | None = None) -> Policy:
    """Build a Policy from parsed TOML; PolicyError names the first thing wrong, where it is
    (``origin``, e.g. ``policy file 'p.toml'``; default: the policy's name) and what was expected."""
    where = origin or f"policy {default_name!r}"
    fields: dict[str, Any] = {"name": default_name}
    for table, content in data.items():
        keys = _SCHEMA.get(table)
        if keys is None:
            what = f"table [{table}]" if isinstance(content, dict) else f"top-level key {table!r}"
            raise PolicyError(f"{where}: unknown {what} (known tables: {', '.join(_SCHEMA)})")
        if not isinstance(content, dict):
            raise PolicyError(f"{where}: {table} must be a table ([{table}]), not {_describe(content)}")
        for key, value in content.items():
            if key not in keys:
                raise PolicyError(f"{where}: unknown key {key!r} in [{table}] (known: {', '.join(keys)})")
            field_name, convert = keys[key]
            try:
                fields[field_name] = convert(value)
            except (ValueError, TypeError) as exc:
                raise PolicyError(f"{where}: [{table}] {key}: {exc}") from None
    return Policy(**fields)


def shipped_policies() -> list[str]:
    """Names of the policies shipped in gskit/policies/."""
    folder = resources.files("gskit") / "policies"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_policy(name_or_path: str | Path) -> Policy:
    """A shipped policy by name (``mozilla-intermediate``) or a TOML file by path."""
    # certstore's readers, imported here: its package loads cryptography, which the policy
    # model itself never needs (gskit.policy imports no TLS library)
    from certstore import _toml
    from certstore.errors import KeystoreError
    from certstore.files import may_exist, read_bytes

    if not str(name_or_path):
        raise PolicyError("give a policy name or a .toml file")
    path = Path(name_or_path)
    if path.suffix == ".toml" or may_exist(path):
        origin = f"policy file {str(path)!r}"
        try:
            raw = read_bytes(path, "policy file")     # a regular file of a sane size, or one sentence
        except KeystoreError as exc:
            raise PolicyError(str(exc).rstrip(".")) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{origin} is not UTF-8 text (byte 0x{exc.object[exc.start]:02X} at "
                              f"offset {exc.start}); save it as UTF-8") from None
        default = path.stem
    else:
        resource = resources.files("gskit") / "policies" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise PolicyError(f"no policy named {str(name_or_path)!r}; shipped policies: "
                              f"{', '.join(shipped_policies())}, or give a .toml file")
        text = resource.read_text(encoding="utf-8")
        default = str(name_or_path)
        origin = f"policy {default!r}"
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise PolicyError(f"{origin} is not valid TOML: {exc}") from None
    return parse_policy(data, default, origin=origin)
