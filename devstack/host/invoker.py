"""Run functions as the Python worker does, and log each invocation like the host.

Sync functions run in a thread pool sized by ``PYTHON_THREADPOOL_THREAD_COUNT`` (default
``min(32, cpu + 4)``, the ``ThreadPoolExecutor`` default the worker uses); ``async def``
functions run on the event loop. An invocation that outlasts host.json's ``functionTimeout``
fails with the host's message (a sync function's thread cannot be stopped and runs on; Azure
restarts the worker process instead).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from devstack.host.bindings import NO_HTTP_OUTPUT, Context, Out, decode_trigger
from devstack.host.errors import HostStartError
from devstack.host.indexing import FunctionInfo
from devstack.host.log_levels import CURRENT_FUNCTION, function_category
from devstack.host.signature import RETURN

log = logging.getLogger("devstack.host")

THREADPOOL_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


def thread_count(environ: Mapping[str, str]) -> int:
    """Worker threads for sync functions, from ``PYTHON_THREADPOOL_THREAD_COUNT``."""
    raw = environ.get(THREADPOOL_SETTING, "").strip()
    if not raw:
        return min(32, (os.cpu_count() or 1) + 4)
    if not raw.isdigit() or int(raw) < 1:
        raise HostStartError(f"{THREADPOOL_SETTING} must be a positive integer, got {raw!r}")
    return int(raw)


class FunctionTimeoutError(Exception):
    """The invocation ran past host.json's ``functionTimeout``."""


def format_timespan(span: timedelta) -> str:
    """``timedelta`` as .NET prints a ``TimeSpan``: ``00:05:00``, ``1.00:00:00``."""
    total = int(span.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{days}.{clock}" if days else clock


@dataclass(frozen=True)
class Outcome:
    """The result of one invocation."""

    function_name: str
    invocation_id: str
    duration_ms: float
    value: Any = None
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None

    def error_message(self) -> str:
        if self.error is None:
            return ""
        return f"Exception while executing function: Functions.{self.function_name} -> " + (
            f"{type(self.error).__name__}: {self.error}"
        )


@dataclass
class Counts:
    succeeded: int = 0
    failed: int = 0
    faulted: int = 0  # Event Grid deliveries answered by an injected fault (not invoked)


class Invoker:
    """Invokes indexed functions, counts outcomes and logs one line per invocation."""

    def __init__(
        self, *, threads: int, function_directory: str, timeout: timedelta | None = None
    ) -> None:
        self.threads = threads
        self.function_directory = function_directory
        self.timeout = timeout  # host.json functionTimeout; None: unbounded
        self._executor: ThreadPoolExecutor | None = None
        self.counts: dict[str, Counts] = {}

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="devstack-fn")
        return self._executor

    def shutdown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def count(self, name: str) -> Counts:
        return self.counts.setdefault(name, Counts())

    async def invoke(
        self,
        info: FunctionInfo,
        make_input: Callable[[], Any],
        *,
        trace_parent: str = "",
        convert_result: Callable[[Any], Any] | None = None,
    ) -> Outcome:
        """Invoke ``info`` with the trigger value ``make_input()`` builds.

        ``make_input()`` builds what the host sends (a ``meta.Datum``); it is decoded with the
        binding the worker chose (``FunctionInfo.trigger_binding``). Building and decoding the
        input and converting the result (``convert_result``) count as part of the invocation: a
        payload or a return value the converters reject is a failed invocation, as in the
        worker. So is a non-None return value without a ``$return`` binding (Event Grid and
        timer functions): the worker fails it (``azure_functions_worker/dispatcher.py``).
        """
        invocation_id = str(uuid.uuid4())
        started = time.perf_counter()
        value: Any = None
        error: BaseException | None = None
        running = CURRENT_FUNCTION.set(info.name)  # files the function's own logs under it
        try:
            kwargs, http_out = self._arguments(info, make_input, invocation_id, trace_parent)
            value = await self._call(info, kwargs, invocation_id)
            if value is not None and info.http_output != RETURN:
                # The worker's message, missing space included.
                raise RuntimeError(
                    f"function {info.name!r} without a $return bindingreturned a non-None value"
                )
            if http_out is not None:
                value = http_out.get()
                if value is None:
                    value = NO_HTTP_OUTPUT
            if convert_result is not None:
                value = convert_result(value)
        except Exception as exc:
            error = exc
        finally:
            CURRENT_FUNCTION.reset(running)
        duration_ms = (time.perf_counter() - started) * 1000
        outcome = Outcome(info.name, invocation_id, duration_ms, value, error)
        self._record(outcome)
        return outcome

    async def _call(self, info: FunctionInfo, kwargs: dict[str, Any], invocation_id: str) -> Any:
        if info.is_async:
            running: Any = info.function(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            call = functools.partial(contextvars.copy_context().run, info.function, **kwargs)
            running = loop.run_in_executor(self.executor, call)
        if self.timeout is None:
            return await running
        try:
            return await asyncio.wait_for(running, self.timeout.total_seconds())
        except TimeoutError:
            # The WebJobs SDK's FunctionTimeoutException message.
            raise FunctionTimeoutError(
                f"Timeout value of {format_timespan(self.timeout)} exceeded by function "
                f"'Functions.{info.name}' (Id: '{invocation_id}'). Initiating cancellation."
            ) from None

    def _arguments(
        self,
        info: FunctionInfo,
        make_input: Callable[[], Any],
        invocation_id: str,
        trace_parent: str,
    ) -> tuple[dict[str, Any], Out[Any] | None]:
        kwargs: dict[str, Any] = {
            info.trigger_param: decode_trigger(info.trigger_binding, make_input())
        }
        if info.context_param is not None:
            kwargs[info.context_param] = Context(
                invocation_id=invocation_id,
                function_name=info.name,
                function_directory=self.function_directory,
                trace_parent=trace_parent,
            )
        http_out: Out[Any] | None = None
        if info.http_output is not None and info.http_output != RETURN:
            http_out = Out()
            kwargs[info.http_output] = http_out
        return kwargs, http_out

    def _record(self, outcome: Outcome) -> None:
        counts = self.count(outcome.function_name)
        category = {"category": function_category(outcome.function_name)}
        if outcome.succeeded:
            counts.succeeded += 1
            log.info(
                "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)",
                outcome.function_name,
                outcome.invocation_id,
                outcome.duration_ms,
                extra=category,
            )
        else:
            counts.failed += 1
            error = outcome.error
            log.error(
                "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms)",
                outcome.function_name,
                outcome.invocation_id,
                outcome.duration_ms,
                exc_info=(type(error), error, error.__traceback__) if error else None,
                extra=category,
            )
