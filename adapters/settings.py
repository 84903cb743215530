"""The app's settings, read once per worker from the environment (or a mapping, in tests).

Storage: ``AzureWebJobsStorage`` (a connection string; ``UseDevelopmentStorage=true`` means the
local Azurite) OR ``STORAGE_TABLE_ENDPOINT`` + ``STORAGE_BLOB_ENDPOINT`` with the worker's
managed identity (DefaultAzureCredential) -- as in Azure, where the Functions host itself uses
``AzureWebJobsStorage__accountName``. Event Grid: ``EVENTGRID_TOPIC_ENDPOINT`` (required) and
``EVENTGRID_TOPIC_KEY`` (optional: without it, Entra ID; the Azure topic has disableLocalAuth).
Telemetry (``adapters/telemetry.py``): ``APPLICATIONINSIGHTS_CONNECTION_STRING`` (set: Azure
Monitor) with ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` (``Authorization=AAD[;ClientId=..]``:
ingestion with the managed identity); without it ``OTEL_TRACES_EXPORTER`` = ``none`` (default;
traces are still made and propagated, but not exported) or ``console``.

A missing or invalid setting fails at start-up with ``AppSettingsError`` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import AnyHttpUrl, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.connection import expand_connection_string


class AppSettingsError(RuntimeError):
    """The function app's settings are incomplete or wrong; the message names each bad one."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=False, frozen=True, case_sensitive=True
    )

    storage_connection_string: str | None = Field(
        default=None, alias="AzureWebJobsStorage", repr=False
    )
    table_endpoint: AnyHttpUrl | None = Field(default=None, alias="STORAGE_TABLE_ENDPOINT")
    blob_endpoint: AnyHttpUrl | None = Field(default=None, alias="STORAGE_BLOB_ENDPOINT")
    eventgrid_topic_endpoint: AnyHttpUrl = Field(alias="EVENTGRID_TOPIC_ENDPOINT")
    eventgrid_topic_key: str | None = Field(default=None, alias="EVENTGRID_TOPIC_KEY", repr=False)
    applicationinsights_connection_string: str | None = Field(
        default=None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING", repr=False
    )
    applicationinsights_authentication_string: str | None = Field(
        default=None, alias="APPLICATIONINSIGHTS_AUTHENTICATION_STRING", repr=False
    )
    otel_traces_exporter: Literal["none", "console"] = Field(
        default="none", alias="OTEL_TRACES_EXPORTER"
    )

    @field_validator(
        "storage_connection_string",
        "eventgrid_topic_key",
        "applicationinsights_connection_string",
        "applicationinsights_authentication_string",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("otel_traces_exporter", mode="before")
    @classmethod
    def _exporter_name(cls, value: Any) -> Any:
        return (value.strip().lower() or "none") if isinstance(value, str) else value

    @field_validator("applicationinsights_authentication_string")
    @classmethod
    def _aad_only(cls, value: str | None) -> str | None:
        if value is not None and _auth_parts(value).get("authorization", "").upper() != "AAD":
            raise ValueError("expected Authorization=AAD (optionally ;ClientId=<client id>)")
        return value

    @model_validator(mode="after")
    def _storage_is_configured(self) -> Self:
        conn = (self.storage_connection_string or "").strip()
        if conn:
            expanded = expand_connection_string(conn)
            if "TableEndpoint=" not in expanded and "AccountName=" not in expanded:
                raise ValueError(
                    "AzureWebJobsStorage: not a storage connection string "
                    "(expected AccountName=...;AccountKey=... or UseDevelopmentStorage=true)"
                )
            object.__setattr__(self, "storage_connection_string", expanded)
            return self
        object.__setattr__(self, "storage_connection_string", None)
        missing = [
            name
            for name, value in (
                ("STORAGE_TABLE_ENDPOINT", self.table_endpoint),
                ("STORAGE_BLOB_ENDPOINT", self.blob_endpoint),
            )
            if value is None
        ]
        if missing:
            raise ValueError(
                "storage is not configured: set AzureWebJobsStorage, or "
                + " and ".join(missing)
                + " (with a managed identity)"
            )
        return self

    @property
    def uses_identity_for_storage(self) -> bool:
        return self.storage_connection_string is None

    @property
    def telemetry_uses_identity(self) -> bool:
        """Application Insights ingestion with Entra ID (``Authorization=AAD``)."""
        return self.applicationinsights_authentication_string is not None

    @property
    def telemetry_client_id(self) -> str | None:
        """A user-assigned identity's client id (``ClientId=``); None: system-assigned."""
        auth = self.applicationinsights_authentication_string
        return _auth_parts(auth).get("clientid") or None if auth else None

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` only (default: ``os.environ``); AppSettingsError if invalid."""
        source = dict(os.environ if environ is None else environ)
        try:
            # model_validate reads the mapping only (no implicit environment or dotenv).
            return cls.model_validate(source)
        except ValidationError as exc:
            raise AppSettingsError(_describe(exc)) from None


def _auth_parts(value: str) -> dict[str, str]:
    """``Authorization=AAD;ClientId=x`` -> {"authorization": "AAD", "clientid": "x"}."""
    pairs = (part.split("=", 1) for part in value.split(";") if "=" in part)
    return {key.strip().lower(): item.strip() for key, item in pairs}


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "configuration"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(message if not error["loc"] else f"{name}: {message}")
    return "invalid settings: " + "; ".join(problems)
