"""A local Azure Functions host for the Python v2 programming model (Core Tools stand-in)."""

from devstack.host.app import FunctionsHost
from devstack.host.errors import HostStartError

__all__ = ["FunctionsHost", "HostStartError"]
