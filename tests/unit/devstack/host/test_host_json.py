"""host.json as the Functions host reads it (``devstack.host.host_json``, ``.log_levels``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.host import HostStartError
from devstack.host.host_json import load_host_json, parse_host_json, parse_timespan
from devstack.host.invoker import format_timespan
from devstack.host.log_levels import CURRENT_FUNCTION, CategoryFilter, category_of, level_for


def doc(**settings: Any) -> dict[str, Any]:
    return {"version": "2.0", **settings}


def test_the_projects_own_host_json_is_read() -> None:
    host_json = load_host_json(Path(".").resolve())
    assert host_json.route_prefix == "api"
    assert host_json.function_timeout == timedelta(minutes=30)
    assert host_json.log_levels == {"default": logging.INFO}
    assert host_json.unhonoured == ("extensionBundle", "telemetryMode")


def test_no_host_json_means_the_defaults(tmp_path: Path) -> None:
    host_json = load_host_json(tmp_path)
    assert (host_json.route_prefix, host_json.function_timeout) == ("api", timedelta(minutes=30))


@pytest.mark.parametrize("version", [None, "1.0", 2])
def test_the_version_must_be_2_0(version: object) -> None:
    with pytest.raises(HostStartError, match=r"'version' must be \"2.0\""):
        parse_host_json({"version": version} if version is not None else {})


@pytest.mark.parametrize(
    ("extensions", "prefix"),
    [({"http": {"routePrefix": ""}}, ""), ({"http": {"routePrefix": "/v1/"}}, "v1"), ({}, "api")],
)
def test_the_route_prefix(extensions: dict[str, Any], prefix: str) -> None:
    assert parse_host_json(doc(extensions=extensions)).route_prefix == prefix


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("00:05:00", timedelta(minutes=5)),
        ("1.02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("00:00:01.5", timedelta(seconds=1.5)),
        ("-1", timedelta(days=-1)),
        ("2", timedelta(days=2)),
    ],
)
def test_timespans_parse_as_dotnet_does(text: str, span: timedelta) -> None:
    assert parse_timespan(text) == span


@pytest.mark.parametrize("text", ["5 minutes", "00:60:00", "", "1:2:3:4"])
def test_a_bad_timespan_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a TimeSpan"):
        parse_timespan(text)


def test_function_timeout_bounds() -> None:
    assert parse_host_json(doc(functionTimeout="-1")).function_timeout is None  # unbounded
    assert parse_host_json(doc(functionTimeout="00:00:02")).function_timeout == timedelta(seconds=2)
    with pytest.raises(HostStartError, match="FunctionTimeout must be greater than 00:00:01"):
        parse_host_json(doc(functionTimeout="00:00:00.5"))
    with pytest.raises(HostStartError, match="functionTimeout"):
        parse_host_json(doc(functionTimeout="soon"))


def test_timespans_print_as_dotnet_does() -> None:
    assert format_timespan(timedelta(minutes=5)) == "00:05:00"
    assert format_timespan(timedelta(days=1, seconds=1)) == "1.00:00:01"


def test_log_levels_and_a_bad_level() -> None:
    levels = parse_host_json(
        doc(logging={"logLevel": {"default": "Warning", "Function.hello": "None"}})
    ).log_levels
    assert levels == {"default": logging.WARNING, "function.hello": logging.CRITICAL + 10}
    with pytest.raises(HostStartError, match=r"logging.logLevel.default: 'Loud'"):
        parse_host_json(doc(logging={"logLevel": {"default": "Loud"}}))


def test_what_is_not_honoured_is_listed_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    host_json = parse_host_json(
        doc(
            extensions={"http": {"routePrefix": "x", "maxConcurrentRequests": 5}, "eventGrid": {}},
            logging={"applicationInsights": {}, "logLevel": {}},
            retry={"strategy": "fixedDelay"},
            telemetryMode="OpenTelemetry",
        )
    )
    assert host_json.unhonoured == (
        "extensions.http.maxConcurrentRequests",
        "extensions.eventGrid",
        "logging.applicationInsights",
        "retry",
        "telemetryMode",
    )
    with caplog.at_level(logging.INFO, logger="test.host_json"):
        host_json.report(logging.getLogger("test.host_json"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 3
    assert "'retry' is not honoured" in " ".join(warnings)
    assert len(infos) == 2
    assert "'telemetryMode' has no meaning" in " ".join(infos)


def test_the_longest_category_prefix_wins() -> None:
    levels = {"default": 30, "function": 20, "function.hello": 40, "host.results": 10}
    assert level_for(levels, "Function.hello") == 40
    assert level_for(levels, "Function.hello.User") == 40
    assert level_for(levels, "Function.helloworld") == 20  # a prefix is whole segments
    assert level_for(levels, "Host.Results") == 10
    assert level_for(levels, "Host.General") == 30
    assert level_for({}, "Host.General") is None


def record(name: str, level: int, **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord(name, level, __file__, 1, "message", None, None)
    made.__dict__.update(extra)
    return made


def test_records_are_filed_under_the_hosts_categories() -> None:
    assert category_of(record("devstack.host", 20, category="Function.a")) == "Function.a"
    assert category_of(record("devstack.host", 20)) == "Host.General"
    assert category_of(record("azure.core", 20)) is None
    token = CURRENT_FUNCTION.set("hello")
    try:
        assert category_of(record("root", 20)) == "Function.hello.User"
    finally:
        CURRENT_FUNCTION.reset(token)


def test_the_filter_applies_category_levels_and_leaves_other_records_alone() -> None:
    keep = CategoryFilter({"function.hello": logging.WARNING})
    assert not keep.filter(record("devstack.host", logging.INFO, category="Function.hello"))
    assert keep.filter(record("devstack.host", logging.ERROR, category="Function.hello"))
    assert keep.filter(record("devstack.host", logging.DEBUG, category="Function.other"))
    assert keep.filter(record("azure.core", logging.DEBUG))
