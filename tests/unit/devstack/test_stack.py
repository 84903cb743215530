"""``LocalStack`` without starting it: where the emulator's journal lives, the port check."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.errors import StackError
from devstack.settings import StackConfig
from devstack.stack import LocalStack
from tests.unit.devstack.support import STORAGE


def test_the_journal_lives_next_to_azurites_data_on_disk(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(storage=STORAGE), project_root=tmp_path)
    assert stack.eventgrid_journal() is None  # Azurite not started by us (or in memory)
    stack.azurite_location = tmp_path / ".azurite"
    assert stack.eventgrid_journal() == tmp_path / ".azurite" / "eventgrid-journal.sqlite"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("", None), ("state/j.sqlite", "state/j.sqlite"), ("/abs/j", "/abs/j")],
)
def test_the_journal_setting_overrides_the_automatic_one(
    tmp_path: Path, setting: str, expected: str | None
) -> None:
    stack = LocalStack(
        StackConfig(storage=STORAGE, eventgrid_journal=setting), project_root=tmp_path
    )
    stack.azurite_location = tmp_path / ".azurite"
    assert stack.eventgrid_journal() == (None if expected is None else tmp_path / expected)


def test_the_host_and_emulator_cannot_share_a_port() -> None:
    stack = LocalStack(StackConfig(host_port=8200, eventgrid_port=8200))
    with pytest.raises(StackError, match="both want port 8200"):
        stack.check_ports()
