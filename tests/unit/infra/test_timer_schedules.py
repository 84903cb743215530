"""The timers' schedules are app settings: frequent locally (the sample settings), seldom in Azure
(the function app's settings in the Bicep), so that an idle deployment mostly sits at zero
instances; the cost text in infra/README.md states the runs a day these schedules make."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from devstack.host.schedule import parse_schedule
from devstack.settings import SAMPLE_FILE, read_values
from tests.support.functions import FUNCTION_APP, indexed_functions
from tests.unit.infra.bicep_doc import INFRA, MODULES, REPO, one_resource, parse, resource_body

SETTING: Final = re.compile(r"^%([^%]+)%$")
DAY_START: Final = datetime(2031, 5, 1, tzinfo=UTC)


def _timer_settings() -> dict[str, str]:
    """Function name -> the app setting its schedule names."""
    found = {}
    for function in indexed_functions(FUNCTION_APP):
        trigger = function.get_trigger()
        if trigger is not None and trigger.get_binding_name() == "timerTrigger":
            schedule = trigger.get_dict_repr()["schedule"]
            match = SETTING.match(schedule)
            assert match, f"{function.get_function_name()}: schedule {schedule!r} is not a setting"
            found[str(function.get_function_name())] = match[1]
    return found


def _azure_schedules() -> dict[str, str]:
    path = MODULES / "functionapp.bicep"
    site = resource_body(one_resource(path, "Microsoft.Web/sites"))
    params = parse(path)["parameters"]
    settings = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    timers = set(_timer_settings().values())
    return {name: params[settings[name]]["default"] for name in timers if name in settings}


def _runs_a_day(expression: str) -> int:
    schedule = parse_schedule(expression, {})
    moment, runs = DAY_START - timedelta(microseconds=1), 0
    while (moment := schedule.next_after(moment)) < DAY_START + timedelta(days=1):
        runs += 1
    return runs


def test_both_timers_take_their_schedule_from_an_app_setting() -> None:
    assert _timer_settings() == {
        "relay_outbox": "OUTBOX_RELAY_SCHEDULE",
        "reprocess_dead_letters": "DEAD_LETTER_REPROCESS_SCHEDULE",
    }


def test_the_local_stack_and_azure_both_set_every_schedule() -> None:
    sample = read_values(REPO / SAMPLE_FILE)
    azure = _azure_schedules()
    for setting in _timer_settings().values():
        parse_schedule(sample[setting], {})  # raises on a bad expression
        parse_schedule(azure[setting], {})


def test_azure_runs_the_timers_a_few_hundred_times_a_day_not_thousands() -> None:
    azure = _azure_schedules()
    runs = {s: _runs_a_day(azure[s]) for s in _timer_settings().values()}
    assert runs == {"OUTBOX_RELAY_SCHEDULE": 288, "DEAD_LETTER_REPROCESS_SCHEDULE": 24}
    local = read_values(REPO / SAMPLE_FILE)
    assert _runs_a_day(local["OUTBOX_RELAY_SCHEDULE"]) == 2880, "tests wait on a 30 s relay"


def test_the_cost_text_states_what_the_schedules_do() -> None:
    text = " ".join((INFRA / "README.md").read_text(encoding="utf-8").split())
    azure = _azure_schedules()
    total = sum(_runs_a_day(expression) for expression in azure.values())
    assert f"{total} timer runs a day" in text
    for setting in azure:
        assert f"`{setting}`" in text, f"infra/README.md does not name {setting}"
