"""``python -m devstack.eventgrid --config FILE [--port N] [--host 127.0.0.1] [--verbose]``.

With ``"journal"`` in the config, pending deliveries survive a restart or a kill (SIGKILL
included): start it again with the same config and they resume. Stop it with Ctrl-C or SIGTERM.

The Azure SDK logs every HTTP request and response at INFO (dozens of lines per dead-letter
write); its loggers stay at WARNING unless ``--verbose``.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from devstack.azurite import port_in_use
from devstack.eventgrid.app import EventGridEmulator
from devstack.eventgrid.config import ConfigError, load_config
from devstack.eventgrid.journal import Journal, JournalError

DEFAULT_PORT = 7072
SDK_LOGGER = "azure"  # the parent of every Azure SDK logger (azure.core.pipeline..., azure.storage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.eventgrid", description="Serve a local Event Grid topic."
    )
    parser.add_argument("--config", required=True, help="the emulator's JSON configuration file")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    parser.add_argument("--host", default="127.0.0.1", help="default %(default)s")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also log the Azure SDK's HTTP requests and responses (at --log-level)",
    )
    return parser


def configure_logging(level: str, *, verbose: bool) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sdk_level = logging.NOTSET if verbose else logging.WARNING  # NOTSET: inherit --log-level
    logging.getLogger(SDK_LOGGER).setLevel(sdk_level)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, verbose=args.verbose)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config.journal is not None:
        try:
            # Opened once here so an unusable file is a one-line error, not a start-up traceback.
            Journal.open(config.journal).close()
        except JournalError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if port_in_use(args.port, args.host):
        print(
            f"error: port {args.port} on {args.host} is already in use: stop the other process "
            "or pass --port",
            file=sys.stderr,
        )
        return 1
    emulator = EventGridEmulator(config)
    print(
        f"Event Grid emulator: topic {config.topic.name} at "
        f"http://{args.host}:{args.port}/api/events",
        file=sys.stderr,
    )
    uvicorn.run(emulator.asgi, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
