"""The app's settings, read once per worker from the environment (or a mapping, in tests).

Storage: ``AzureWebJobsStorage`` (a connection string; ``UseDevelopmentStorage=true`` means the
local Azurite) OR ``STORAGE_TABLE_ENDPOINT`` + ``STORAGE_BLOB_ENDPOINT`` with the worker's
managed identity (DefaultAzureCredential) -- as in Azure, where the Functions host itself uses
``AzureWebJobsStorage__accountName``. Event Grid: ``EVENTGRID_TOPIC_ENDPOINT`` (required) and
``EVENTGRID_TOPIC_KEY`` (optional: without it, Entra ID; the Azure topic has disableLocalAuth).

A missing or invalid setting fails at start-up with ``SettingsError`` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import AnyHttpUrl, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from devstack.azurite import expand_connection_string


class SettingsError(RuntimeError):
    """The configuration is incomplete or wrong; the message names each bad setting."""


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

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` only (default: ``os.environ``); SettingsError if invalid."""
        source = dict(os.environ if environ is None else environ)
        try:
            # model_validate reads the mapping only (no implicit environment or dotenv).
            return cls.model_validate(source)
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "configuration"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(message if not error["loc"] else f"{name}: {message}")
    return "invalid settings: " + "; ".join(problems)
