"""Write ``infra/routing.json``: the data the Bicep reads with ``loadJsonContent``.

One generated file carries the routing table (``handlers.routing``) and the storage names
(``adapters.storage_names``) into Azure, so the topic's subscriptions, the tables and the
containers in Azure are the ones the code and the local stack use. A unit test fails when the
committed file is stale.

    python -m infra.generate           # rewrite infra/routing.json
    python -m infra.generate --check   # exit 1 if infra/routing.json is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from adapters import storage_names
from handlers import routing

ROUTING_JSON: Final = Path(__file__).resolve().parent / "routing.json"
REGENERATE_COMMAND: Final = ".venv/bin/python -m infra.generate"


def infra_document() -> dict[str, object]:
    """The routing document plus the tables and containers the app owns."""
    document = dict(routing.routing_document())
    document["tables"] = list(storage_names.TABLES)
    document["containers"] = list(storage_names.CONTAINERS)
    return document


def render() -> str:
    return json.dumps(infra_document(), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.generate", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if the file is stale instead of writing it"
    )
    parser.add_argument("--output", type=Path, default=ROUTING_JSON, help="file to write")
    args = parser.parse_args(argv)
    output: Path = args.output
    expected = render()
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != expected:
            sys.stderr.write(f"{output} is stale; regenerate it with: {REGENERATE_COMMAND}\n")
            return 1
        return 0
    output.write_text(expected, encoding="utf-8")
    sys.stdout.write(f"wrote {output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
