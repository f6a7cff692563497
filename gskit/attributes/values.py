"""The attribute values held by one environment or session handle."""
from __future__ import annotations

from typing import Any

from gskit.attributes.table import ATTRIBUTES, SECRET_IDS


class AttributeValues:
    """Values set by ID, plus the cipher lists they imply (keyed "V2", "V3", "TLSV10".."TLSV13").

    A session starts with a copy of its environment's values.  Cipher lists are stored parsed,
    once, when the attribute is set; the text form is derived from them on read.  (A plain
    class: the compiled build makes its ``__init__`` C, where a dataclass's stays Python,
    an interpreted call for every session.)
    """

    def __init__(self, values: dict[int, Any] | None = None,
                 cipher_lists: dict[str, tuple] | None = None) -> None:
        self.values: dict[int, Any] = {} if values is None else values   # each attribute's own type
        self.cipher_lists: dict[str, tuple] = {} if cipher_lists is None else cipher_lists

    def __repr__(self) -> str:
        shown = {k: "****" if k in SECRET_IDS else v for k, v in self.values.items()}
        return f"AttributeValues(values={shown!r}, cipher_lists={self.cipher_lists!r})"

    def get(self, attr_id: int, default: Any = None) -> Any:
        return self.values.get(attr_id, default)

    def setting(self, attr_id: int) -> Any:
        """The value set, else the attribute's default from the table."""
        return self.values.get(attr_id, ATTRIBUTES[attr_id].default)

    def copy(self) -> "AttributeValues":
        return AttributeValues(dict(self.values), dict(self.cipher_lists))
