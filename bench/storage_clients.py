"""Sync or async storage clients? CPU and wall time per call, measured on this machine.

``python -m bench.storage_clients [--calls N]`` starts its own in-memory Azurite (and a local
HTTP sink standing in for the Event Grid topic), then times, one call after another on one
client each, a point read, a 5-entity transaction and a one-event publish with the sync clients
(``azure.data.tables``, ``azure.eventgrid``) as the SDK builds them, the sync table client as
``AzureTableStore`` builds it (a transaction's parts prepared in turn and its multipart body
written and read by adapters/table_batch.py, without azure-core's per-request thread pools and
the ``email`` package), and the async ones (``.aio``). It prints ms of CPU (this process) and of
wall time per call. The function app's host calls sync functions in a thread pool, so an async
client only pays off if its calls cost less CPU or wall time. A second table sets a 5-entity
transaction's codecs side by side: azure-core's own (stock), azure-core's with the parts
prepared in turn, and the app's (adapters/table_batch.py).

The async clients need an async transport. aiohttp (the SDK's default) is not a dependency of
the app, so they run on azure-core's ``AsyncioRequestsTransport`` (requests in the event loop's
executor), the transport the app would get without adding one.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from azure.core.credentials import AzureKeyCredential
from azure.core.messaging import CloudEvent
from azure.core.pipeline.transport import AsyncioRequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from azure.data.tables.aio import TableClient as AsyncTableClient
from azure.eventgrid import EventGridPublisherClient
from azure.eventgrid.aio import EventGridPublisherClient as AsyncEventGridPublisherClient

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.table_batch import fast_batches, prepare_sub_requests_in_turn
from devstack.azurite import Azurite, AzuritePorts, free_port

TABLE: Final = "BenchClients"
WARM_UP: Final = 20

# A topic that accepts every publish: a separate process, so its CPU is not counted here.
_SINK: Final = """
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""


@dataclass(frozen=True)
class Timing:
    cpu_ms: float
    wall_ms: float


def _batch(partition: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("create", {"PartitionKey": partition, "RowKey": f"row-{i}", "Value": "x" * 200})
        for i in range(5)
    ]


def _event() -> CloudEvent[Any]:
    return CloudEvent(source="/bench", type="Bench.Event", data={"value": "x" * 200})


def _time_sync(call: Callable[[], object], calls: int) -> Timing:
    for _ in range(WARM_UP):
        call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    return Timing(
        (time.process_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls
    )


async def _time_async(call: Callable[[], Awaitable[object]], calls: int) -> Timing:
    for _ in range(WARM_UP):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await call()
    return Timing(
        (time.process_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls
    )


def measure_sync(
    connection_string: str, topic: str, calls: int, *, as_the_app: bool
) -> dict[str, Timing]:
    """``as_the_app``: the table client as ``AzureTableStore`` builds it (a transaction's parts
    prepared in turn, not in azure-core's per-request thread pools)."""
    with TableServiceClient.from_connection_string(connection_string) as service:
        store = AzureTableStore(service, counter=StorageTransactionCounter())
        table = store.client(TABLE) if as_the_app else service.get_table_client(TABLE)
        table.upsert_entity({"PartitionKey": "p", "RowKey": "r", "Value": "x" * 200})
        publisher = EventGridPublisherClient(topic, AzureKeyCredential("bench-key"))
        with publisher:
            return {
                "point read": _time_sync(lambda: table.get_entity("p", "r"), calls),
                "5-entity transaction": _time_sync(
                    lambda: table.submit_transaction(_batch(uuid.uuid4().hex)), calls
                ),
                "publish": _time_sync(lambda: publisher.send([_event()]), calls),
            }


CODECS: Final = ("stock", "in turn", "fast")


def measure_codecs(connection_string: str, calls: int) -> dict[str, Timing]:
    """A 5-entity transaction through each codec: azure-core's (``stock``), azure-core's with
    the parts prepared in turn (``in turn``) and adapters/table_batch.py's (``fast``)."""
    with TableServiceClient.from_connection_string(connection_string) as service:
        stock = service.get_table_client(TABLE)
        in_turn = service.get_table_client(TABLE)
        pipeline = in_turn._client._client._pipeline
        setattr(pipeline, "_prepare_multipart_mixed_request", prepare_sub_requests_in_turn)  # noqa: B010
        fast = fast_batches(service.get_table_client(TABLE))
        return {
            name: _time_sync(_transaction(client), calls)
            for name, client in zip(CODECS, (stock, in_turn, fast), strict=True)
        }


def _transaction(client: TableClient) -> Callable[[], object]:
    return lambda: client.submit_transaction(_batch(uuid.uuid4().hex))


async def measure_async(connection_string: str, topic: str, calls: int) -> dict[str, Timing]:
    table = AsyncTableClient.from_connection_string(
        connection_string, TABLE, transport=AsyncioRequestsTransport()
    )
    publisher = AsyncEventGridPublisherClient(
        topic, AzureKeyCredential("bench-key"), transport=AsyncioRequestsTransport()
    )
    async with table, publisher:
        return {
            "point read": await _time_async(lambda: table.get_entity("p", "r"), calls),
            "5-entity transaction": await _time_async(
                lambda: table.submit_transaction(_batch(uuid.uuid4().hex)), calls
            ),
            "publish": await _time_async(lambda: publisher.send([_event()]), calls),
        }


def _best(best: dict[str, Timing], new: dict[str, Timing]) -> dict[str, Timing]:
    if not best:
        return new
    return {
        name: Timing(min(t.cpu_ms, new[name].cpu_ms), min(t.wall_ms, new[name].wall_ms))
        for name, t in best.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls per measure")
    parser.add_argument("--rounds", type=int, default=3, help="alternating sync/async rounds")
    args = parser.parse_args(argv)
    azurite = Azurite(ports=AzuritePorts.free(), in_memory=True)
    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", _SINK, str(sink_port)])
    azurite.start()
    try:
        with TableServiceClient.from_connection_string(azurite.connection_string) as service:
            service.create_table_if_not_exists(TABLE)
        topic = f"http://127.0.0.1:{sink_port}/api/events"
        # Alternating rounds, keeping each call's best: Azurite (node) warms up over the first
        # thousand requests, and whichever client ran first would pay for it.
        sync: dict[str, Timing] = {}
        app: dict[str, Timing] = {}
        aio: dict[str, Timing] = {}
        codecs: dict[str, Timing] = {}
        for _ in range(args.rounds):
            conn = azurite.connection_string
            sync = _best(sync, measure_sync(conn, topic, args.calls, as_the_app=False))
            app = _best(app, measure_sync(conn, topic, args.calls, as_the_app=True))
            aio = _best(
                aio, asyncio.run(measure_async(azurite.connection_string, topic, args.calls))
            )
            codecs = _best(codecs, measure_codecs(conn, args.calls))
    finally:
        azurite.stop()
        sink.terminate()
        sink.wait(10)
    print(
        f"{args.calls} calls each, one after another, best of {args.rounds} rounds; "
        "ms per call (CPU of this process / wall)"
    )
    print(
        "client: sync = the SDK's as built; app = sync as AzureTableStore builds it; async = .aio"
    )
    print(
        f"{'call':<22}"
        + "".join(
            f"{c:>12}"
            for c in ("sync CPU", "sync wall", "app CPU", "app wall", "async CPU", "async wall")
        )
    )
    for name in sync:
        row = (sync[name], app[name], aio[name])
        print(f"{name:<22}" + "".join(f"{t.cpu_ms:>12.2f}{t.wall_ms:>12.2f}" for t in row))
    print()
    print(
        "5-entity transaction by codec: stock = azure-core's; in turn = azure-core's, parts "
        "prepared in turn; fast = adapters/table_batch.py (the app's)"
    )
    print(f"{'codec':<22}{'CPU':>12}{'wall':>12}")
    for name, timing in codecs.items():
        print(f"{name:<22}{timing.cpu_ms:>12.2f}{timing.wall_ms:>12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
