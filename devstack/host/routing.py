"""ASP.NET Core style route templates, as the Functions host uses for HTTP triggers.

Supported: literal segments (matched case-insensitively), ``{name}``, constrained parameters
``{id:int}``, ``{id:int:min(1)}``, an optional last parameter ``{name?}`` and a catch-all last
parameter ``{*rest}``. Several parameters in one segment (``{a}.{b}``) work too. Route values are
returned as strings, percent-decoded, as the host passes them to the worker.

When several templates match a path, the most specific wins, as in ASP.NET Core: per segment a
literal beats a constrained parameter, which beats a plain one, which beats a catch-all.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from devstack.host.errors import HostStartError

_PARAM = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONSTRAINT = re.compile(r"^(?P<name>[a-z]+)(?:\((?P<args>.*)\))?$", re.IGNORECASE)

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

Check = Callable[[str], bool]
T = TypeVar("T")


def _integer(bounds: tuple[int, int]) -> Check:
    def check(value: str) -> bool:
        if not re.fullmatch(r"[+-]?\d+", value):
            return False
        return bounds[0] <= int(value) <= bounds[1]

    return check


def _number(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number)


def _guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def _alpha(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z]+", value) is not None


def _ints(args: str, count: int, spec: str) -> list[int]:
    parts = [part.strip() for part in args.split(",")] if args else []
    if len(parts) != count or not all(re.fullmatch(r"-?\d+", part) for part in parts):
        raise ValueError(f"constraint {spec!r} takes {count} integer argument(s)")
    return [int(part) for part in parts]


def _constraint(spec: str) -> Check:
    match = _CONSTRAINT.match(spec)
    if match is None:
        raise ValueError(f"unsupported route constraint {spec!r}")
    name, args = match["name"].lower(), match["args"] or ""
    simple: dict[str, Check] = {
        "int": _integer(_INT32),
        "long": _integer(_INT64),
        "bool": _bool,
        "guid": _guid,
        "alpha": _alpha,
        "double": _number,
        "float": _number,
        "decimal": _number,
        "datetime": _datetime,
    }
    if name in simple:
        if match["args"] is not None:
            raise ValueError(f"constraint {name!r} takes no arguments")
        return simple[name]
    if name == "regex":
        pattern = re.compile(args, re.IGNORECASE)
        return lambda value: pattern.search(value) is not None
    if name in ("min", "max"):
        (bound,) = _ints(args, 1, spec)
        if name == "min":
            return lambda value: _integer(_INT64)(value) and int(value) >= bound
        return lambda value: _integer(_INT64)(value) and int(value) <= bound
    if name == "range":
        low, high = _ints(args, 2, spec)
        return lambda value: _integer(_INT64)(value) and low <= int(value) <= high
    if name in ("minlength", "maxlength"):
        (size,) = _ints(args, 1, spec)
        if name == "minlength":
            return lambda value: len(value) >= size
        return lambda value: len(value) <= size
    if name == "length":
        sizes = _ints(args, 2 if "," in args else 1, spec)
        low, high = (sizes[0], sizes[0]) if len(sizes) == 1 else (sizes[0], sizes[1])
        return lambda value: low <= len(value) <= high
    raise ValueError(f"unsupported route constraint {spec!r}")


@dataclass(frozen=True)
class RouteParameter:
    name: str
    optional: bool = False
    catch_all: bool = False
    checks: tuple[Check, ...] = field(default=(), compare=False)

    def accepts(self, value: str) -> bool:
        return all(check(value) for check in self.checks)


def _parse_parameter(body: str) -> RouteParameter:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    if "=" in body:
        raise ValueError("default values in route parameters are not supported")
    name, *constraints = body.split(":")
    optional = name.endswith("?")
    name = name.rstrip("?")
    if constraints and constraints[-1].endswith("?"):
        optional = True
        constraints[-1] = constraints[-1][:-1]
    if not _NAME.match(name):
        raise ValueError(f"invalid route parameter name {name!r}")
    return RouteParameter(
        name=name,
        optional=optional,
        catch_all=catch_all,
        checks=tuple(_constraint(spec) for spec in constraints),
    )


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template (without the ``api/`` prefix)."""

    template: str
    pattern: re.Pattern[str] = field(compare=False)
    parameters: tuple[RouteParameter, ...] = field(compare=False)
    precedence: tuple[int, ...] = field(compare=False)

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        """Parse a template; a bad one raises HostStartError naming it."""
        try:
            return cls._parse(template)
        except ValueError as exc:
            raise HostStartError(f"invalid route template {template!r}: {exc}") from exc

    @classmethod
    def _parse(cls, template: str) -> RouteTemplate:
        text = template.strip().strip("/")
        segments = text.split("/") if text else []
        regex_parts: list[str] = []
        parameters: list[RouteParameter] = []
        precedence: list[int] = []
        for index, segment in enumerate(segments):
            last = index == len(segments) - 1
            if not segment:
                raise ValueError("empty segment")
            pieces = _PARAM.split(segment)  # literal, param, literal, param, ..., literal
            if "{" in "".join(pieces[0::2]) or "}" in "".join(pieces[0::2]):
                raise ValueError(f"unbalanced braces in segment {segment!r}")
            segment_params = [_parse_parameter(body) for body in pieces[1::2]]
            if any(p.catch_all for p in segment_params) and not (last and len(pieces) == 3):
                raise ValueError("a catch-all parameter must be the whole last segment")
            if any(p.optional for p in segment_params) and not (last and len(pieces) == 3):
                raise ValueError("an optional parameter must be the whole last segment")
            segment_regex = ""
            for position, piece in enumerate(pieces):
                if position % 2 == 0:
                    segment_regex += re.escape(piece)
                    continue
                param = segment_params[position // 2]
                group = f"p{len(parameters)}"
                parameters.append(param)
                segment_regex += f"(?P<{group}>.*)" if param.catch_all else f"(?P<{group}>[^/]+)"
            only = segment_params[0] if len(pieces) == 3 and pieces[0] == pieces[2] == "" else None
            if only is not None and (only.optional or only.catch_all):
                # Optional and catch-all segments may be absent, slash included.
                regex_parts.append(
                    f"(?:/{segment_regex})?" if regex_parts else f"(?:{segment_regex})?"
                )
            else:
                regex_parts.append(("/" if regex_parts else "") + segment_regex)
            if not segment_params:
                precedence.append(1)
            elif only is None:
                precedence.append(2)
            elif only.catch_all:
                precedence.append(5)
            elif only.checks:
                precedence.append(3)
            else:
                precedence.append(4)
        names = [p.name.lower() for p in parameters]
        if len(set(names)) != len(names):
            raise ValueError("a route parameter name appears twice")
        pattern = re.compile("".join(regex_parts), re.IGNORECASE | re.DOTALL)
        return cls(
            template=text,
            pattern=pattern,
            parameters=tuple(parameters),
            precedence=tuple(precedence),
        )

    def match(self, path: str) -> dict[str, str] | None:
        """Route values if ``path`` (relative to ``/api``, decoded) matches, else None."""
        match = self.pattern.fullmatch(path.strip("/"))
        if match is None:
            return None
        values: dict[str, str] = {}
        for index, param in enumerate(self.parameters):
            value = match[f"p{index}"]
            if value is None or value == "":
                if param.optional or param.catch_all:
                    continue
                return None
            if not param.accepts(value):
                return None
            values[param.name] = value
        return values


def best_match(
    candidates: Sequence[tuple[RouteTemplate, T]], path: str
) -> tuple[T, dict[str, str]] | None:
    """The most specific template matching ``path`` with its route values."""
    found: list[tuple[tuple[int, ...], int, T, dict[str, str]]] = []
    for order, (template, item) in enumerate(candidates):
        values = template.match(path)
        if values is not None:
            found.append((template.precedence, order, item, values))
    if not found:
        return None
    _, _, item, values = min(found, key=lambda entry: (entry[0], entry[1]))
    return item, values
