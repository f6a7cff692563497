"""TOML in and out for the registry: tomllib (or tomli on 3.10) to read, a small writer."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _reader
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _reader

TOMLDecodeError = _reader.TOMLDecodeError
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def loads(text: str) -> dict[str, Any]:
    return _reader.loads(text)


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string with ASCII escapes is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(doc: dict[str, Any], header: str = "") -> str:
    """Top-level scalars, then one ``[table]`` per dict, then ``[table."key"]`` for nested dicts."""
    lines = [header.rstrip("\n")] if header else []
    scalars = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items() if v is not None]
    for name, table in doc.items():
        if not isinstance(table, dict):
            continue
        flat = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if flat or not table:
            lines += ["", f"[{_key(name)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in flat.items() if v is not None]
        for sub, values in table.items():
            if isinstance(values, dict):
                lines += ["", f"[{_key(name)}.{_key(sub)}]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"
