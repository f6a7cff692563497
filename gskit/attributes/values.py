"""The attribute values held by one environment or session handle."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gskit.attributes.table import ATTRIBUTES, SECRET_IDS


@dataclass
class AttributeValues:
    """Values set by ID, plus the cipher lists they imply (keyed "V2", "V3", "TLSV10".."TLSV13").

    A session starts with a copy of its environment's values.  Cipher lists are stored parsed,
    once, when the attribute is set; the text form is derived from them on read.
    """

    values: dict[int, Any] = field(default_factory=dict)    # each attribute's own type
    cipher_lists: dict[str, tuple] = field(default_factory=dict)

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
