"""Issue 6's long fuzz run: schemathesis against every operation of the service's OpenAPI.

    uv run python benchmarks/fuzz.py [--examples 2000]

The test suite runs the same checks with 40 examples per operation; this runs ``--examples``
per operation (6 operations, each case sent with a valid key, a wrong key and none, and the
path-parameter cases once more against a real stored result). Prints the number of requests
and every failure (a 5xx, or a response that does not match the schema).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, print_table

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def fuzz_operation(operation, url: str, good: dict, stored: dict, examples: int) -> tuple[int, list[str]]:
    """Send ``examples`` generated cases of one operation; return requests sent and failures."""
    sent, failures = 0, []

    def send(case, headers: dict) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)
        except Exception as exc:  # record and go on: the run reports every failure
            failures.append(f"{case.method} {case.formatted_path}: {str(exc).splitlines()[0]}")

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case):
        for headers in (good, {"Authorization": "ApiKey wrong"}, {}):
            send(case, headers)
        if case.path_parameters and "query_id" in case.path_parameters and case.method != "DELETE":
            case.path_parameters["query_id"] = stored["query_id"]
            if "cursor" in case.path_parameters:
                case.path_parameters["cursor"] = stored["pagination"]["next_cursor"]
            send(case, good)

    fuzz()
    return sent, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    with folio_serve() as (url, _):
        good = {"Authorization": f"ApiKey {API_KEY}"}
        stored = httpx.post(
            f"{url}/v1/orgs/self/queries",
            headers=good,
            json={"sql": {"query": "SELECT * FROM range(2000) t(i)"}, "max_initial_results": 5},
        ).json()
        # read it again so its chunk is rendered: its pages then go through the fast path too
        for _ in range(3):
            httpx.get(
                f"{url}/v1/orgs/self/queries/{quote(stored['query_id'], safe='')}/pages",
                headers=good,
                params={"offset": 100},
            ).raise_for_status()
            time.sleep(0.2)
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        rows = []
        for result in schema.get_all_operations():
            operation = result.ok()
            started = time.monotonic()
            sent, failures = fuzz_operation(operation, url, good, stored, args.examples)
            seconds = time.monotonic() - started
            rows.append([f"{operation.method.upper()} {operation.path}", f"{sent:,}", len(failures), f"{seconds:.0f}"])
            for failure in failures[:5]:
                print("FAILURE", failure)
    print_table(["operation", "requests", "failures", "seconds"], rows)
    print(f"\ntotal requests: {sum(int(r[1].replace(',', '')) for r in rows):,}")


if __name__ == "__main__":
    main()
