"""The SDK clients read the environment once, not on every request, unless a proxy is set."""

from __future__ import annotations

from azure.core.pipeline.transport import RequestsTransport

from adapters.transport import client_options


def _transport(environ: dict[str, str]) -> RequestsTransport:
    transport = client_options(environ)["transport"]
    assert isinstance(transport, RequestsTransport)
    return transport


def test_a_plain_environment_gets_a_transport_that_does_not_reread_it() -> None:
    transport = _transport({"PATH": "/usr/bin", "HOME": "/root"})
    assert transport.connection_config.verify is True
    with transport:
        assert transport.session is not None
        assert transport.session.trust_env is False


def test_a_ca_bundle_named_by_the_environment_is_still_used() -> None:
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    assert _transport({"REQUESTS_CA_BUNDLE": bundle}).connection_config.verify == bundle
    assert _transport({"CURL_CA_BUNDLE": bundle}).connection_config.verify == bundle
    first = {"REQUESTS_CA_BUNDLE": "/a.pem", "CURL_CA_BUNDLE": "/b.pem"}
    assert _transport(first).connection_config.verify == "/a.pem"


def test_a_configured_proxy_keeps_the_sdk_default_in_any_case() -> None:
    for name in ("HTTPS_PROXY", "http_proxy", "ALL_PROXY"):
        assert client_options({name: "http://proxy:3128"}) == {}
    assert "transport" in client_options({"HTTPS_PROXY": ""})  # set but empty: no proxy
