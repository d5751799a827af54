"""Both official Rockset clients, unmodified, run query lambdas against ``folio serve``.

``folio serve`` runs as a real process on a loopback port. The Python client is ``rockset``
2.1.2 (a dev dependency); the JavaScript one, ``@rockset/client`` 0.9.2, is installed from npm
by the test itself into a cache directory (``~/.cache/folio-tests/npm``, or
``$FOLIO_TEST_NPM_CACHE``) and run with node. Each client creates a lambda with default
parameters, executes it by tag ``latest`` with a parameter overridden and a small first page,
pages to the last row by cursor, lists lambdas and versions, and deletes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
KEY = "lambda-clients-key"
SQL = "SELECT i FROM range(:n) t(i) WHERE i >= :lo ORDER BY i"
JS_CLIENT = "@rockset/client@0.9.2"


@pytest.fixture(scope="module")
def folio_serve(tmp_path_factory) -> Iterator[str]:
    """``folio serve`` (in-memory DuckDB) in its own process; yields its base URL."""
    port = free_port()
    store = tmp_path_factory.mktemp("lambda-clients") / "store"
    cmd = [sys.executable, "-m", "tui", "serve", "--port", str(port), "--api-key", KEY, "--store", str(store)]
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "folio serve exited"
        try:
            return httpx.get(f"{url}/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=60, interval=0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


# -- Python: rockset 2.1.2 --------------------------------------------------------------------


def test_python_client_pages_a_lambda_execution_to_the_end(folio_serve):
    rockset = pytest.importorskip("rockset")
    from rockset import QueryPaginator, RocksetClient
    from rockset.exceptions import BadRequestException, NotFoundException
    from rockset.models import QueryLambdaSql, QueryParameter

    host = Enum("Host", {"local": folio_serve}, type=str).local
    rs = RocksetClient(host=host, api_key=KEY)
    lambdas = rs.QueryLambdas
    created = lambdas.create_query_lambda(
        name="py_range",
        sql=QueryLambdaSql(
            query=SQL,
            default_parameters=[
                QueryParameter(name="n", type="int", value="25"),
                QueryParameter(name="lo", type="int", value="0"),
            ],
        ),
        description="numbers from :lo",
    )
    first = created.data.version
    assert created.data.state == "ACTIVE" and created.data.sql.default_parameters[0].value == "25"

    response = lambdas.execute_query_lambda_by_tag(
        query_lambda="py_range",
        tag="latest",
        parameters=[QueryParameter(name="lo", type="int", value="7")],
        max_initial_results=4,
    )
    assert response.query_lambda_path == f"commons.py_range::{first}"
    assert response.results_total_doc_count == 18
    pages = list(QueryPaginator(rs, response))
    assert [len(page) for page in pages] == [4, 4, 4, 4, 2]
    assert [row["i"] for page in pages for row in page] == list(range(7, 25))

    # the older knobs, by version, page by explicit cursor
    old = lambdas.execute_query_lambda(
        query_lambda="py_range", version=first, paginate=True, initial_paginate_response_doc_count=10
    )
    rows, cursor = [row["i"] for row in old.results], old.pagination.next_cursor
    while cursor:
        page = rs.Queries.get_query_results(query_id=old.query_id, cursor=cursor, docs=10)
        rows += [row["i"] for row in page.results]
        cursor = page.pagination.next_cursor
    assert rows == list(range(25))
    listed = {q.query_id: q for q in rs.Queries.list_active_queries().data}
    assert listed[old.query_id].query_lambda_path == f"commons.py_range::{first}"

    second = lambdas.update_query_lambda(
        query_lambda="py_range", sql=QueryLambdaSql(query="SELECT :n AS n"), create=False
    ).data.version
    summary = {q.name: q for q in lambdas.list_all_query_lambdas().data}
    assert summary["py_range"].version_count == 2 and summary["py_range"].latest_version.version == second
    assert [q.name for q in lambdas.list_query_lambdas_in_workspace().data] == ["py_range"]
    assert [v.version for v in lambdas.list_query_lambda_versions(query_lambda="py_range").data] == [second, first]
    lambdas.create_query_lambda_tag(query_lambda="py_range", tag_name="stable", version=first)
    tags = {t.tag_name: t.version.version for t in lambdas.list_query_lambda_tags(query_lambda="py_range").data}
    assert tags == {"latest": second, "stable": first}
    assert lambdas.get_query_lambda_tag_version(query_lambda="py_range", tag="stable").data.version.version == first
    with pytest.raises(BadRequestException) as missing:
        lambdas.execute_query_lambda_by_tag(query_lambda="py_range", tag="latest")
    assert ":n" in missing.value.body

    assert lambdas.delete_query_lambda_version(query_lambda="py_range", version=second).data.version == second
    assert lambdas.get_query_lambda_version(query_lambda="py_range", version=first).data.version == first
    assert lambdas.delete_query_lambda(query_lambda="py_range").data.name == "py_range"
    with pytest.raises(NotFoundException):
        lambdas.list_query_lambda_versions(query_lambda="py_range")
    assert rockset is not None


# -- JavaScript: @rockset/client ----------------------------------------------------------------

JS_SCRIPT = r"""
const rocksetConfigure = require('@rockset/client').default;
const rs = rocksetConfigure(process.env.FOLIO_KEY, process.env.FOLIO_URL);
const L = rs.queryLambdas;
(async () => {
  const out = {};
  const created = await L.createQueryLambda('commons', {
    name: 'js_range',
    sql: {query: process.env.FOLIO_SQL, default_parameters: [
      {name: 'n', type: 'int', value: '25'}, {name: 'lo', type: 'int', value: '0'}]},
  });
  out.first = created.data.version;
  const r = await L.executeQueryLambdaByTag('commons', 'js_range', 'latest',
    {parameters: [{name: 'lo', type: 'int', value: '9'}], max_initial_results: 5});
  out.path = r.query_lambda_path;
  out.total = r.results_total_doc_count;
  out.rows = r.results.map((row) => row.i);
  out.pages = [r.results.length];
  let cursor = r.pagination.next_cursor;
  while (cursor) {
    const page = await rs.queries.getQueryResults(r.query_id, cursor, 5);
    out.rows.push(...page.results.map((row) => row.i));
    out.pages.push(page.results.length);
    cursor = page.pagination.next_cursor;
  }
  const updated = await L.updateQueryLambda('commons', 'js_range',
    {sql: {query: 'SELECT :n AS n', default_parameters: [{name: 'n', type: 'int', value: '1'}]}}, true);
  out.second = updated.data.version;
  out.all = (await L.listAllQueryLambdas()).data.map((q) => [q.name, q.version_count]);
  out.versions = (await L.listQueryLambdaVersions('commons', 'js_range')).data.map((v) => v.version);
  out.byVersion = (await L.executeQueryLambda('commons', 'js_range', out.second, {})).results;
  out.deletedVersion = (await L.deleteQueryLambdaVersion('commons', 'js_range', out.second)).data.version;
  out.deleted = (await L.deleteQueryLambda('commons', 'js_range')).data.name;
  try {
    await L.listQueryLambdaVersions('commons', 'js_range');
    out.after = 'still there';
  } catch (error) {
    out.after = error.type;
  }
  console.log(JSON.stringify(out));
})().catch((error) => {
  console.error('client failed:', JSON.stringify(error) === '{}' ? String(error) : JSON.stringify(error));
  process.exit(1);
});
"""

_OFFLINE = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ENETUNREACH", "network")


def _js_client() -> Path:
    """The cache directory holding ``@rockset/client``, installing it first if needed; skips
    when node or npm is missing or npm cannot reach its registry."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the JavaScript client test needs node and npm on PATH")
    cache = Path(os.environ.get("FOLIO_TEST_NPM_CACHE") or Path.home() / ".cache" / "folio-tests" / "npm")
    manifest = cache / "node_modules" / "@rockset" / "client" / "package.json"
    wanted = JS_CLIENT.rsplit("@", 1)[1]
    if manifest.exists() and json.loads(manifest.read_text()).get("version") == wanted:
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save", JS_CLIENT],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm could not install {JS_CLIENT} within 5 minutes (registry unreachable?)")
    if done.returncode != 0:
        output = done.stdout + done.stderr
        offline = [line for line in output.splitlines() if any(sign in line for sign in _OFFLINE)]
        if offline:
            pytest.skip(f"npm cannot reach its registry to install {JS_CLIENT}: {offline[0].strip()}")
        pytest.fail(f"npm install {JS_CLIENT} failed:\n{output}")
    return cache


def test_javascript_client_pages_a_lambda_execution_to_the_end(folio_serve, tmp_path):
    cache = _js_client()
    script = tmp_path / "lambdas.js"
    script.write_text(JS_SCRIPT)
    env = {
        **os.environ,
        "NODE_PATH": str(cache / "node_modules"),
        "FOLIO_URL": folio_serve,
        "FOLIO_KEY": KEY,
        "FOLIO_SQL": SQL,
    }
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["path"] == f"commons.js_range::{out['first']}"
    assert out["total"] == 16
    assert out["rows"] == list(range(9, 25))
    assert out["pages"] == [5, 5, 5, 1]
    assert ["js_range", 2] in out["all"]
    assert out["versions"] == [out["second"], out["first"]]
    assert out["byVersion"] == [{"n": 1}]
    assert out["deletedVersion"] == out["second"] and out["deleted"] == "js_range"
    assert out["after"] == "NOTFOUND"
