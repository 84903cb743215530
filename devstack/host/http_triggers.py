"""HTTP triggers (``/api/{route}``): route matching, the key check and the invocation.

A path that matches no route, or matches only with another method, is 404 with an empty body
(the real host answers 404, not 405: see Azure/azure-functions-host#10098). Missing or wrong
key: 401, empty body.
"""

from __future__ import annotations

from collections.abc import Iterable

from azure.functions import meta
from starlette.requests import Request
from starlette.responses import Response

from devstack.host.auth import HostKeys
from devstack.host.bindings import HttpResult, http_datum, map_http_result
from devstack.host.indexing import FunctionInfo
from devstack.host.invoker import Invoker
from devstack.host.routing import RouteTemplate, best_match
from devstack.host.web import authorized, empty


class HttpTriggers:
    """Every HTTP-triggered function of the app, served under the route prefix."""

    def __init__(self, functions: Iterable[FunctionInfo], invoker: Invoker, keys: HostKeys) -> None:
        self._routes: list[tuple[RouteTemplate, FunctionInfo]] = [
            (info.http.route, info) for info in functions if info.http is not None
        ]
        self._invoker = invoker
        self._keys = keys

    async def handle(self, request: Request, relative_path: str) -> Response:
        """Answer a request whose path, under the route prefix, is ``relative_path``."""
        method = request.method.upper()
        candidates = [
            (route, info)
            for route, info in self._routes
            if info.http is not None and info.http.allows(method)
        ]
        found = best_match(candidates, relative_path)
        if found is None:
            return empty(404)
        info, route_params = found
        assert info.http is not None
        if not authorized(request, info.http.auth_level, self._keys):
            return empty(401)
        body = await request.body()

        def make_request() -> meta.Datum:
            return http_datum(
                method=method,
                url=str(request.url),
                headers=request.headers.items(),
                query=request.query_params.multi_items(),
                route_params=route_params,
                body=body,
            )

        outcome = await self._invoker.invoke(
            info,
            make_request,
            trace_parent=request.headers.get("traceparent", ""),
            convert_result=map_http_result,
        )
        if not outcome.succeeded:
            return empty(500)
        result: HttpResult = outcome.value
        response = Response(result.body, status_code=result.status)
        for name, value in result.headers:
            response.headers.append(name, value)
        return response
