"""The timers: the outbox relay and the dead-letter reprocessor (README "Dead letters").

Their schedules are app settings (the host resolves ``%NAME%``): often locally, where tests and
`make chaos` wait on them (local.settings.sample.json), seldom in Azure, where every run wakes a
Flex Consumption instance that could otherwise stay scaled to zero
(infra/modules/functionapp.bicep).
"""

from __future__ import annotations

import logging

import azure.functions as func

from adapters.accounting import saga_step
from entrypoints import wiring
from handlers import dead_letters
from handlers.outbox import relay_outbox

bp = func.Blueprint()  # type: ignore[no-untyped-call]
log = logging.getLogger("hotel")

RELAY_OUTBOX = "relay_outbox"
REPROCESS_DEAD_LETTERS = "reprocess_dead_letters"


@bp.function_name(name=RELAY_OUTBOX)
@bp.timer_trigger(schedule="%OUTBOX_RELAY_SCHEDULE%", arg_name="timer", run_on_startup=False)
def relay_outbox_timer(timer: func.TimerRequest) -> None:
    """Publishes events committed but not published (a crash between commit and publish)."""
    with saga_step(RELAY_OUTBOX):
        published = relay_outbox(wiring.ports())
    if published:
        log.warning("outbox relay published %d event(s) left unpublished", published)


@bp.function_name(name=REPROCESS_DEAD_LETTERS)
@bp.timer_trigger(
    schedule="%DEAD_LETTER_REPROCESS_SCHEDULE%", arg_name="timer", run_on_startup=False
)
def reprocess_dead_letters_timer(timer: func.TimerRequest) -> None:
    """Replays dead-lettered events; archives what succeeds, quarantines poison (logs a summary)."""
    with saga_step(REPROCESS_DEAD_LETTERS):
        dead_letters.reprocess_dead_letters(
            wiring.dead_letter_store(), wiring.ports(), trigger="timer"
        )
