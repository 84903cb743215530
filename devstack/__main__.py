"""``python -m devstack up``: the whole local platform (what ``make run`` runs).

Commands:

- ``up [--settings FILE] [--azurite-location DIR | --in-memory] [--log-level LEVEL]``: creates
  local.settings.json from the sample if it is missing (default settings file only), starts
  Azurite (or reuses a running one), seeds the demo catalog (``adapters.bootstrap.seed_catalog``),
  starts the Functions host (a supervisor and ``FUNCTIONS_WORKER_PROCESS_COUNT`` worker
  processes) and the Event Grid emulator, each in processes of their own that die with this one
  (``devstack.stack``); prints a banner; Ctrl-C (SIGINT) or SIGTERM stops everything. A
  start-up problem is one ``error: ...`` line on stderr and exit code 1.
- ``eventgrid-config [--write]``: prints (or writes to ``devstack/eventgrid.local.json``) the
  emulator configuration for running it alone in front of ``func start``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from devstack.azurite import PROJECT_ROOT, AzuriteError, ports_from_connection_string
from devstack.errors import StackError
from devstack.eventgrid import ConfigError
from devstack.eventgrid_subscriptions import EVENTGRID_SAMPLE_CONFIG, sample_eventgrid_config
from devstack.host import HostStartError
from devstack.seed import app_seed_hook
from devstack.server import ServerStartError
from devstack.settings import (
    AZURITE_LOCATION,
    EVENTGRID_JOURNAL,
    SAMPLE_FILE,
    SETTINGS_FILE,
    SettingsError,
    StackConfig,
    ensure_settings_file,
    load_settings,
)
from devstack.stack import LocalStack
from devstack.storage_probe import is_local_storage

PROG = "python -m devstack"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="The local development platform.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    up = commands.add_parser(
        "up",
        help="start Azurite, the Functions host and the Event Grid emulator (Ctrl-C stops)",
        description="Start the whole local stack; Ctrl-C stops it.",
    )
    up.add_argument(
        "--settings",
        type=Path,
        default=None,
        help=f"settings file (default: {SETTINGS_FILE} in the project, created from "
        f"{SAMPLE_FILE} if missing)",
    )
    where = up.add_mutually_exclusive_group()
    where.add_argument(
        "--azurite-location",
        type=Path,
        default=None,
        help=f"Azurite data directory (default: ${AZURITE_LOCATION} or .azurite/)",
    )
    where.add_argument(
        "--in-memory", action="store_true", help="keep Azurite's data in memory (lost on stop)"
    )
    up.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    config = commands.add_parser(
        "eventgrid-config",
        help="print the Event Grid emulator config for use with 'func start'",
        description="The emulator config routing hotel-events to a Functions host on 7071.",
    )
    config.add_argument(
        "--write",
        action="store_true",
        help=f"write it to {EVENTGRID_SAMPLE_CONFIG.relative_to(PROJECT_ROOT)}",
    )
    return parser


def fail(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    return 1


def render_eventgrid_sample() -> str:
    return json.dumps(sample_eventgrid_config(), indent=2) + "\n"


def eventgrid_config_command(args: argparse.Namespace) -> int:
    text = render_eventgrid_sample()
    if args.write:
        EVENTGRID_SAMPLE_CONFIG.write_text(text, encoding="utf-8")
        print(f"wrote {EVENTGRID_SAMPLE_CONFIG}")
    else:
        sys.stdout.write(text)
    return 0


def load_config(args: argparse.Namespace) -> StackConfig:
    path: Path | None = args.settings
    if path is None:
        path = PROJECT_ROOT / SETTINGS_FILE
        if ensure_settings_file(path, PROJECT_ROOT / SAMPLE_FILE):
            print(f"==> created {SETTINGS_FILE} from {SAMPLE_FILE}", flush=True)
    loaded = load_settings(path, os.environ)
    if loaded.from_sample:
        print(
            f"==> {path.name} lacks {', '.join(loaded.from_sample)}: using the values in "
            f"{SAMPLE_FILE} (add them, or delete {path.name} to recreate it)",
            flush=True,
        )
    if loaded.from_environment:
        print(
            f"==> the environment overrides {', '.join(loaded.from_environment)} from {path.name}",
            flush=True,
        )
    overrides: dict[str, object] = {}
    location = args.azurite_location or os.environ.get(AZURITE_LOCATION)
    if args.in_memory:
        overrides.update(azurite_in_memory=True, azurite_location=None)
    elif location:
        overrides["azurite_location"] = Path(location).resolve()
    journal = os.environ.get(EVENTGRID_JOURNAL)
    if journal is not None:  # also when only the environment sets it (not the settings file)
        journal = journal.strip()
        overrides["eventgrid_journal"] = str(Path(journal).resolve()) if journal else ""
    return StackConfig.from_values(loaded.values, **overrides)


def banner(stack: LocalStack) -> str:
    key = stack.function_key
    storage = stack.connection_string
    if is_local_storage(storage):
        ports = ports_from_connection_string(storage)
        where = f"Azurite, blob/queue/table on {ports.blob}/{ports.queue}/{ports.table}"
    else:
        where = "the account in AzureWebJobsStorage"
    key_hint = (
        f'function key "{key}" (header x-functions-key or ?code=)'
        if key
        else "function keys not checked (DEVSTACK_FUNCTION_KEY is empty)"
    )
    curl_key = f'-H "x-functions-key: {key}" ' if key else ""
    return "\n".join(
        [
            "",
            "The local stack is up. Ctrl-C stops it.",
            f"  HTTP API      {stack.host_url}/api   {key_hint}",
            *(
                [f'  Admin         /api/ops/*, /admin/*   master key "{stack.master_key}"']
                if key
                else []
            ),
            f"  Event Grid    {stack.topic_endpoint}   topic key "
            f'"{stack.topic_key}", stats {stack.eventgrid_url}/devstack/stats',
            f"  Storage       {where}",
            f"  Web console   {stack.host_url}/api/console/   (enter the key there once per tab)",
            "Try:",
            f"  curl {stack.host_url}/api/health",
            f"  curl {curl_key}{stack.host_url}/api/hotels",
            "",
        ]
    )


def up(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if args.log_level != "debug":  # the SDKs log every request and response at INFO
        for noisy in ("azure", "httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    stopping = threading.Event()
    started = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not started:
            raise KeyboardInterrupt
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        config = load_config(args)
        stack = LocalStack(config, on_storage_ready=app_seed_hook())
        print("==> starting the local stack", flush=True)
        stack.start()
    except KeyboardInterrupt:
        print("==> interrupted during start-up; stopped", flush=True)
        return 0
    except (StackError, SettingsError, AzuriteError, ServerStartError, ConfigError) as exc:
        return fail(str(exc))
    except HostStartError as exc:
        return fail(
            f"the Functions host cannot load the app: {exc} "
            "(fix function_app.py; '.venv/bin/python -c \"import function_app\"' shows the "
            "traceback)"
        )
    started = True
    try:
        print(banner(stack), flush=True)
        while not stopping.wait(0.5):
            pass
        print("==> stopping", flush=True)
    finally:
        stack.stop()
    print("==> stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args)
    if args.command == "eventgrid-config":
        return eventgrid_config_command(args)
    parser.print_usage(sys.stderr)
    print(f"{PROG}: choose a command: 'up' (what 'make run' runs) or 'eventgrid-config'",
          file=sys.stderr)  # fmt: skip
    return 2


if __name__ == "__main__":
    sys.exit(main())
