"""``host.json``, read as the Functions host reads it; what the local host cannot honour is said.

Honoured:

- ``version`` must be ``"2.0"`` (the host refuses anything else);
- ``extensions.http.routePrefix`` (default ``api``; ``""`` serves routes at the root), as in
  Azure/azure-functions-host ``HttpOptions``;
- ``functionTimeout``: a .NET ``TimeSpan`` (``"00:05:00"``, ``"1.00:00:00"``); default 30
  minutes and ``-1`` unbounded, as on Flex Consumption where this app runs; under 1 second is
  refused with the host's message (``Config/ScriptJobHostOptionsSetup.cs``);
- ``logging.logLevel``: a level per log category, the longest matching prefix winning as in
  .NET logging (``default``, ``Function``, ``Function.NAME``, ``Function.NAME.User``, ``Host``,
  ``Host.Results``, ...); see ``devstack.host.log_levels`` (levels hold records back; none
  shows more than the process logs anyway, INFO under ``devstack up``).

Everything else is reported at start-up (``HostJson.unhonoured``): ``extensionBundle``,
``telemetryMode`` and ``logging.applicationInsights`` have no local meaning; any other setting
changes behaviour in Azure that the local host does not reproduce.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from devstack.host.errors import HostStartError

HOST_JSON: Final = "host.json"
DEFAULT_ROUTE_PREFIX: Final = "api"
DEFAULT_FUNCTION_TIMEOUT: Final = timedelta(minutes=30)
MIN_FUNCTION_TIMEOUT: Final = timedelta(seconds=1)
# Settings with no local meaning: reported as such, not as a difference in behaviour.
NOT_APPLICABLE: Final = frozenset(
    {"extensionBundle", "telemetryMode", "logging.applicationInsights"}
)

# .NET LogLevel names -> Python logging levels ("None" silences the category).
LOG_LEVELS: Final[Mapping[str, int]] = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "information": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "none": logging.CRITICAL + 10,
}

# [-][d.]hh:mm[:ss[.fffffff]], the TimeSpan "c" format host.json uses; or a whole number of days.
_TIMESPAN = re.compile(
    r"^(?P<sign>-)?(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2})"
    r"(?::(?P<s>\d{1,2})(?:\.(?P<frac>\d{1,7}))?)?$"
)


def parse_timespan(text: str) -> timedelta:
    """A .NET ``TimeSpan`` string as ``timedelta``; ValueError if it is not one."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return timedelta(days=int(text))
    match = _TIMESPAN.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a TimeSpan (hh:mm:ss)")
    hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} is not a TimeSpan (hh:mm:ss)")
    span = timedelta(
        days=int(match["days"] or 0),
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        microseconds=int((match["frac"] or "0").ljust(7, "0")) / 10,
    )
    return -span if match["sign"] else span


@dataclass(frozen=True)
class HostJson:
    """The parts of host.json the local host honours, and what it does not."""

    route_prefix: str = DEFAULT_ROUTE_PREFIX
    function_timeout: timedelta | None = DEFAULT_FUNCTION_TIMEOUT  # None: unbounded
    log_levels: Mapping[str, int] = field(default_factory=dict)  # category (lower) -> level
    unhonoured: tuple[str, ...] = ()  # dotted paths, reported at start-up

    def report(self, log: logging.Logger) -> None:
        """Say at start-up which settings the local host does not honour."""
        for path in self.unhonoured:
            if path in NOT_APPLICABLE:
                log.info("host.json: '%s' has no meaning for the devstack host (ignored)", path)
            else:
                log.warning(
                    "host.json: '%s' is not honoured by the devstack host: Azure applies it, "
                    "this host behaves as if it were absent",
                    path,
                )


def load_host_json(script_root: Path) -> HostJson:
    """Read ``{script_root}/host.json`` (none: the defaults); HostStartError where the real host
    would not start."""
    path = script_root / HOST_JSON
    if not path.is_file():
        # The real host writes a default {"version": "2.0"} and carries on.
        return HostJson()
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HostStartError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(document, dict):
        raise HostStartError(f"{path} must hold a JSON object")
    return parse_host_json(document, where=str(path))


def parse_host_json(document: Mapping[str, Any], *, where: str = HOST_JSON) -> HostJson:
    """The honoured settings of a host.json document (see the module docstring)."""
    if document.get("version") != "2.0":
        raise HostStartError(
            f"{where}: 'version' must be \"2.0\" (got {document.get('version')!r}), as the "
            "Functions host v4 requires"
        )
    unhonoured: list[str] = []
    settings = {k: v for k, v in document.items() if k != "version"}
    route_prefix = _route_prefix(settings.pop("extensions", None), unhonoured, where)
    timeout = _function_timeout(settings.pop("functionTimeout", None), where)
    levels = _log_levels(settings.pop("logging", None), unhonoured, where)
    unhonoured.extend(sorted(settings))
    return HostJson(route_prefix, timeout, levels, tuple(unhonoured))


def _route_prefix(extensions: object, unhonoured: list[str], where: str) -> str:
    if extensions is None:
        return DEFAULT_ROUTE_PREFIX
    if not isinstance(extensions, dict):
        raise HostStartError(f"{where}: 'extensions' must be an object")
    prefix = DEFAULT_ROUTE_PREFIX
    for name, section in extensions.items():
        if name.lower() != "http" or not isinstance(section, dict):
            unhonoured.append(f"extensions.{name}")
            continue
        for key, value in section.items():
            if key.lower() != "routeprefix":
                unhonoured.append(f"extensions.{name}.{key}")
                continue
            if not isinstance(value, str):
                raise HostStartError(f"{where}: 'extensions.http.routePrefix' must be a string")
            prefix = value.strip("/")
    return prefix


def _function_timeout(value: object, where: str) -> timedelta | None:
    if value is None:
        return DEFAULT_FUNCTION_TIMEOUT
    try:
        timeout = parse_timespan(str(value))
    except ValueError as exc:
        raise HostStartError(f"{where}: 'functionTimeout': {exc}") from None
    if timeout == timedelta(days=-1):
        return None  # unbounded (Flex Consumption, Premium, Dedicated)
    if timeout < MIN_FUNCTION_TIMEOUT:
        raise HostStartError(
            f"{where}: FunctionTimeout must be greater than 00:00:01 and less than "
            "10675199.02:48:05.4775807."
        )
    return timeout


def _log_levels(logging_section: object, unhonoured: list[str], where: str) -> dict[str, int]:
    if logging_section is None:
        return {}
    if not isinstance(logging_section, dict):
        raise HostStartError(f"{where}: 'logging' must be an object")
    levels: dict[str, int] = {}
    for key, value in logging_section.items():
        if key != "logLevel":
            unhonoured.append(f"logging.{key}")
            continue
        if not isinstance(value, dict):
            raise HostStartError(f"{where}: 'logging.logLevel' must be an object")
        for category, name in value.items():
            level = LOG_LEVELS.get(str(name).lower())
            if level is None:
                raise HostStartError(
                    f"{where}: logging.logLevel.{category}: {name!r} is not a log level "
                    f"({', '.join(n.title() for n in LOG_LEVELS)})"
                )
            levels[str(category).lower()] = level
    return levels
