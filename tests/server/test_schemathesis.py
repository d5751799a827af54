"""Property-based checks of the whole HTTP API against its own OpenAPI document.

schemathesis generates requests for every operation (valid and invalid inputs) and checks
that no response is a 5xx, and that status codes, content types and bodies match the schema.
A bounded run here; ``benchmarks/fuzz.py`` runs the long one.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import wait_until

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzzed_service(service_factory):
    return service_factory(sync_timeout_s=5, async_timeout_s=5, page_wait_s=0.2)


def test_api_never_fails_and_matches_its_schema(fuzzed_service):
    schema = schemathesis.openapi.from_url(f"{fuzzed_service.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 30  # every route is in the document, so every route is fuzzed
    auths = (fuzzed_service.headers, {"Authorization": "ApiKey wrong"}, {})
    with fuzzed_service.client() as http:  # a real stored result, so generated requests reach past the 404
        stored = http.post(
            "/v1/orgs/self/queries",
            json={"sql": {"query": "SELECT * FROM range(2000) t(i)"}, "max_initial_results": 5},
        ).json()
        # rendered, so its pages go through the fast path as well as the route
        url = f"/v1/orgs/self/queries/{quote(stored['query_id'], safe='')}/pages"
        wait_until(lambda: http.get(url, params={"offset": 100}).is_success and fuzzed_service.app.state.fast_pages)
    warmed = fuzzed_service.app.state.fast_pages
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            for headers in auths:
                case.call_and_validate(base_url=fuzzed_service.base_url, headers=headers, checks=CHECKS)
            if case.path_parameters and "query_id" in case.path_parameters and case.method != "DELETE":
                case.path_parameters["query_id"] = stored["query_id"]
                if "cursor" in case.path_parameters:
                    case.path_parameters["cursor"] = stored["pagination"]["next_cursor"]
                case.call_and_validate(base_url=fuzzed_service.base_url, headers=fuzzed_service.headers, checks=CHECKS)

        fuzz()
    assert fuzzed_service.app.state.fast_pages > warmed  # generated pages reached the fast path too
