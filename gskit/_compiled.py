"""``mypyc_attr``: how a compiled class differs from a plain one (``setup.py``).

Read by the compiler only; as Python (the pure-Python build, or no ``mypy_extensions``
installed) it changes nothing.
"""
from __future__ import annotations

from typing import Any

try:
    from mypy_extensions import mypyc_attr
except ImportError:
    def mypyc_attr(*_args: Any, **_flags: Any) -> Any:  # type: ignore[misc]
        return lambda cls: cls

__all__ = ["mypyc_attr"]
