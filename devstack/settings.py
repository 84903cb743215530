"""The local stack's settings: ``local.settings.json`` ``Values`` turned into a ``StackConfig``.

Precedence, lowest first (the same as Core Tools for the app's own settings):

1. ``local.settings.sample.json`` (so a ``local.settings.json`` made before a setting existed still
   works; ``devstack up`` says which settings it took from the sample);
2. ``local.settings.json`` (or the file passed with ``--settings``);
3. the process environment.

Whatever the settings say, the stack points the app at the components it actually runs:
``AzureWebJobsStorage``, ``EVENTGRID_TOPIC_ENDPOINT``, ``EVENTGRID_TOPIC_KEY`` and the
``DEVSTACK_*`` values the app sees are the ones in use (see ``StackConfig.app_settings``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from adapters.connection import expand_connection_string
from devstack.azurite import PROJECT_ROOT
from devstack.host.auth import HostKeys, KeyConfigError

SETTINGS_FILE: Final = "local.settings.json"
SAMPLE_FILE: Final = "local.settings.sample.json"

STORAGE: Final = "AzureWebJobsStorage"
TOPIC_ENDPOINT: Final = "EVENTGRID_TOPIC_ENDPOINT"
TOPIC_KEY: Final = "EVENTGRID_TOPIC_KEY"
FUNCTION_KEY: Final = "DEVSTACK_FUNCTION_KEY"
MASTER_KEY: Final = "DEVSTACK_MASTER_KEY"
HOST_PORT: Final = "DEVSTACK_HOST_PORT"
EVENTGRID_PORT: Final = "DEVSTACK_EVENTGRID_PORT"
RETRY_DELAYS: Final = "DEVSTACK_RETRY_DELAYS_SECONDS"
AZURITE_LOCATION: Final = "DEVSTACK_AZURITE_LOCATION"
# Unset: the Event Grid emulator's journal is automatic (next to Azurite's on-disk data when the
# stack starts Azurite itself, none otherwise); empty: no journal; else the journal file.
EVENTGRID_JOURNAL: Final = "DEVSTACK_EVENTGRID_JOURNAL"

DEFAULT_HOST_PORT: Final = 7071
DEFAULT_EVENTGRID_PORT: Final = 7072
DEFAULT_TOPIC_KEY: Final = "local-dev-key"
DEFAULT_FUNCTION_KEY: Final = "local-function-key"
DEFAULT_MASTER_KEY: Final = "local-master-key"


class SettingsError(ValueError):
    """A settings file or value is unusable; the message says which and what to do."""


def read_values(path: Path) -> dict[str, str]:
    """The ``Values`` object of a local.settings.json, every value as a string."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file {path} not found") from None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SettingsError(f"{path} is not valid JSON ({exc}): fix it or delete it") from None
    if not isinstance(document, dict):
        raise SettingsError(f"{path} must hold a JSON object with a Values object")
    values = document.get("Values")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: Values must be a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def ensure_settings_file(path: Path, sample: Path) -> bool:
    """Copy the sample to ``path`` if ``path`` does not exist; True if it did so."""
    if path.exists():
        return False
    if not sample.is_file():
        raise SettingsError(f"{path} is missing and so is {sample} to create it from")
    shutil.copyfile(sample, path)
    return True


@dataclass(frozen=True)
class LoadedSettings:
    """Merged settings and where the merge filled gaps or was overridden."""

    values: dict[str, str]
    from_sample: tuple[str, ...] = ()  # in the sample but not in the settings file
    from_environment: tuple[str, ...] = ()  # in the settings file but overridden by the env


def merge_settings(
    file_values: Mapping[str, str],
    sample_values: Mapping[str, str],
    environ: Mapping[str, str],
) -> LoadedSettings:
    """Sample defaults, overridden by the settings file, overridden by the environment."""
    merged = {**sample_values, **file_values}
    from_sample = tuple(sorted(set(sample_values) - set(file_values)))
    overridden = tuple(sorted(k for k in merged if k in environ and environ[k] != merged[k]))
    for key in merged:
        if key in environ:
            merged[key] = environ[key]
    return LoadedSettings(merged, from_sample, overridden)


def load_settings(
    path: Path, environ: Mapping[str, str], sample: Path | None = None
) -> LoadedSettings:
    """Read ``path`` (and the sample, if there is one) and merge them with the environment."""
    sample = sample if sample is not None else PROJECT_ROOT / SAMPLE_FILE
    sample_values = read_values(sample) if sample.is_file() else {}
    return merge_settings(read_values(path), sample_values, environ)


def parse_port(name: str, text: str | None, default: int) -> int:
    if text is None or not text.strip():
        return default
    try:
        port = int(text.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name} must be a port number (1-65535), got {port}")
    return port


def parse_retry_delays(text: str | None) -> tuple[float, ...] | None:
    """``"0.2, 0.5, 1"`` -> ``(0.2, 0.5, 1.0)``; empty means Azure's real schedule (None)."""
    if text is None or not text.strip():
        return None
    delays: list[float] = []
    for part in text.split(","):
        try:
            delay = float(part.strip())
        except ValueError:
            raise SettingsError(
                f"{RETRY_DELAYS} must be comma-separated seconds (e.g. 0.2,0.5,1), got {text!r}"
            ) from None
        if delay < 0 or delay != delay:  # NaN is not equal to itself
            raise SettingsError(f"{RETRY_DELAYS}: delays must be >= 0, got {part.strip()!r}")
        delays.append(delay)
    return tuple(delays)


@dataclass(frozen=True)
class StackConfig:
    """Everything ``LocalStack`` needs; tests build one directly, ``devstack up`` from settings.

    ``storage`` is the storage connection string: if Azurite already answers on its ports it is
    reused, otherwise Azurite is started on them (data in ``azurite_location``, default
    ``.azurite/``, or in memory).

    ``eventgrid_journal`` is the Event Grid emulator's delivery journal: ``None`` means automatic
    (``<azurite location>/eventgrid-journal.sqlite`` when the stack starts Azurite with its data
    on disk, else no journal), ``""`` means none, anything else is the file (relative paths are
    relative to the project root).
    """

    storage: str = "UseDevelopmentStorage=true"
    host_port: int = DEFAULT_HOST_PORT
    eventgrid_port: int = DEFAULT_EVENTGRID_PORT
    bind_host: str = "127.0.0.1"
    function_key: str | None = DEFAULT_FUNCTION_KEY
    master_key: str | None = DEFAULT_MASTER_KEY  # admin-level routes and /admin/* (as in Azure)
    topic_key: str = DEFAULT_TOPIC_KEY
    retry_delays_seconds: tuple[float, ...] | None = None
    delivery_multiplier: int = 1
    max_delivery_attempts: int | None = None
    azurite_location: Path | None = None
    azurite_in_memory: bool = False
    eventgrid_journal: str | None = None
    host_in_process: bool = False  # the Functions host on a thread, not worker processes
    values: Mapping[str, str] = field(default_factory=dict)  # the app's other settings

    def __post_init__(self) -> None:
        object.__setattr__(self, "storage", expand_connection_string(self.storage))
        if self.azurite_in_memory and self.azurite_location is not None:
            raise SettingsError("Azurite cannot be in memory and keep data in a location")
        if self.max_delivery_attempts is not None and not 1 <= self.max_delivery_attempts <= 30:
            raise SettingsError("max_delivery_attempts must be 1-30 (as in Azure)")
        try:
            HostKeys(self.function_key or None, self.master_key or None)
        except KeyConfigError as exc:
            raise SettingsError(str(exc)) from None

    @classmethod
    def from_values(cls, values: Mapping[str, str], **overrides: Any) -> StackConfig:
        """Build from merged ``Values``; keyword ``overrides`` win over them."""
        key = values.get(FUNCTION_KEY, DEFAULT_FUNCTION_KEY)
        master = values.get(MASTER_KEY, DEFAULT_MASTER_KEY)
        location = values.get(AZURITE_LOCATION, "").strip()
        fields: dict[str, Any] = {
            "storage": values.get(STORAGE) or "UseDevelopmentStorage=true",
            "host_port": parse_port(HOST_PORT, values.get(HOST_PORT), DEFAULT_HOST_PORT),
            "eventgrid_port": parse_port(
                EVENTGRID_PORT, values.get(EVENTGRID_PORT), DEFAULT_EVENTGRID_PORT
            ),
            "function_key": key or None,
            "master_key": master or None,
            "topic_key": values.get(TOPIC_KEY) or DEFAULT_TOPIC_KEY,
            "retry_delays_seconds": parse_retry_delays(values.get(RETRY_DELAYS)),
            "azurite_location": Path(location) if location else None,
            "eventgrid_journal": (
                values[EVENTGRID_JOURNAL].strip() if EVENTGRID_JOURNAL in values else None
            ),
            "values": dict(values),
        }
        fields.update(overrides)
        return cls(**fields)

    @property
    def host_url(self) -> str:
        return f"http://{self.bind_host}:{self.host_port}"

    @property
    def eventgrid_url(self) -> str:
        return f"http://{self.bind_host}:{self.eventgrid_port}"

    def app_settings(self) -> dict[str, str]:
        """The app's settings with the stack's real endpoints, ports and keys filled in."""
        return {
            **self.values,
            STORAGE: self.storage,
            TOPIC_ENDPOINT: f"{self.eventgrid_url}/api/events",
            TOPIC_KEY: self.topic_key,
            FUNCTION_KEY: self.function_key or "",
            MASTER_KEY: self.master_key or "",
            HOST_PORT: str(self.host_port),
            EVENTGRID_PORT: str(self.eventgrid_port),
        }
