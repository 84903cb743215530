"""``logging.logLevel`` of host.json applied to the host's and the functions' log records.

The Functions host files every log under a category and keeps a record if its level reaches the
level of the longest configured category prefix (``default`` otherwise), as .NET logging does:
``Function.NAME`` for the invocation lines (``Executed 'Functions.NAME' ...``),
``Function.NAME.User`` for what the function itself logs (the Python worker forwards every
record logged during an invocation), ``Host.*`` for the host's own lines.

Locally the categories are given to records: the invoker passes ``extra={"category": ...}``,
and a record logged while a function runs (``CURRENT_FUNCTION``) is that function's user log.
``install`` puts one filter on the root logger's handlers; records with no category (other
components in the same process, outside any invocation) pass untouched.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping
from typing import Final

CURRENT_FUNCTION: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "devstack_current_function", default=None
)
HOST_CATEGORY: Final = "Host.General"


def function_category(name: str) -> str:
    return f"Function.{name}"


def user_category(name: str) -> str:
    return f"Function.{name}.User"


def level_for(levels: Mapping[str, int], category: str) -> int | None:
    """The configured level of ``category``: the longest matching prefix, else ``default``."""
    lower = category.lower()
    best: str | None = None
    for prefix in levels:
        if prefix == "default":
            continue
        if (lower == prefix or lower.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    if best is not None:
        return levels[best]
    return levels.get("default")


def category_of(record: logging.LogRecord) -> str | None:
    """The host category of ``record``, or None if it is none of the host's business."""
    category = getattr(record, "category", None)
    if isinstance(category, str):
        return category
    function = CURRENT_FUNCTION.get()
    if function is not None:
        return user_category(function)
    if record.name == "devstack.host" or record.name.startswith("devstack.host."):
        return HOST_CATEGORY
    return None


class CategoryFilter(logging.Filter):
    """Drops records below their category's configured level; leaves every other record alone."""

    def __init__(self, levels: Mapping[str, int]) -> None:
        super().__init__("devstack.host.log_levels")
        self.levels = dict(levels)

    def filter(self, record: logging.LogRecord) -> bool:
        category = category_of(record)
        level = None if category is None else level_for(self.levels, category)
        return level is None or record.levelno >= level


def install(levels: Mapping[str, int]) -> CategoryFilter | None:
    """Apply ``levels`` to the root logger's handlers, replacing an earlier install.

    Levels only ever hold records back: one below the process's own logging level (INFO for
    ``devstack up`` and the host CLI) shows nothing more than that level does.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, CategoryFilter)]:
            handler.removeFilter(old)
    if not levels:
        return None
    category_filter = CategoryFilter(levels)
    for handler in root.handlers:
        handler.addFilter(category_filter)
    return category_filter
