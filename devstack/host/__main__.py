"""``python -m devstack.host [--script-root .] [--port 7071] [--settings local.settings.json]``.

Like Core Tools, the ``Values`` of local.settings.json become environment variables unless the
environment already defines them, and ``Host.LocalHttpPort`` is the default port. The function
key is ``DEVSTACK_FUNCTION_KEY`` (environment or settings); empty or unset means no key checks.
The master key (admin-level routes and ``/admin/*``) is ``DEVSTACK_MASTER_KEY``.
``FUNCTIONS_WORKER_PROCESS_COUNT`` (default: the number of cores, at most 10) worker processes
serve the one port (``devstack.host.supervisor``); Ctrl-C or SIGTERM stops them all.

Every app setting, ``DEVSTACK_*`` included, is passed either as an environment variable or in the
``Values`` of the ``--settings`` file (default: the script root's ``local.settings.json``, if
present); the environment wins. To run the host as its own process next to a separately started
Azurite and Event Grid emulator, point ``AzureWebJobsStorage``, ``EVENTGRID_TOPIC_ENDPOINT`` and
``EVENTGRID_TOPIC_KEY`` at them: unlike ``python -m devstack up``, nothing rewrites them. Injected
delivery failures are set at run time with ``/admin/devstack/faults`` (see the package README).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devstack.host.logs import configure_logging
from devstack.host.supervisor import Supervisor, SupervisorError, worker_count

DEFAULT_PORT = 7071

log = logging.getLogger("devstack.host")


class CliError(Exception):
    """A problem worth one line on stderr."""


def read_settings(path: Path) -> tuple[dict[str, str], int | None]:
    """``Values`` and ``Host.LocalHttpPort`` from a local.settings.json."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CliError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CliError(f"{path} must hold a JSON object")
    values = document.get("Values") or {}
    if not isinstance(values, dict):
        raise CliError(f"{path}: Values must be an object")
    host = document.get("Host") or {}
    port = host.get("LocalHttpPort") if isinstance(host, dict) else None
    return {str(k): "" if v is None else str(v) for k, v in values.items()}, (
        int(port) if isinstance(port, int | str) and str(port).isdigit() else None
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.host", description="Run the local Azure Functions host."
    )
    parser.add_argument("--script-root", type=Path, default=Path("."), help="default: .")
    parser.add_argument(
        "--port", type=int, default=None, help="default: Host.LocalHttpPort or 7071"
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    parser.add_argument(
        "--settings",
        type=Path,
        default=None,
        help="local.settings.json to read (default: the script root's, if present)",
    )
    parser.add_argument("--module", default="function_app", help=argparse.SUPPRESS)
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning"], help="default: info"
    )
    # Where the workers share their state; LocalStack passes its own to read what worker 0
    # found and when the host is ready (default: a temporary directory, removed on exit).
    parser.add_argument("--state-dir", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> Supervisor:
    settings_path = args.settings
    if settings_path is None and (args.script_root / "local.settings.json").is_file():
        settings_path = args.script_root / "local.settings.json"
    values: dict[str, str] = {}
    settings_port: int | None = None
    if settings_path is not None:
        values, settings_port = read_settings(settings_path)
    for name in sorted(set(values) & set(os.environ)):
        log.info("Skipping '%s' from local settings: already set in the environment", name)
    environment = {**values, **os.environ}
    return Supervisor(
        script_root=args.script_root,
        module=args.module,
        host=args.host,
        port=args.port or settings_port or DEFAULT_PORT,
        workers=worker_count(environment),
        environment=environment,
        state_dir=args.state_dir,
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    try:
        return build(args).run()
    except (CliError, SupervisorError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
