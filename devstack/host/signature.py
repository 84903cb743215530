"""The Python worker's load-time checks of a function's signature against its bindings.

Mirrors ``Registry.add_function`` in Azure/azure-functions-python-worker
(``azure_functions_worker/functions.py``), in its order and with its messages, so a function the
worker refuses to load is refused here and one it accepts is accepted:

- a ``context`` parameter that no binding names is the invocation context; if annotated, the
  annotation must be a class named ``Context`` (``func.Context``);
- Python parameters and binding names must agree;
- each annotation must be a type (or a generic alias such as ``func.Out[...]``), ``func.Out``
  exactly on ``out`` bindings, and fit the binding's converter;
- a ``str``/``bytes`` annotation on a binding without implicit output binds as the worker's
  ``generic`` binding (the trigger then receives the raw payload, not the library's type);
- a ``$return`` binding's return annotation must be a type that fits it (``-> None`` does not
  fit ``http``).
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions import meta

from devstack.host.errors import HostStartError

RETURN = "$return"
CONTEXT_PARAM = "context"
GENERIC = "generic"

_NOT_GENERIC_ORIGINS = (typing.Union, tuple, typing.ClassVar, collections.abc.Callable)


class FunctionLoadError(HostStartError):
    """The worker's ``FunctionLoadError``: the function cannot be loaded."""

    def __init__(self, function_name: str, msg: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {msg}")


@dataclass(frozen=True)
class Signature:
    """What the checks found out about how to call the function."""

    context_param: str | None
    binding_types: Mapping[str, str]  # parameter -> the binding the worker decodes it with


def _is_generic_type(annotation: object) -> bool:
    """``typing_inspect.is_generic_type`` as vendored by the worker (Python >= 3.9)."""
    if isinstance(annotation, type):
        return issubclass(annotation, typing.Generic)
    alias_types = (typing._GenericAlias, typing._SpecialGenericAlias)  # type: ignore[attr-defined]
    return (
        isinstance(annotation, alias_types)
        and getattr(annotation, "__origin__", None) not in _NOT_GENERIC_ORIGINS
    )


def _is_out(annotation: object) -> bool:
    origin = typing.get_origin(annotation) if _is_generic_type(annotation) else None
    candidate = origin if origin is not None else annotation
    return isinstance(candidate, type) and candidate.__name__ == "Out"


def _registry() -> Mapping[str, Any]:
    registry: Mapping[str, Any] = meta.get_binding_registry()  # type: ignore[no-untyped-call]
    return registry


def _binding(binding_type: str) -> Any:
    """The worker's ``get_binding``: the registered converter, else its generic binding."""
    return _registry().get(binding_type) or _GenericBinding


class _GenericBinding:
    """The worker's ``GenericBinding`` (``azure_functions_worker/bindings/generic.py``)."""

    @staticmethod
    def check_input_type_annotation(pytype: type) -> bool:
        return issubclass(pytype, (str, bytes))

    @staticmethod
    def check_output_type_annotation(pytype: type) -> bool:
        return issubclass(pytype, (str, bytes, bytearray))


def _has_implicit_output(binding_type: str) -> bool:
    converter = _binding(binding_type)
    if converter is _GenericBinding:
        return binding_type != "durableClient"
    implicit: Callable[[], bool] = getattr(converter, "has_implicit_output", lambda: False)
    return bool(implicit())


def _checks(check: Callable[[type], bool], pytype: type) -> bool:
    try:
        return bool(check(pytype))
    except TypeError:  # issubclass() on a generic alias: the worker would raise at load too
        return False


def check_signature(
    name: str, function: Callable[..., Any], bindings: tuple[dict[str, Any], ...]
) -> Signature:
    """Run the worker's checks; FunctionLoadError (a HostStartError) with its message if bad."""
    params = dict(inspect.signature(function).parameters)
    try:
        annotations = typing.get_type_hints(function)
    except Exception as exc:  # the worker's get_type_hints would raise the same at load
        raise FunctionLoadError(name, f"bad annotations: {exc}") from exc
    bound = {str(b["name"]): b for b in bindings if b.get("name") != RETURN}
    returns = [b for b in bindings if b.get("name") == RETURN]
    for binding in bindings:
        direction = str(binding.get("direction", "IN")).upper()
        if direction == "INOUT":
            raise FunctionLoadError(name, '"inout" bindings are not supported')
        if binding.get("name") == RETURN and direction != "OUT":
            raise FunctionLoadError(name, '"$return" binding must have direction set to "out"')

    context: str | None = None
    if CONTEXT_PARAM in params and CONTEXT_PARAM not in bound:
        context = CONTEXT_PARAM
        params.pop(CONTEXT_PARAM)
        if CONTEXT_PARAM in annotations:
            annotation = annotations[CONTEXT_PARAM]
            if not isinstance(annotation, type) or annotation.__name__ != "Context":
                raise FunctionLoadError(
                    name,
                    'the "context" parameter is expected to be of type '
                    f"azure.functions.Context, got {annotation!r}",
                )

    if set(params) - set(bound):
        raise FunctionLoadError(
            name,
            "the following parameters are declared in Python but not in function.json: "
            f"{set(params) - set(bound)!r}",
        )
    if set(bound) - set(params):
        raise FunctionLoadError(
            name,
            "the following parameters are declared in function.json but not in Python: "
            f"{set(bound) - set(params)!r}",
        )

    binding_types = {
        param: _check_parameter(name, param, bound[param], annotations) for param in params
    }
    if returns and "return" in annotations:
        _check_return(name, str(returns[0]["type"]), annotations["return"])
    return Signature(context_param=context, binding_types=binding_types)


def _check_parameter(
    name: str, param: str, binding: Mapping[str, Any], annotations: Mapping[str, Any]
) -> str:
    """One parameter, as ``validate_function_params``; the binding type it decodes with."""
    binding_type = str(binding["type"])
    if param not in annotations:
        return binding_type
    annotation = annotations[param]
    is_param_out = _is_out(annotation)
    is_binding_out = str(binding.get("direction", "IN")).upper() == "OUT"
    pytype: Any = annotation
    if is_param_out:
        args = typing.get_args(annotation)
        if len(args) != 1:
            raise FunctionLoadError(
                name, f"binding {param} has invalid Out annotation {annotation!r}"
            )
        pytype = args[0]
    if not isinstance(pytype, type) and not _is_generic_type(pytype):
        raise FunctionLoadError(
            name, f"binding {param} has invalid non-type annotation {annotation!r}"
        )
    if is_binding_out and not is_param_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "out" direction, but its annotation '
            "in Python is not a subclass of azure.functions.Out",
        )
    if not is_binding_out and is_param_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "in" direction in function.json, but '
            "its annotation is azure.functions.Out in Python",
        )
    bind_type = (
        GENERIC
        if pytype in (str, bytes) and not _has_implicit_output(binding_type)
        else binding_type
    )
    converter = _GenericBinding if bind_type == GENERIC else _binding(bind_type)
    check = (
        converter.check_output_type_annotation
        if is_param_out
        else converter.check_input_type_annotation
    )
    if not _checks(check, pytype):
        type_name = getattr(pytype, "__name__", repr(pytype))
        raise FunctionLoadError(
            name,
            f'type of {param} binding in function.json "{binding_type}" does not match its '
            f'Python annotation "{type_name}"',
        )
    return bind_type


def _check_return(name: str, binding_type: str, annotation: Any) -> None:
    """``get_function_return_type`` for an explicit ``$return`` binding."""
    if _is_generic_type(annotation) and typing.get_origin(annotation) is func.Out:
        raise FunctionLoadError(name, "return annotation should not be azure.functions.Out")
    if not isinstance(annotation, type):
        raise FunctionLoadError(name, f"has invalid non-type return annotation {annotation!r}")
    if not _checks(_binding(binding_type).check_output_type_annotation, annotation):
        raise FunctionLoadError(
            name,
            f'Python return annotation "{annotation.__name__}" does not match binding type '
            f'"{binding_type}"',
        )
