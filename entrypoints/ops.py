"""The operator's dead-letter routes (README "Dead letters"): list, reprocess now, requeue.

``authLevel: admin``: in Azure only the master key opens them.
"""

from __future__ import annotations

import azure.functions as func

from entrypoints import wiring
from entrypoints.http_edge import ProblemError, handle_errors, json_response, parse_query
from handlers import dead_letters
from handlers.ports import DeadLetterState

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="ops/dead-letters", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def list_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, dead_letters.DeadLetterQuery)
    states = [query.state] if query.state else list(DeadLetterState)
    view = dead_letters.dead_letter_overview(
        wiring.dead_letter_store(),
        wiring.ports(),
        states=states,
        subscription=query.subscription,
        limit=query.limit,
    )
    return json_response(view)


@bp.route(route="ops/dead-letters/reprocess", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def reprocess_dead_letters_now(req: func.HttpRequest) -> func.HttpResponse:
    options = parse_query(req, dead_letters.ReprocessOptions)
    report = dead_letters.reprocess_dead_letters(
        wiring.dead_letter_store(), wiring.ports(), trigger="operator", force=options.force
    )
    return json_response(report.as_json())


@bp.route(route="ops/dead-letters/requeue", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def requeue_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    """Move poison (or archived) blobs back to ``deadletter`` once their cause is fixed."""
    options = parse_query(req, dead_letters.RequeueOptions)
    report = dead_letters.requeue_dead_letters(
        wiring.dead_letter_store(),
        wiring.ports(),
        source=options.state,
        subscription=options.subscription,
        name=options.name,
        limit=options.limit,
    )
    if options.name is not None and not report.items:
        raise ProblemError(404, "Not found", f"no {options.state.value} blob {options.name!r}")
    return json_response(report.as_json())
