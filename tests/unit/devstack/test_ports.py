"""The port check that runs before anything starts (the shared-port rule: test_stack.py)."""

from __future__ import annotations

import socket

import pytest

from devstack.errors import StackError
from devstack.ports import check_port_free


def test_a_taken_port_names_the_setting_to_change() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StackError, match=f"port {port} .*DEVSTACK_HOST_PORT"):
            check_port_free("127.0.0.1", port, "Functions host", "DEVSTACK_HOST_PORT")
