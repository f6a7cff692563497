"""TOML in and out for the registry: tomllib (or tomli on 3.10) to read, a small writer."""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _reader
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _reader

TOMLDecodeError = _reader.TOMLDecodeError
_BARE = re.compile(r"[A-Za-z0-9_-]+")
# What a TOML basic string must escape: the quote, the backslash and the control characters
# other than tab.  Every other character, astral ones too, is written as itself (UTF-8).
_ESCAPE = re.compile(r'["\\\x00-\x08\x0a-\x1f\x7f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def loads(text: str) -> dict[str, Any]:
    """The document; TOMLDecodeError for text that is not TOML, arrays nested too deep included
    (the reader recurses: thousands of '[' exhaust Python's stack)."""
    try:
        return _reader.loads(text)
    except RecursionError:
        raise TOMLDecodeError("arrays or tables are nested too deep") from None


def is_text(s: str) -> bool:
    """True when ``s`` can be written to TOML: it holds no lone surrogate (such as what
    Python makes of bytes that are not UTF-8 in a command line)."""
    return _SURROGATE.search(s) is None


def _string(s: str) -> str:
    """``s`` as a TOML basic string; ValueError for a lone surrogate, which TOML cannot hold."""
    if not is_text(s):
        raise ValueError("a string with a lone surrogate cannot be written to TOML")
    body = _ESCAPE.sub(lambda m: _SHORT.get(m.group(), f"\\u{ord(m.group()):04x}"), s)
    return f'"{body}"'


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _string(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _string(v)
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
