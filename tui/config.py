"""Where folio finds its server, API key and data source.

Each setting is taken from the strongest place that has it: command-line flags, then the
environment, then a ``.env`` file in the current directory (python-dotenv), then the default.
``.env`` is read, never loaded into ``os.environ``, so it cannot leak into child processes or
shadow a variable the user set on purpose.

Names: ``FOLIO_SERVER`` / ``FOLIO_API_KEY`` / ``FOLIO_SOURCE``, and for scripts written for Rockset
``ROCKSET_API_SERVER`` / ``ROCKSET_API_KEY`` exactly as the Rockset pagination sample uses them:
a bare host such as ``api.usw2a1.rockset.com`` means ``https://api.usw2a1.rockset.com``. Within
one place the ``FOLIO_`` name wins.

No server anywhere means *embedded* mode: the query service runs in-process over ``source``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

__all__ = ["ClientSettings", "ConfigError", "normalize_server", "resolve_settings"]

SERVER_VARS = ("FOLIO_SERVER", "ROCKSET_API_SERVER")
KEY_VARS = ("FOLIO_API_KEY", "ROCKSET_API_KEY")
SOURCE_VARS = ("FOLIO_SOURCE",)


class ConfigError(ValueError):
    """A setting is present but unusable (a server URL that is not a URL)."""


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """The resolved settings. ``server is None`` means embedded mode."""

    server: str | None = None
    api_key: str | None = field(default=None, repr=False)
    source: str | None = None
    #: where each setting came from ("--server", "FOLIO_SERVER", ".env FOLIO_API_KEY", …), for messages
    origins: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.server is None

    @property
    def masked_key(self) -> str:
        # imported here: tui.client brings httpx, and the app resolves its settings before
        # the first paint
        from tui.client.auth import mask_key

        return mask_key(self.api_key)

    def __repr__(self) -> str:
        return f"ClientSettings(server={self.server!r}, api_key={self.masked_key!r}, source={self.source!r})"


def normalize_server(value: str) -> str:
    """``api.example.com`` → ``https://api.example.com``; keeps an explicit ``http://``.

    Trailing slashes go, and so does a trailing ``/v1/orgs/self`` (people paste the base URL
    from the Rockset sample), so the result can be joined with API paths directly.
    """
    text = value.strip()
    if not text:
        raise ConfigError("the server address is empty")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"the server address must be http:// or https://, not {parts.scheme}://")
    if not parts.hostname:
        raise ConfigError(f"the server address {value!r} has no host")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"the server address {value!r} has an invalid port") from None
    text = text.rstrip("/")
    if text.endswith("/v1/orgs/self"):
        text = text[: -len("/v1/orgs/self")]
    return text


def _pick(
    flag: str | None, flag_name: str, names: tuple[str, ...], env: Mapping[str, str], dotenv: Mapping[str, str | None]
) -> tuple[str | None, str | None]:
    if flag:
        return flag, flag_name
    for name in names:
        if env.get(name):
            return env[name], name
    for name in names:
        value = dotenv.get(name)
        if value:
            return value, f".env {name}"
    return None, None


def resolve_settings(
    server: str | None = None,
    api_key: str | None = None,
    source: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> ClientSettings:
    """Resolve the settings the CLI and the app both use (flags are the first three arguments).

    ``dotenv_path=None`` skips ``.env``; a missing file is simply not used. An explicit
    ``source`` without an explicit ``server`` means embedded mode, whatever the environment says.
    """
    env = os.environ if env is None else env
    dotenv: Mapping[str, str | None] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        dotenv = dotenv_values(dotenv_path)
    origins: dict[str, str] = {}
    raw_server, origin = _pick(server, "--server", SERVER_VARS, env, dotenv)
    if source and not server:
        # An explicit --source asks for embedded mode over it; a server from the environment
        # must not silently take over.
        raw_server = None
    normalized = None
    if raw_server is not None:
        try:
            normalized = normalize_server(raw_server)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
        origins["server"] = origin or ""
    key, origin = _pick(api_key, "--api-key", KEY_VARS, env, dotenv)
    if key is not None:
        key = key.strip()
        origins["api_key"] = origin or ""
    src, origin = _pick(source, "--source", SOURCE_VARS, env, dotenv)
    if src is not None:
        origins["source"] = origin or ""
    return ClientSettings(server=normalized, api_key=key or None, source=src or None, origins=origins)
