"""The sample function app the host's integration tests serve, and what a served host offers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.host import FunctionsHost

SAMPLE_ROOT = Path(__file__).parent / "sample_app"
SAMPLE_MODULE = "host_sample_app"
KEY = "sample-key"
MASTER_KEY = "sample-master-key"


@dataclass
class Served:
    host: FunctionsHost
    client: httpx.Client
    url: str
