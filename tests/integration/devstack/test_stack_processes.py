"""``LocalStack`` with its host and emulator in processes of their own: what a failure leaves."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from devstack.azurite import free_port, port_in_use
from devstack.host import HostStartError
from devstack.settings import StackConfig
from devstack.stack import LocalStack

pytestmark = pytest.mark.integration


def test_an_app_that_cannot_be_loaded_is_one_error_and_leaves_no_process(
    tmp_path: Path, storage_connection_string: str
) -> None:
    (tmp_path / "function_app.py").write_text("import no_such_module_anywhere\n")
    config = StackConfig(
        storage=storage_connection_string,
        host_port=free_port(),
        eventgrid_port=free_port(),
        values={"FUNCTIONS_WORKER_PROCESS_COUNT": "2"},
    )
    lines: list[str] = []
    stack = LocalStack(config, project_root=tmp_path, report=lines.append)
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    with pytest.raises(HostStartError, match="No module named 'no_such_module_anywhere'"):
        stack.start()
    left = [c for c in psutil.Process().children(recursive=True) if c.pid not in before]
    _, alive = psutil.wait_procs(left, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]
    assert not port_in_use(config.host_port)
    assert not any("functions" in line for line in lines)  # never reported as started
