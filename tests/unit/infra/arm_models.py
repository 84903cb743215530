"""Check the Bicep's resources against the azure-mgmt-* SDK models, without a Bicep compiler.

The azure-mgmt-* packages are generated from the same REST API specifications as Bicep's resource
types, and every generated model class records its REST shape in ``_attribute_map`` (attribute ->
JSON key, dotted where the SDK flattens ``properties``, and type name), ``_validation`` (read-only
and required attributes) and ``_subtype_map`` (polymorphic objects such as an Event Grid
destination, chosen by a discriminator like ``endpointType``). So, for each resource:

- the type and API version must map to a model class of a package version that ships that API
  version (a multi-API package's ``vYYYY_MM_DD`` folder, or a single-API package whose default
  API version it is);
- every property path the resource body sets, recursively and through ``[for ...]`` loops, must
  exist in the model, must not be read-only, and a literal object, array, boolean or number must
  sit where the model expects one; required properties of a literal object must be set.

Values that are expressions (parameters, functions, interpolations) cannot be evaluated without a
compiler; only their place in the tree is checked.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

# Resource type (lower case) -> (azure-mgmt package, model class of the PUT body).
RESOURCE_MODELS: Final[dict[str, tuple[str, str]]] = {
    "microsoft.eventgrid/topics": ("azure.mgmt.eventgrid", "Topic"),
    "microsoft.eventgrid/topics/eventsubscriptions": ("azure.mgmt.eventgrid", "EventSubscription"),
    "microsoft.web/serverfarms": ("azure.mgmt.web", "AppServicePlan"),
    "microsoft.web/sites": ("azure.mgmt.web", "Site"),
    "microsoft.operationalinsights/workspaces": ("azure.mgmt.loganalytics", "Workspace"),
    "microsoft.insights/components": (
        "azure.mgmt.applicationinsights",
        "ApplicationInsightsComponent",
    ),
    "microsoft.storage/storageaccounts": (
        "azure.mgmt.storage",
        "StorageAccountCreateParameters",
    ),
    "microsoft.storage/storageaccounts/blobservices": (
        "azure.mgmt.storage",
        "BlobServiceProperties",
    ),
    "microsoft.storage/storageaccounts/blobservices/containers": (
        "azure.mgmt.storage",
        "BlobContainer",
    ),
    "microsoft.storage/storageaccounts/tableservices": (
        "azure.mgmt.storage",
        "TableServiceProperties",
    ),
    "microsoft.storage/storageaccounts/tableservices/tables": ("azure.mgmt.storage", "Table"),
    "microsoft.storage/storageaccounts/managementpolicies": (
        "azure.mgmt.storage",
        "ManagementPolicy",
    ),
    "microsoft.authorization/roleassignments": (
        "azure.mgmt.authorization",
        "RoleAssignmentCreateParameters",
    ),
}
# Where what Azure answers (read in outputs: `storage.properties.primaryEndpoints.blob`) is another
# model than what a deployment sends.
READ_MODELS: Final[dict[str, str]] = {
    "microsoft.storage/storageaccounts": "StorageAccount",
    "microsoft.authorization/roleassignments": "RoleAssignment",
}
# A property read on a resource symbol: `symbol.properties.a.b`, `symbol.identity.principalId`.
_READ: Final = re.compile(r"\b([A-Za-z_]\w*)\.((?:properties|identity|sku)(?:\.[A-Za-z_]\w*)+)")
# Keys of a resource body that are Bicep's own, not the resource's REST properties.
BICEP_KEYS: Final = frozenset({"name", "parent", "scope", "dependsOn"})
# Leaf types of msrest-style serialisation (everything else names a model class).
_SCALARS: Final = frozenset(
    {
        "str",
        "bool",
        "int",
        "long",
        "float",
        "decimal",
        "iso-8601",
        "rfc-1123",
        "unix-time",
        "duration",
        "date",
        "time",
        "bytearray",
        "base64",
    }
)
_NUMBERS: Final = frozenset({"int", "long", "float", "decimal"})
_DEFAULT_API_VERSION: Final = re.compile(
    r"""kwargs\.pop\(\s*['"]api_version['"]\s*,\s*['"]([^'"]+)['"]"""
)
_UNESCAPED_DOT: Final = re.compile(r"(?<!\\)\.")


@dataclass(frozen=True)
class Field:
    """One REST property of a model: its serialisation type and whether it is read-only."""

    type: str
    readonly: bool


# A model's REST shape: JSON key -> Field, or -> nested shape where the SDK flattened the key.
Shape = dict[str, "Field | Shape"]


class UnknownApiVersionError(LookupError):
    pass


def api_versions(package: str) -> list[str]:
    """The API versions a package ships: its vYYYY_MM_DD folders, else its default version."""
    module = importlib.import_module(package)
    folders = [
        info.name
        for info in pkgutil.iter_modules(module.__path__)
        if info.ispkg and re.fullmatch(r"v\d{4}_\d{2}_\d{2}\w*", info.name)
    ]
    if folders:
        return sorted(f[1:].replace("_", "-", 2) for f in folders)
    configuration = importlib.import_module(f"{package}._configuration")
    return _DEFAULT_API_VERSION.findall(inspect.getsource(configuration))[:1]


def models_module(package: str, api_version: str) -> ModuleType:
    folder = "v" + api_version.replace("-", "_")
    if importlib.util.find_spec(f"{package}.{folder}") is not None:
        return importlib.import_module(f"{package}.{folder}.models")
    shipped = api_versions(package)
    if not any(name.startswith("v") for name in _subpackages(package)) and shipped == [api_version]:
        return importlib.import_module(f"{package}.models")
    raise UnknownApiVersionError(
        f"{package} (installed version) does not ship API version {api_version}; it ships "
        f"{', '.join(shipped) or 'none'}"
    )


def _subpackages(package: str) -> list[str]:
    module = importlib.import_module(package)
    return [info.name for info in pkgutil.iter_modules(module.__path__) if info.ispkg]


def shape(model: type) -> Shape:
    """The REST shape of a model class, from its ``_attribute_map`` and ``_validation``."""
    validation: dict[str, dict[str, Any]] = getattr(model, "_validation", {})
    tree: Shape = {}
    for attribute, spec in model._attribute_map.items():  # type: ignore[attr-defined]
        segments = [s.replace("\\.", ".") for s in _UNESCAPED_DOT.split(spec["key"])]
        node = tree
        for segment in segments[:-1]:
            child = node.setdefault(segment, {})
            assert isinstance(child, dict), f"{model.__name__}: {spec['key']} nests in a leaf"
            node = child
        readonly = bool(validation.get(attribute, {}).get("readonly"))
        node[segments[-1]] = Field(spec["type"], readonly)
    return tree


def _required_paths(model: type) -> list[list[str]]:
    validation: dict[str, dict[str, Any]] = getattr(model, "_validation", {})
    return [
        [s.replace("\\.", ".") for s in _UNESCAPED_DOT.split(model._attribute_map[a]["key"])]  # type: ignore[attr-defined]
        for a, rules in validation.items()
        if rules.get("required") and not rules.get("readonly")
    ]


def _is_expression(value: object) -> bool:
    return isinstance(value, dict) and ("operator" in value or "function" in value)


def _is_loop(value: object) -> bool:
    return isinstance(value, dict) and "loop_type" in value


@dataclass
class Checker:
    """Collects the problems of one resource body against the models of one module."""

    models: ModuleType
    problems: list[str]

    def model(self, name: str) -> type:
        found = getattr(self.models, name, None)
        assert isinstance(found, type), f"{self.models.__name__} has no model {name}"
        return found

    def check_model(self, value: object, model: type, path: str) -> None:
        if not isinstance(value, dict) or _is_expression(value):
            if isinstance(value, bool | int | list):
                self.problems.append(f"{path}: an object ({model.__name__}) is expected")
            return
        model = self._subtype(value, model, path)
        for required in _required_paths(model):
            # A resource's own name is Bicep's `name`, taken out of the body before this.
            if (path or required != ["name"]) and not _has_path(value, required):
                self.problems.append(f"{_join(path, '.'.join(required))}: required, not set")
        self.check_shape(value, shape(model), path)

    def _subtype(self, value: dict[str, Any], model: type, path: str) -> type:
        """The subclass a polymorphic object's discriminator names (``endpointType``...)."""
        # Subclasses inherit the map: only the class that declares it chooses.
        subtypes: dict[str, dict[str, str]] = vars(model).get("_subtype_map") or {}
        for attribute, choices in subtypes.items():
            key = model._attribute_map[attribute]["key"]  # type: ignore[attr-defined]
            chosen = value.get(key)
            if not isinstance(chosen, str) or _is_expression(chosen):
                continue
            if chosen not in choices:
                self.problems.append(
                    f"{path}.{key}: {chosen!r} is not one of {', '.join(sorted(choices))}"
                )
                continue
            return self._subtype(value, self.model(choices[chosen]), path)
        return model

    def check_shape(self, value: dict[str, Any], node: Shape, path: str) -> None:
        for key, item in value.items():
            where = _join(path, key)
            if key not in node:
                self.problems.append(f"{where}: no such property")
                continue
            expected = node[key]
            if isinstance(expected, dict):
                if _is_loop(item) or not isinstance(item, dict):
                    if not isinstance(item, str) and not _is_expression(item):
                        self.problems.append(f"{where}: an object is expected")
                    continue
                if not _is_expression(item):
                    self.check_shape(item, expected, where)
                continue
            if expected.readonly:
                self.problems.append(f"{where}: read-only, cannot be set")
                continue
            self.check_value(item, expected.type, where)

    def check_value(self, value: object, type_name: str, path: str) -> None:
        if _is_loop(value):
            if not type_name.startswith("["):
                self.problems.append(f"{path}: a [for] loop makes an array; {type_name} expected")
                return
            self.check_value(value["config"], type_name[1:-1], f"{path}[]")  # type: ignore[index]
            return
        if type_name.startswith("["):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    self.check_value(item, type_name[1:-1], f"{path}[{index}]")
            elif isinstance(value, bool | int) or (
                isinstance(value, dict) and not _is_expression(value)
            ):
                self.problems.append(f"{path}: an array ({type_name}) is expected")
            return
        if type_name.startswith("{"):
            if isinstance(value, dict) and not _is_expression(value):
                for key, item in value.items():
                    self.check_value(item, type_name[1:-1], f"{path}.{key}")
            elif isinstance(value, bool | int | list):
                self.problems.append(f"{path}: an object ({type_name}) is expected")
            return
        if type_name == "object":
            return
        if type_name in _SCALARS:
            self._check_scalar(value, type_name, path)
            return
        self.check_model(value, self.model(type_name), path)

    def _check_scalar(self, value: object, type_name: str, path: str) -> None:
        if isinstance(value, list) or (isinstance(value, dict) and not _is_expression(value)):
            self.problems.append(f"{path}: a {type_name} is expected, not an object or array")
        elif isinstance(value, bool):
            if type_name != "bool":
                self.problems.append(f"{path}: a {type_name} is expected, not a boolean")
        elif isinstance(value, int) and type_name not in _NUMBERS:
            self.problems.append(f"{path}: a {type_name} is expected, not a number")


def _has_path(value: dict[str, Any], path: list[str]) -> bool:
    node: object = value
    for segment in path:
        if not isinstance(node, dict) or _is_expression(node) or _is_loop(node):
            return True  # an expression may produce it: only literal objects are held to it
        if segment not in node:
            return False
        node = node[segment]
    return True


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    """The object of a resource, looking through ``[for ...]`` loops and ``if (...)``."""
    config: dict[str, Any] = resource["config"]
    while ("loop_type" in config or "condition" in config) and isinstance(
        config.get("config"), dict
    ):
        config = config["config"]
    return config


def check_resource(resource: dict[str, Any]) -> list[str]:
    """Problems of one pycep resource: unknown type or API version, wrong property paths."""
    resource_type: str = resource["type"]
    api_version: str = resource["api_version"]
    where = f"{resource_type}@{api_version}"
    mapped = RESOURCE_MODELS.get(resource_type.lower())
    if mapped is None:
        return [f"{where}: resource type not mapped to an azure-mgmt model (RESOURCE_MODELS)"]
    package, model_name = mapped
    try:
        models = models_module(package, api_version)
    except UnknownApiVersionError as exc:
        return [f"{where}: {exc}"]
    checker = Checker(models, [])
    model = checker.model(model_name)
    body = resource_body(resource)
    if "name" not in body:
        checker.problems.append(f"{where}: no name")
    if resource.get("existing"):
        return checker.problems
    properties = {key: value for key, value in body.items() if key not in BICEP_KEYS}
    checker.check_model(properties, model, "")
    return [f"{where}: {problem}" for problem in checker.problems]


def check_reads(bicep_text: str, resources: dict[str, dict[str, Any]]) -> list[str]:
    """Problems of the property reads on resource symbols (outputs, interpolations): each path
    must exist in the model Azure answers with, read-only properties included."""
    problems = []
    for symbol, path in sorted(set(_READ.findall(bicep_text))):
        resource = resources.get(symbol)
        if resource is None:
            continue  # a module, parameter or variable: not a resource's REST shape
        mapped = RESOURCE_MODELS.get(resource["type"].lower())
        if mapped is None:
            continue  # check_resource reports it
        try:
            models = models_module(mapped[0], resource["api_version"])
        except UnknownApiVersionError:
            continue  # check_resource reports it
        read_model = READ_MODELS.get(resource["type"].lower(), mapped[1])
        checker = Checker(models, [])
        node: Field | Shape = shape(checker.model(read_model))
        for depth, segment in enumerate(path.split(".")):
            if isinstance(node, Field):
                if (
                    node.type in _SCALARS
                    or node.type.startswith(("[", "{"))
                    or node.type == "object"
                ):
                    node = {}  # nothing to read below a value
                else:
                    node = shape(checker.model(node.type))
            if segment not in node:
                read = ".".join(path.split(".")[: depth + 1])
                problems.append(f"{symbol}.{read}: no such property in {read_model}")
                break
            node = node[segment]
    return problems
