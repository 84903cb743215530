"""The Azure Functions app (Python v2 model): the one ``FunctionApp`` and its blueprints.

The functions live in ``entrypoints/`` (one blueprint per kind of trigger) and the logic in
``handlers/``. Ports (SDK clients) are built once per worker on first use
(``entrypoints.wiring.ports``), never at import: importing this module (the worker's indexing,
tests, the Bicep consistency check) has no side effects.
"""

from __future__ import annotations

import azure.functions as func

from entrypoints import console, http_api, ops, subscribers, timers

# HTTP routes that name no auth level need a function key.
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

# In this order the functions are indexed as when they were all declared in this file.
app.register_functions(http_api.bp)
app.register_functions(subscribers.bp)
app.register_functions(timers.bp)
app.register_functions(ops.bp)
app.register_functions(console.bp)
