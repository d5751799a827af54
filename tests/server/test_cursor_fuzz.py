"""Any string given as a cursor yields 400 or the right page: never a wrong page or a 500."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.test_queries import Q, q

cursor_texts = st.one_of(
    st.text(max_size=70),
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.integers(min_value=0, max_value=2**64 - 1).map(
        lambda n: base64.urlsafe_b64encode(b"\x01" + n.to_bytes(8, "big") + b"\0" * 16).decode().rstrip("=")
    ),
)


def test_arbitrary_cursors(live_service):
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": "SELECT i FROM range(100) t(i)"}, "max_initial_results": 1}).json()
        path = f"{q(body['query_id'])}/pages"
        genuine = [body["pagination"]["start_cursor"], body["pagination"]["next_cursor"]]

        @given(cursor=st.one_of(cursor_texts, st.sampled_from(genuine)), offset=st.integers(0, 120))
        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(cursor, offset):
            r = http.get(path, params={"cursor": cursor, "docs": 5, "offset": offset})
            if cursor in genuine:
                start = genuine.index(cursor)  # start cursor is row 0, next cursor is row 1
                assert r.status_code == 200
                assert [row["i"] for row in r.json()["results"]] == list(
                    range(start + offset, min(start + offset + 5, 100))
                )
            elif cursor == "":
                assert r.status_code == 200  # an empty cursor is no cursor: the first row
            else:
                assert r.status_code == 400, (cursor, r.text)
                assert r.json()["type"] == "INVALIDINPUT"

        check()
