"""Just enough ClientHello parsing to know which protocol version a server will choose.

OpenSSL keeps one cipher list for TLS 1.0-1.2, but GSKit has one per version.  A server
whose lists differ reads the client's offered versions here, before OpenSSL sees a byte,
and hands OpenSSL the context whose list belongs to the version it is going to negotiate
(OpenSSL always picks the highest version both sides enable).
"""
from __future__ import annotations

from gskit.attributes.protocols import Protocol

_HANDSHAKE = 22
_CLIENT_HELLO = 1
_SUPPORTED_VERSIONS = 43


class Incomplete(Exception):
    """More bytes are needed."""


def _handshake_bytes(data: bytes) -> bytes:
    """Concatenate handshake-record payloads until the first ClientHello is complete."""
    out = bytearray()
    pos = 0
    while True:
        if len(out) >= 4:
            needed = 4 + int.from_bytes(out[1:4], "big")
            if len(out) >= needed:
                return bytes(out[:needed])
        if len(data) < pos + 5:
            raise Incomplete
        if data[pos] != _HANDSHAKE:
            raise ValueError("not a TLS handshake record")
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if len(data) < pos + 5 + length:
            raise Incomplete
        out += data[pos + 5:pos + 5 + length]
        pos += 5 + length


def offered_versions(data: bytes) -> frozenset[int]:
    """Wire versions offered by the ClientHello at the start of ``data``.

    Raises Incomplete when more bytes are needed, ValueError when it is not a ClientHello.
    """
    msg = _handshake_bytes(data)
    if msg[0] != _CLIENT_HELLO:
        raise ValueError("first handshake message is not a ClientHello")
    body = memoryview(msg)[4:]
    legacy_version = int.from_bytes(body[0:2], "big")
    pos = 2 + 32
    pos += 1 + body[pos]                                      # session id
    pos += 2 + int.from_bytes(body[pos:pos + 2], "big")       # cipher suites
    pos += 1 + body[pos]                                      # compression methods
    if pos + 2 <= len(body):
        end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
        pos += 2
        while pos + 4 <= end:
            ext_type = int.from_bytes(body[pos:pos + 2], "big")
            ext_len = int.from_bytes(body[pos + 2:pos + 4], "big")
            if ext_type == _SUPPORTED_VERSIONS:
                versions = body[pos + 5:pos + 4 + ext_len]
                return frozenset(int.from_bytes(versions[i:i + 2], "big") for i in range(0, len(versions) - 1, 2))
            pos += 4 + ext_len
    return frozenset(v for v in range(Protocol.TLSV10, legacy_version + 1))


def chosen_version(data: bytes, enabled: tuple[Protocol, ...]) -> Protocol | None:
    """The version OpenSSL will negotiate for this ClientHello, or None if none is common."""
    offered = offered_versions(data)
    common = [p for p in enabled if p.value in offered]
    return max(common) if common else None
