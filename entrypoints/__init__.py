"""The Azure Functions entry points: one ``func.Blueprint`` per kind of trigger.

``function_app.py`` creates the one ``FunctionApp`` and registers these blueprints; everything
that knows about ``azure.functions`` (requests, responses, delivered events, timers) lives in
this package, so ``handlers/`` and ``adapters/`` stay free of the Functions programming model.
"""
