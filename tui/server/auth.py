"""API keys: who is calling, and which org's queries they may see.

Keys are held only as SHA-256 digests, and looked up by digest, so the comparison does not
leak the key through timing and a dump of the process or the keys file does not reveal it.

Sources, merged:

* ``--api-key KEY`` (repeatable): KEY in the default org ``default`` as user ``folio``;
* ``FOLIO_API_KEYS``: ``key=org:user`` pairs separated by commas or spaces;
* a keys file (``--keys-file`` / ``FOLIO_KEYS_FILE``): one ``key org user`` per line, or
  ``sha256:<hex digest> org user`` to keep plaintext keys off the server's disk; ``#`` comments.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ORG = "default"
DEFAULT_USER = "folio"
_SCHEME = re.compile(r"^\s*apikey\s+(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Principal:
    org: str
    user: str


class KeyringError(ValueError):
    """A keys file or FOLIO_API_KEYS value that cannot be read."""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(nbytes: int = 24) -> str:
    """A fresh random key that is safe on a command line.

    ``token_urlsafe`` starts with ``-`` about one time in 64, and ``--api-key -x…`` then reads as
    an option, not a value: a cluster replica once failed to start that way.
    """
    while True:
        key = secrets.token_urlsafe(nbytes)
        if not key.startswith("-"):
            return key


def mask(key: str) -> str:
    """A key as it may appear in output: enough to recognise, not enough to use."""
    return key[:4] + "…" if len(key) > 8 else "…"


class Keyring:
    def __init__(self) -> None:
        self._by_digest: dict[str, Principal] = {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def add(self, key: str, org: str = DEFAULT_ORG, user: str = DEFAULT_USER) -> None:
        if not key or any(ch.isspace() for ch in key):
            raise KeyringError("an API key must be non-empty and contain no spaces")
        self._by_digest[digest(key)] = Principal(org, user)

    def add_digest(self, hex_digest: str, org: str, user: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", hex_digest):
            raise KeyringError(f"not a SHA-256 hex digest: {hex_digest[:12]}…")
        self._by_digest[hex_digest] = Principal(org, user)

    def entries(self) -> dict[str, Principal]:
        """digest → principal, a copy."""
        return dict(self._by_digest)

    def replace(self, entries: dict[str, Principal]) -> None:
        """Admit exactly ``entries`` from now on (a cluster replica's refresh from the
        registry). One assignment, so a lookup on another thread sees the old set or the new."""
        self._by_digest = dict(entries)

    def add_spec(self, spec: str) -> None:
        """``key=org:user`` pairs, separated by commas or whitespace (FOLIO_API_KEYS)."""
        for item in re.split(r"[,\s]+", spec.strip()):
            if not item:
                continue
            key, sep, who = item.partition("=")
            org, _, user = who.partition(":")
            if not sep or not org:
                raise KeyringError("FOLIO_API_KEYS entries look like key=org:user")
            self.add(key, org, user or DEFAULT_USER)

    def load_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyringError(f"cannot read keys file {path}: {exc.strerror}") from None
        for number, line in enumerate(text.splitlines(), 1):
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise KeyringError(f"{path}:{number}: expected 'key org [user]'")
            key, org, user = parts[0], parts[1], parts[2] if len(parts) == 3 else DEFAULT_USER
            if key.startswith("sha256:"):
                self.add_digest(key[len("sha256:") :].lower(), org, user)
            else:
                self.add(key, org, user)

    def authenticate(self, header: str | None) -> Principal | None:
        """The principal for an ``Authorization`` header (``ApiKey <key>``, any case)."""
        return self.principal(key_digest(header))

    def principal(self, hex_digest: str | None) -> Principal | None:
        """The principal whose key has digest ``hex_digest`` (see :func:`key_digest`)."""
        return self._by_digest.get(hex_digest) if hex_digest is not None else None


def key_digest(header: str | None) -> str | None:
    """The digest of the key in an ``Authorization`` header, or None when it names none."""
    if not header:
        return None
    match = _SCHEME.match(header)
    return digest(match.group(1)) if match else None
