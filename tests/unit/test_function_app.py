"""function_app.py as the worker indexes it: the dead letter timer and the admin routes
(declared by the blueprints in entrypoints/timers.py and entrypoints/ops.py)."""

from __future__ import annotations

from tests.support.functions import FUNCTION_APP, indexed_functions


def test_the_reprocessor_is_a_timer_on_its_app_setting_and_the_ops_routes_need_admin() -> None:
    bindings = {
        function.get_function_name(): function.get_trigger().get_dict_repr()  # type: ignore[union-attr]
        for function in indexed_functions(FUNCTION_APP)
    }
    timer = bindings["reprocess_dead_letters"]
    assert timer["type"] == "timerTrigger"
    assert timer["schedule"] == "%DEAD_LETTER_REPROCESS_SCHEDULE%"
    routes = {b["route"]: b for b in bindings.values() if b["type"] == "httpTrigger"}
    assert str(routes["ops/dead-letters"]["authLevel"]).lower().endswith("admin")
    assert [str(m.value) for m in routes["ops/dead-letters"]["methods"]] == ["GET"]
    assert str(routes["ops/dead-letters/reprocess"]["authLevel"]).lower().endswith("admin")
    assert [str(m.value) for m in routes["ops/dead-letters/reprocess"]["methods"]] == ["POST"]
    assert str(routes["ops/dead-letters/requeue"]["authLevel"]).lower().endswith("admin")
    assert [str(m.value) for m in routes["ops/dead-letters/requeue"]["methods"]] == ["POST"]
