"""A cipher policy: what a configuration or a live server must (not) allow, loaded from TOML."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


# TOML table -> key -> (Policy field, converter).
def _protocols(values: list[str]) -> frozenset[Protocol]:
    return frozenset(Protocol.from_label(v) for v in values)


def _suite_list(values: list[str]) -> tuple[CipherSuite, ...]:
    suites, unknown = [], []
    for value in values:
        suite = suite_by_name(value)
        (suites.append(suite) if suite else unknown.append(value))
    if unknown:
        raise ValueError(f"unknown cipher suite(s): {', '.join(unknown)}")
    return tuple(dict.fromkeys(suites))


def _names(values: list[str]) -> frozenset[str]:
    return frozenset(str(v) for v in values)


def _upper_names(values: list[str]) -> frozenset[str]:
    return frozenset(str(v).upper() for v in values)


def _groups(values: list[str]) -> frozenset[str]:
    return frozenset(canonical_group(str(v)) for v in values)


_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "policy": {"name": ("name", str), "description": ("description", str), "source": ("source", str)},
    "protocols": {"allowed": ("allowed_protocols", _protocols),
                  "forbidden": ("forbidden_protocols", _protocols)},
    "suites": {"allowed": ("allowed_suites", _suite_list),
               "forbidden": ("forbidden_suites", lambda v: frozenset(_suite_list(v))),
               "require_forward_secrecy": ("require_forward_secrecy", bool),
               "require_aead": ("require_aead", bool)},
    "key_exchange": {"groups": ("allowed_groups", _groups)},
    "certificate": {"key_types": ("certificate_key_types", _upper_names),
                    "min_rsa_bits": ("min_rsa_bits", int), "min_ec_bits": ("min_ec_bits", int),
                    "signature_algorithms": ("signature_algorithms", _names),
                    "expiry_margin_days": ("expiry_margin_days", int),
                    "max_lifespan_days": ("max_lifespan_days", int)},
}


def parse_policy(data: dict[str, Any], default_name: str) -> Policy:
    """Build a Policy from parsed TOML; PolicyError names the first thing wrong."""
    fields: dict[str, Any] = {"name": default_name}
    for table, content in data.items():
        keys = _SCHEMA.get(table)
        if keys is None or not isinstance(content, dict):
            raise PolicyError(f"unknown table [{table}] (known: {', '.join(_SCHEMA)})")
        for key, value in content.items():
            if key not in keys:
                raise PolicyError(f"unknown key {key!r} in [{table}] (known: {', '.join(keys)})")
            field_name, convert = keys[key]
            try:
                fields[field_name] = convert(value)
            except (ValueError, TypeError) as exc:
                raise PolicyError(f"[{table}] {key}: {exc}") from None
    return Policy(**fields)


def shipped_policies() -> list[str]:
    """Names of the policies shipped in gskit/policies/."""
    folder = resources.files("gskit") / "policies"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_policy(name_or_path: str | Path) -> Policy:
    """A shipped policy by name (``mozilla-intermediate``) or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"cannot read policy file {str(path)!r}: {exc.strerror}") from None
        default = path.stem
    else:
        resource = resources.files("gskit") / "policies" / f"{name_or_path}.toml"
        if not resource.is_file():
            raise PolicyError(f"no policy named {str(name_or_path)!r}; shipped policies: "
                              f"{', '.join(shipped_policies())}, or give a .toml file")
        text = resource.read_text(encoding="utf-8")
        default = str(name_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy {default!r} is not valid TOML: {exc}") from None
    return parse_policy(data, default)
