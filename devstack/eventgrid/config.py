"""The emulator's configuration: one topic, its subscriptions, and where dead letters go.

The JSON format is described in ``devstack/eventgrid/README.md`` ("Configuration"): camelCase
keys mirroring the ARM/Bicep properties of a topic and its event subscriptions. Unknown keys are
rejected so a typo (``retrypolicy``) fails loudly instead of silently falling back to a default.

Emulator-only extensions (not Azure properties): ``retryDelaysSeconds``, ``deliveryMultiplier``,
``deliveryMultiplierMax``, ``deliveryDelayMaxSeconds``, ``seed``, ``deliveryTimeoutSeconds``,
``journal``, ``topic.resourceId`` and ``retryPolicy.eventTimeToLiveSeconds``. A relative
``journal`` path in a file read by ``load_config`` is relative to that file's directory.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from adapters.connection import expand_connection_string
from devstack.eventgrid.retry import EndpointType

# 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h (the last value repeats).
REAL_RETRY_DELAYS_SECONDS: Final[tuple[float, ...]] = (
    10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200,
)  # fmt: skip
MAX_EVENTS_PER_BATCH: Final = 5000


class ConfigError(ValueError):
    """The configuration file is missing, not JSON, or does not describe a valid topic."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class InputSchema(StrEnum):
    CLOUD_EVENTS = "CloudEventSchemaV1_0"
    EVENT_GRID = "EventGridSchema"


class TopicConfig(_Model):
    name: Annotated[str, Field(min_length=1)]
    key: Annotated[str, Field(min_length=1)]
    input_schema: InputSchema = InputSchema.CLOUD_EVENTS
    # Stamped as ``topic`` on Event Grid schema events; Azure uses the ARM resource id.
    resource_id: str | None = None

    @property
    def topic_id(self) -> str:
        return self.resource_id or (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devstack"
            f"/providers/Microsoft.EventGrid/topics/{self.name}"
        )


class AdvancedFilter(_Model):
    operator_type: str
    key: Annotated[str, Field(min_length=1)]
    value: Any = None
    values: list[Any] | None = None

    @field_validator("operator_type")
    @classmethod
    def _known_operator(cls, value: str) -> str:
        from devstack.eventgrid.filters import OPERATORS

        if value not in OPERATORS:
            raise ValueError(f"unknown operatorType {value!r}; known: {', '.join(OPERATORS)}")
        return value


class FilterConfig(_Model):
    included_event_types: list[str] | None = None
    subject_begins_with: str = ""
    subject_ends_with: str = ""
    is_subject_case_sensitive: bool = False
    advanced_filters: list[AdvancedFilter] = Field(default_factory=list)


class RetryPolicy(_Model):
    max_delivery_attempts: Annotated[int, Field(ge=1, le=30)] = 30
    event_time_to_live_in_minutes: Annotated[int, Field(ge=1, le=1440)] = 1440
    # Emulator-only: overrides the minutes above so tests can expire events in under a second.
    event_time_to_live_seconds: Annotated[float | None, Field(gt=0)] = None

    @property
    def ttl_seconds(self) -> float:
        if self.event_time_to_live_seconds is not None:
            return self.event_time_to_live_seconds
        return self.event_time_to_live_in_minutes * 60.0


class DeadLetterConfig(_Model):
    container: Annotated[str, Field(min_length=3, max_length=63)]


class SubscriptionConfig(_Model):
    name: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
    endpoint: Annotated[str, Field(pattern=r"^https?://")]
    # Azure's destination.endpointType: which failures are never retried (retry.NOT_RETRIED).
    endpoint_type: EndpointType = EndpointType.WEB_HOOK
    filter: FilterConfig = Field(default_factory=FilterConfig)
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy)
    dead_letter: DeadLetterConfig | None = None
    max_events_per_batch: Annotated[int, Field(ge=1, le=MAX_EVENTS_PER_BATCH)] = 1


class EmulatorConfig(_Model):
    topic: TopicConfig
    storage: str = "UseDevelopmentStorage=true"
    retry_delays_seconds: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = (
        Field(default_factory=lambda: [float(d) for d in REAL_RETRY_DELAYS_SECONDS])
    )
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)
    # Emulator-only: deliver each matched event this many times, independently (idempotency tests).
    delivery_multiplier: Annotated[int, Field(ge=1, le=100)] = 1
    # Emulator-only chaos knobs: each matched event is delivered a random number of times in
    # [deliveryMultiplier, deliveryMultiplierMax], each copy after a random 0..max delay, so
    # consumers see duplicates out of order; ``seed`` makes a run repeatable.
    delivery_multiplier_max: Annotated[int | None, Field(ge=1, le=100)] = None
    delivery_delay_max_seconds: Annotated[float, Field(ge=0, le=3600)] = 0.0
    seed: int | None = None
    # Emulator-only: the subscriber's response timeout (Azure: 30 s).
    delivery_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    # Emulator-only: a SQLite file keeping accepted deliveries across restarts and crashes;
    # without it pending deliveries live in memory only.
    journal: Annotated[str | None, Field(min_length=1)] = None

    @field_validator("storage")
    @classmethod
    def _expand_storage(cls, value: str) -> str:
        return expand_connection_string(value)

    @property
    def multiplier_range(self) -> tuple[int, int]:
        """The inclusive range of copies per matched event."""
        return self.delivery_multiplier, self.delivery_multiplier_max or self.delivery_multiplier

    @model_validator(mode="after")
    def _multiplier_range(self) -> EmulatorConfig:
        low, high = self.delivery_multiplier, self.delivery_multiplier_max
        if high is not None and high < low:
            raise ValueError(
                f"deliveryMultiplierMax ({high}) must be >= deliveryMultiplier ({low})"
            )
        return self

    @model_validator(mode="after")
    def _unique_subscription_names(self) -> EmulatorConfig:
        seen: set[str] = set()
        for sub in self.subscriptions:
            upper = sub.name.upper()
            if upper in seen:
                raise ValueError(f"subscription name {sub.name!r} is used twice (case-insensitive)")
            seen.add(upper)
        return self


def parse_config(data: Any) -> EmulatorConfig:
    """Validate an already-decoded configuration; raises ConfigError with a readable message."""
    try:
        return EmulatorConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid Event Grid emulator config: {problems}") from None


def load_config(path: str | Path) -> EmulatorConfig:
    """Read and validate a JSON configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read emulator config {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    try:
        config = parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if config.journal is not None and not Path(config.journal).is_absolute():
        # Relative to the file, so the config works whatever the working directory is.
        config = config.model_copy(update={"journal": str(path.parent / config.journal)})
    return config
