"""Just enough DER to read and write the CMS key-database record wrapper."""

from __future__ import annotations

INTEGER = 0x02
BIT_STRING = 0x03
VISIBLE_STRING = 0x1A
SEQUENCE = 0x30


class DerError(ValueError):
    """Malformed DER."""


def encode(tag: int, content: bytes) -> bytes:
    """One TLV with a definite length."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def decode(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at ``offset``: (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise DerError("truncated DER header")
    tag, first = data[offset], data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        width = first & 0x7F
        if width == 0 or width > 4 or pos + width > len(data):
            raise DerError("bad DER length")
        length = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    end = pos + length
    if end > len(data):
        raise DerError("DER value runs past its container")
    return tag, data[pos:end], end


def children(content: bytes) -> list[tuple[int, bytes, bytes]]:
    """The TLVs inside a constructed value: (tag, content, whole encoding)."""
    out = []
    pos = 0
    while pos < len(content):
        tag, value, end = decode(content, pos)
        out.append((tag, value, content[pos:end]))
        pos = end
    return out
