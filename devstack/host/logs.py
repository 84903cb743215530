"""The host's log format and level, the same in the supervisor and in every worker."""

from __future__ import annotations

import logging
from typing import Final

# At INFO the Azure SDKs log every request and response, httpx every request it sends.
CHATTY_LOGGERS: Final = ("azure", "httpx", "httpcore")


def configure_logging(level: str) -> None:
    """``level`` is debug, info or warning; unless it is debug, the SDKs log warnings only."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if level != "debug":
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
