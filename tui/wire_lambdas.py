"""The wire schema of Rockset query lambdas (rockset-api.md §11), as folio speaks it.

The lambda half of :mod:`tui.wire`, kept in its own module because it is its own concept:
client and server both import it. Requests are lenient (unknown keys ignored), responses are
read leniently; the server builds its bodies as plain dicts that follow §11's rules (``version``
a string, ``state`` exactly ``ACTIVE``, default parameter values strings, no ``null`` elements).
"""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt, StrictStr

from tui.wire import DEFAULT_PAGE_DOCS, ExecutionOptions, QueryParameter, _Lenient, _Open

#: the workspace every org has; others come into being with their first lambda
DEFAULT_WORKSPACE = "commons"
#: the tag that always names a lambda's newest version
LATEST_TAG = "latest"


class QueryLambdaSql(_Lenient):
    query: StrictStr = Field(min_length=1)
    default_parameters: list[QueryParameter] | None = None


class CreateQueryLambdaRequest(_Lenient):
    name: StrictStr = Field(min_length=1)
    sql: QueryLambdaSql
    description: StrictStr | None = None
    is_public: StrictBool | None = None


class UpdateQueryLambdaRequest(_Lenient):
    sql: QueryLambdaSql | None = None
    description: StrictStr | None = None
    is_public: StrictBool | None = None


class CreateQueryLambdaTagRequest(_Lenient):
    tag_name: StrictStr = Field(min_length=1)
    version: StrictStr = Field(min_length=1)


class ExecuteQueryLambdaRequest(ExecutionOptions):
    """Every field optional; unlike ``QueryRequest`` there is no ``sql``: ``parameters`` and
    ``default_row_limit`` are top-level, and ``paginate`` is declared."""

    default_row_limit: StrictInt | None = None
    initial_paginate_response_doc_count: StrictInt | None = None
    parameters: list[QueryParameter] | None = None
    virtual_instance_id: StrictStr | None = None

    def initial_docs(self) -> int | None:
        """First-page size (§11): ``max_initial_results``, else ``async_options``'s, else
        ``initial_paginate_response_doc_count`` if ``paginate`` (default 10,000); ``None``
        when the execution is not paginated."""
        explicit = self._max_initial_results()
        if explicit is not None:
            return explicit
        if self.paginate:
            return (
                self.initial_paginate_response_doc_count
                if self.initial_paginate_response_doc_count is not None
                else DEFAULT_PAGE_DOCS
            )
        return None


# ---------------------------------------------------------------------------------------------
# Responses (read by folio's client)


class LambdaParameter(_Open):
    name: str
    type: str = "string"
    value: str


class LambdaSql(_Open):
    query: str
    default_parameters: list[LambdaParameter] | None = None


class QueryLambdaVersion(_Open):
    workspace: str | None = None
    name: str | None = None
    version: str | None = None
    description: str | None = None
    created_at: str | None = None
    created_by: str | None = None
    sql: LambdaSql | None = None
    state: str | None = None
    collections: list[str] | None = None


class QueryLambda(_Open):
    workspace: str | None = None
    name: str | None = None
    version_count: int | None = None
    last_updated: str | None = None
    last_updated_by: str | None = None
    collections: list[str] | None = None
    latest_version: QueryLambdaVersion | None = None


class QueryLambdaTag(_Open):
    tag_name: str | None = None
    version: QueryLambdaVersion | None = None


class QueryLambdaVersionResponse(_Open):
    data: QueryLambdaVersion | None = None


class QueryLambdaResponse(_Open):
    data: QueryLambda | None = None


class QueryLambdaTagResponse(_Open):
    data: QueryLambdaTag | None = None


class ListQueryLambdasResponse(_Open):
    data: list[QueryLambda] | None = None


class ListQueryLambdaVersionsResponse(_Open):
    data: list[QueryLambdaVersion] | None = None


class ListQueryLambdaTagsResponse(_Open):
    data: list[QueryLambdaTag] | None = None
