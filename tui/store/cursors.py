"""Cursors: opaque, URL-safe, HMAC-signed positions in one stored result.

A cursor carries a row offset and a signature over (query id, offset) with the server's
secret. The query id is not inside the token (it is always in the URL), so a cursor of one
query presented on another fails the signature check, as does any altered byte. Cursors stay
valid across restarts because the secret is persisted with the store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

_VERSION = 1
_MAC_BYTES = 16
_LAYOUT = struct.Struct(">BQ")  # version, row offset


class CursorError(ValueError):
    """The cursor is malformed, altered, or belongs to another query."""


class CursorCodec:
    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("cursor secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, query_id: str, body: bytes) -> bytes:
        return hmac.new(self._secret, query_id.encode() + b"\x00" + body, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, query_id: str, offset: int) -> str:
        body = _LAYOUT.pack(_VERSION, offset)
        token = body + self._mac(query_id, body)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode()

    def decode(self, query_id: str, cursor: str) -> int:
        """The row offset ``cursor`` points at; :class:`CursorError` if it is not genuine."""
        if not cursor or len(cursor) > 64:
            raise CursorError("malformed cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise CursorError("malformed cursor") from None
        if len(raw) != _LAYOUT.size + _MAC_BYTES:
            raise CursorError("malformed cursor")
        body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
        if not hmac.compare_digest(mac, self._mac(query_id, body)):
            raise CursorError("cursor does not belong to this query")
        version, offset = _LAYOUT.unpack(body)
        if version != _VERSION:
            raise CursorError("cursor from an unsupported version")
        return offset
