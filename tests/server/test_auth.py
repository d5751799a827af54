"""API keys and org isolation: another org's query is indistinguishable from none."""

from __future__ import annotations

import httpx
import pytest

from tests.server.test_queries import Q, q
from tui.server.auth import Keyring, KeyringError, Principal, digest


@pytest.mark.parametrize("header", [None, "", "ApiKey", "ApiKey wrong", "Bearer test-key-org-a", "test-key-org-a"])
def test_missing_or_wrong_key_is_401(live_service, header):
    headers = {"Authorization": header} if header is not None else {}
    r = httpx.get(live_service.base_url + Q, headers=headers)
    assert r.status_code == 401
    assert r.json()["type"] == "AUTHEXCEPTION"


@pytest.mark.parametrize("scheme", ["ApiKey", "apikey", "APIKEY", "aPiKeY"])
def test_scheme_is_case_insensitive(live_service, scheme):
    r = httpx.get(live_service.base_url + Q, headers={"Authorization": f"{scheme} {live_service.api_key}"})
    assert r.status_code == 200


def test_other_org_gets_404_on_every_endpoint(live_service):
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}, "max_initial_results": 1}).json()
    qid, cursor = body["query_id"], body["pagination"]["start_cursor"]
    other = {"Authorization": f"ApiKey {live_service.other_key}"}
    with httpx.Client(base_url=live_service.base_url, headers=other) as http:
        responses = [
            http.get(q(qid)),
            http.get(f"{q(qid)}/pages"),
            http.get(f"{q(qid)}/pages", params={"cursor": cursor}),
            http.get(f"{q(qid)}/pages/{cursor}"),
            http.delete(q(qid)),
        ]
        missing = http.get(q("00000000-0000-0000-0000-000000000000:AAAAAAA:0"))
        listed = http.get(Q).json()["data"]
    for r in responses:
        assert r.status_code == 404
        assert r.json()["message"] == missing.json()["message"]
    assert listed == []
    with live_service.client() as http:  # the owner still has it: the DELETE above did nothing
        assert http.get(q(qid)).status_code == 200


def test_keyring_sources(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(f"# comment\nplain-key acme carol\nsha256:{digest('hashed-key')} globex dave\n")
    ring = Keyring()
    ring.load_file(keys)
    ring.add_spec("k1=org1:u1, k2=org2")
    assert ring.authenticate("ApiKey plain-key").org == "acme"
    assert ring.authenticate("apikey hashed-key").user == "dave"
    assert ring.authenticate("ApiKey k2").org == "org2"
    assert ring.authenticate("ApiKey sha256:" + digest("hashed-key")) is None
    with pytest.raises(KeyringError):
        ring.add_spec("no-org")
    bad = tmp_path / "bad"
    bad.write_text("only-one-field\n")
    with pytest.raises(KeyringError, match="bad:1"):
        Keyring().load_file(bad)


def test_replacing_a_keyrings_keys_admits_exactly_the_new_set():
    """A cluster replica's refresh from the registry (tui.server.shared_keys)."""
    keyring = Keyring()
    keyring.add("old-key", "acme", "alice")
    keyring.replace({digest("new-key"): Principal("globex", "bob")})
    assert keyring.authenticate("ApiKey old-key") is None
    assert keyring.authenticate("ApiKey new-key") == Principal("globex", "bob")
    assert keyring.entries() == {digest("new-key"): Principal("globex", "bob")}


def test_new_keys_never_start_with_a_dash(monkeypatch):
    import tui.server.auth as auth

    drawn = iter(["-looks-like-an-option", "--also", "fine-key"])
    monkeypatch.setattr(auth.secrets, "token_urlsafe", lambda nbytes: next(drawn))
    assert auth.new_key() == "fine-key"
    monkeypatch.undo()
    keys = {auth.new_key(6) for _ in range(2000)}
    assert len(keys) == 2000 and not any(k.startswith("-") for k in keys)
