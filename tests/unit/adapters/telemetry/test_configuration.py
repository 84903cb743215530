"""Which telemetry the settings choose, and settings that fail fast naming the bad one."""

from __future__ import annotations

import uuid

import pytest
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from adapters.bootstrap import build_storage_clients
from adapters.eventgrid import EventGridPublisher
from adapters.settings import AppSettingsError, Settings
from adapters.telemetry import azure_monitor_options, build_tracer_provider

LOCAL = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:7072/api/events",
    "EVENTGRID_TOPIC_KEY": "local-dev-key",
}
AZURE = {
    "STORAGE_TABLE_ENDPOINT": "https://sthotel.table.core.windows.net",
    "STORAGE_BLOB_ENDPOINT": "https://sthotel.blob.core.windows.net",
    "EVENTGRID_TOPIC_ENDPOINT": "https://hotel-events.westeurope-1.eventgrid.azure.net/api/events",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": f"InstrumentationKey={uuid.UUID(int=0)}",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD",
}


def test_local_settings_use_connection_strings_and_keys() -> None:
    settings = Settings.load(LOCAL)

    assert not settings.uses_identity_for_storage
    assert settings.storage_connection_string is not None
    assert "AccountName=devstoreaccount1" in settings.storage_connection_string
    assert settings.eventgrid_topic_key == "local-dev-key"
    assert settings.applicationinsights_connection_string is None
    assert settings.otel_traces_exporter == "none"


def test_azure_settings_use_endpoints_and_the_managed_identity() -> None:
    settings = Settings.load(AZURE)

    assert settings.uses_identity_for_storage
    assert settings.eventgrid_topic_key is None
    assert settings.telemetry_uses_identity
    assert settings.telemetry_client_id is None


def test_without_a_connection_string_the_clients_authenticate_with_default_azure_credential(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_CLIENT_ID", raising=False)
    settings = Settings.load(AZURE)

    clients = build_storage_clients(settings)
    publisher = EventGridPublisher(str(settings.eventgrid_topic_endpoint), key=None)

    assert isinstance(clients.tables.credential, DefaultAzureCredential)
    assert isinstance(clients.blobs.credential, DefaultAzureCredential)
    assert clients.tables.url.startswith("https://sthotel.table.core.windows.net")
    assert isinstance(publisher._client._credential, DefaultAzureCredential)
    publisher.close()
    clients.tables.close()
    clients.blobs.close()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("EVENTGRID_TOPIC_ENDPOINT", "EVENTGRID_TOPIC_ENDPOINT"),
        ("STORAGE_TABLE_ENDPOINT", "STORAGE_TABLE_ENDPOINT"),
        ("STORAGE_BLOB_ENDPOINT", "STORAGE_BLOB_ENDPOINT"),
    ],
)
def test_a_missing_setting_fails_at_start_up_naming_it(missing: str, named: str) -> None:
    environ = {k: v for k, v in AZURE.items() if k != missing}

    with pytest.raises(AppSettingsError, match=named):
        Settings.load(environ)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("OTEL_TRACES_EXPORTER", "otlp"),  # the OTLP exporter package is not installed
        ("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=Key"),
        ("AzureWebJobsStorage", "not-a-connection-string"),
        ("EVENTGRID_TOPIC_ENDPOINT", "not a url"),
    ],
)
def test_an_invalid_setting_fails_at_start_up_naming_it(setting: str, value: str) -> None:
    with pytest.raises(AppSettingsError, match=setting):
        Settings.load({**LOCAL, setting: value})


def test_azure_monitor_ingests_with_the_managed_identity_when_asked() -> None:
    system = azure_monitor_options(Settings.load(AZURE))
    user = azure_monitor_options(
        Settings.load(
            {**AZURE, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD;ClientId=abc"}
        )
    )
    keyed = azure_monitor_options(
        Settings.load({**AZURE, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": ""})
    )

    assert system["connection_string"] == AZURE["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    assert isinstance(system["credential"], ManagedIdentityCredential)
    assert isinstance(user["credential"], ManagedIdentityCredential)
    assert keyed["credential"] is None


@pytest.mark.parametrize(("exporter", "processors"), [("none", 0), ("console", 1)])
def test_without_application_insights_the_exporter_is_chosen_by_setting(
    exporter: str, processors: int
) -> None:
    settings = Settings.load({**LOCAL, "OTEL_TRACES_EXPORTER": exporter.upper()})
    provider = build_tracer_provider(settings.otel_traces_exporter)
    try:
        active = provider._active_span_processor._span_processors
        assert len(active) == processors
        assert all(isinstance(p, BatchSpanProcessor) for p in active)
        assert provider.resource.attributes["service.name"] == "hotel-reservations"
    finally:
        provider.shutdown()
