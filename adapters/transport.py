"""The HTTP transport every Azure SDK client of the app is built with.

By default ``requests`` re-reads the environment on every request (``Session.trust_env``): the
proxy variables, a CA bundle and a ``~/.netrc`` file, each time. Under load that was about 8%
of a host worker's CPU, for settings that cannot change while the process runs. So the
environment is read once, here: with no proxy configured, the clients get a transport that
does not look again (azure-core's ``use_env_settings=False``) and verifies TLS with the CA
bundle the environment names, if any. A configured proxy keeps the SDK's default transport,
which alone applies ``NO_PROXY`` per request. A netrc file is never wanted: the SDK clients
authenticate themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from azure.core.pipeline.transport import RequestsTransport

_PROXY_SETTINGS: Final = frozenset({"http_proxy", "https_proxy", "all_proxy"})
# requests' own order: REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE.
_CA_BUNDLE_SETTINGS: Final = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def uses_proxy(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` configures a proxy (any case, as requests reads them)."""
    return any(name.lower() in _PROXY_SETTINGS and value for name, value in environ.items())


def ca_bundle(environ: Mapping[str, str]) -> str | None:
    """The CA bundle ``requests`` would take from ``environ``, if any."""
    for name in _CA_BUNDLE_SETTINGS:
        if environ.get(name):
            return environ[name]
    return None


def client_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for an SDK client: a transport of its own that reads the environment
    once, unless a proxy is configured (then the SDK's default transport)."""
    environ = os.environ if environ is None else environ
    if uses_proxy(environ):
        return {}
    bundle = ca_bundle(environ)
    return {
        "transport": RequestsTransport(
            use_env_settings=False, connection_verify=True if bundle is None else bundle
        )
    }
