"""Checking, before anything starts, that the host's and the emulator's ports can be bound."""

from __future__ import annotations

import socket

from devstack.errors import StackError
from devstack.settings import StackConfig


def check_port_free(host: str, port: int, what: str, setting: str) -> None:
    """StackError (one line, with the setting to change) if ``port`` cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            raise StackError(
                f"port {port} on {host} ({what}) is already in use: stop the other process "
                f"(another 'devstack up' or 'func start'?) or change {setting}"
            ) from None


def check_stack_ports(config: StackConfig) -> None:
    """StackError if the host and the emulator share a port or either port is taken."""
    if config.host_port == config.eventgrid_port:
        raise StackError(
            f"the Functions host and the Event Grid emulator both want port {config.host_port}"
            ": change DEVSTACK_HOST_PORT or DEVSTACK_EVENTGRID_PORT"
        )
    bind = config.bind_host
    check_port_free(bind, config.host_port, "Functions host", "DEVSTACK_HOST_PORT")
    check_port_free(bind, config.eventgrid_port, "Event Grid", "DEVSTACK_EVENTGRID_PORT")
