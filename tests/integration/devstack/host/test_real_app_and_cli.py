from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, free_port
from devstack.host import FunctionsHost
from devstack.host.__main__ import main
from devstack.server import ServerThread
from devstack.settings import SAMPLE_FILE, read_values
from tests.integration.devstack.host.support import SAMPLE_MODULE, SAMPLE_ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
def restored_environ() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_the_real_function_app_serves_health(restored_environ: None) -> None:
    # The sample's settings: the timers' schedules are app settings, as the host needs them.
    settings = read_values(PROJECT_ROOT / SAMPLE_FILE)
    host = FunctionsHost.load(
        PROJECT_ROOT, settings=settings, function_key="some-key", master_key="some-master"
    )
    with ServerThread(host.asgi, port=free_port(), name="real-host") as server:
        response = httpx.get(f"{server.url}/api/health", timeout=10.0)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_cli_reports_a_port_in_use_in_one_line(
    capsys: pytest.CaptureFixture[str], restored_environ: None
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            ["--script-root", str(SAMPLE_ROOT), "--module", SAMPLE_MODULE, "--port", str(port)]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert f"port {port} on 127.0.0.1 is already in use" in err


def test_the_cli_reports_a_bad_app_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_environ: None
) -> None:
    (tmp_path / "function_app.py").write_text("import no_such_module_anywhere\n")
    code = main(["--script-root", str(tmp_path), "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: importing ")
    assert "No module named 'no_such_module_anywhere'" in err


def test_python_m_devstack_host_serves_with_the_settings_file_and_its_key(tmp_path: Path) -> None:
    port = free_port()
    settings = tmp_path / "local.settings.json"
    settings.write_text(
        '{"IsEncrypted": false, "Values": {"HOST_SAMPLE_SETTING": "from-file",'
        ' "DEVSTACK_FUNCTION_KEY": "file-key", "DEVSTACK_MASTER_KEY": "file-master-key"}}'
    )
    keys = ("DEVSTACK_FUNCTION_KEY", "DEVSTACK_MASTER_KEY")
    env = {k: v for k, v in os.environ.items() if k not in keys}
    env["HOST_SAMPLE_SETTING"] = "from-env"  # the environment wins over the file, as in Core Tools
    command = [
        sys.executable, "-m", "devstack.host",
        "--script-root", str(SAMPLE_ROOT), "--module", SAMPLE_MODULE,
        "--port", str(port), "--settings", str(settings),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                ping = httpx.get(f"{url}/admin/host/ping", timeout=1.0)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the host exited during start-up"
                assert time.monotonic() < deadline, "the host did not start"
                time.sleep(0.1)
        assert ping.status_code == 200
        assert httpx.get(f"{url}/admin/host/status").status_code == 401
        function_key = {"x-functions-key": "file-key"}
        assert httpx.get(f"{url}/admin/host/status", headers=function_key).status_code == 401
        master_key = {"x-functions-key": "file-master-key"}
        status = httpx.get(f"{url}/admin/host/status", headers=master_key)
        assert status.json()["state"] == "Running"
        assert httpx.get(f"{url}/api/hello/x").json()["setting"] == "from-env"
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
