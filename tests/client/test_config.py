"""Settings: flags > environment > .env > defaults; Rockset's variable names; keys never shown."""

from __future__ import annotations

import pytest

from tui.client.auth import ApiKeyAuth, mask_key
from tui.config import ConfigError, normalize_server, resolve_settings

KEY = "sk-0123456789abcdef"


def test_nothing_configured_is_embedded(tmp_path):
    settings = resolve_settings(env={}, dotenv_path=tmp_path / ".env")
    assert settings.embedded and settings.server is None and settings.api_key is None


def test_rockset_sample_variables_with_a_bare_host(tmp_path):
    env = {"ROCKSET_API_SERVER": "api.usw2a1.rockset.com", "ROCKSET_API_KEY": KEY}
    settings = resolve_settings(env=env, dotenv_path=None)
    assert settings.server == "https://api.usw2a1.rockset.com"
    assert settings.api_key == KEY and not settings.embedded


def test_folio_names_win_over_rockset_names_in_the_same_place():
    env = {
        "ROCKSET_API_SERVER": "rockset.example",
        "FOLIO_SERVER": "http://127.0.0.1:8000/",
        "FOLIO_API_KEY": "k1",
        "ROCKSET_API_KEY": "k2",
    }
    settings = resolve_settings(env=env, dotenv_path=None)
    assert settings.server == "http://127.0.0.1:8000" and settings.api_key == "k1"


def test_flags_beat_environment_beats_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("FOLIO_SERVER=dotenv.example\nFOLIO_API_KEY=from-dotenv\nFOLIO_SOURCE=data.parquet\n")
    only_dotenv = resolve_settings(env={}, dotenv_path=dotenv)
    assert (only_dotenv.server, only_dotenv.api_key, only_dotenv.source) == (
        "https://dotenv.example",
        "from-dotenv",
        "data.parquet",
    )
    assert only_dotenv.origins["server"] == ".env FOLIO_SERVER"
    env = {"FOLIO_SERVER": "env.example"}
    mixed = resolve_settings(env=env, dotenv_path=dotenv)
    assert mixed.server == "https://env.example" and mixed.api_key == "from-dotenv"
    flags = resolve_settings("flag.example", "from-flag", env=env, dotenv_path=dotenv)
    assert (flags.server, flags.api_key) == ("https://flag.example", "from-flag")
    assert flags.origins == {"server": "--server", "api_key": "--api-key", "source": ".env FOLIO_SOURCE"}


def test_rockset_names_in_dotenv_like_the_sample(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"ROCKSET_API_SERVER=api.use1a1.rockset.com\nROCKSET_API_KEY={KEY}\n")
    settings = resolve_settings(env={}, dotenv_path=dotenv)
    assert settings.server == "https://api.use1a1.rockset.com" and settings.api_key == KEY


def test_an_explicit_source_means_embedded_even_with_a_server_in_the_environment():
    settings = resolve_settings(source="x.duckdb", env={"FOLIO_SERVER": "env.example"}, dotenv_path=None)
    assert settings.embedded and settings.source == "x.duckdb"


def test_dotenv_is_read_not_loaded_into_the_environment(tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOLIO_API_KEY", raising=False)
    (tmp_path / ".env").write_text("FOLIO_API_KEY=secret-from-dotenv\n")
    assert resolve_settings(env={}).api_key == "secret-from-dotenv"  # default path: ./.env
    assert "FOLIO_API_KEY" not in os.environ


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("api.rs2.usw2.rockset.com", "https://api.rs2.usw2.rockset.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://h.example/v1/orgs/self/", "https://h.example"),
        ("  h.example:9000 ", "https://h.example:9000"),
    ],
)
def test_normalize_server(raw, expected):
    assert normalize_server(raw) == expected


@pytest.mark.parametrize("raw", ["", "ftp://h.example", "http://", "http://h:notaport"])
def test_bad_server_addresses(raw):
    with pytest.raises(ConfigError):
        normalize_server(raw)


def test_bad_server_in_environment_names_the_variable():
    with pytest.raises(ConfigError, match="FOLIO_SERVER"):
        resolve_settings(env={"FOLIO_SERVER": "ftp://x"}, dotenv_path=None)


def test_the_key_is_never_shown_whole():
    settings = resolve_settings("h.example", KEY, env={}, dotenv_path=None)
    for text in (repr(settings), str(settings), repr(ApiKeyAuth(KEY)), settings.masked_key):
        assert KEY not in text
    assert mask_key(KEY) == "sk-0…ef"
    assert mask_key("short") == "****" and mask_key(None) == "(none)"
