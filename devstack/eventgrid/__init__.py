"""A local Azure Event Grid custom topic: publish API, filtered delivery, retries, dead-letters.

See ``devstack/eventgrid/README.md`` for usage and the deliberate deviations from Azure.
"""

from devstack.eventgrid.app import EventGridEmulator
from devstack.eventgrid.config import ConfigError, EmulatorConfig, load_config

__all__ = ["ConfigError", "EmulatorConfig", "EventGridEmulator", "load_config"]
