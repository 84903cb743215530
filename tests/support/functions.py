"""The functions of a Functions app module as the Python worker indexes them.

Several test packages check what ``function_app.py`` declares (subscriptions, OpenAPI routes,
dead-letter timers); they all index it the same way, through this one helper.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import azure.functions as func
from azure.functions.decorators.function_app import Function

FUNCTION_APP: Final = Path(__file__).resolve().parents[2] / "function_app.py"


def indexed_functions(path: Path) -> list[Function]:
    """Index the app module at ``path`` as the worker does, in a private copy of the module (the
    worker calls get_functions() once per FunctionApp; a second call on a shared app would fail)."""
    spec = importlib.util.spec_from_file_location("_function_app_indexed_for_tests", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionApp)]
    assert len(apps) == 1, f"expected one FunctionApp in {path.name}, found {len(apps)}"
    return apps[0].get_functions()
