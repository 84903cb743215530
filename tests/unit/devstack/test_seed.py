"""The ``on_storage_ready`` hook that seeds the demo catalog."""

from __future__ import annotations

import pytest

from devstack import seed
from tests.unit.devstack.support import STORAGE


def test_the_hook_seeds_the_catalog_with_the_stacks_connection_string(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(seed, "seed_catalog", calls.append)
    lines: list[str] = []
    seed.app_seed_hook(lines.append)(STORAGE)
    assert calls == [STORAGE]
    assert lines == ["  seed        done (adapters.bootstrap.seed_catalog)"]
