from __future__ import annotations

from domain.events import EVENT_REGISTRY
from handlers import event_docs
from handlers.routing import SUBSCRIPTIONS


def test_docs_events_md_matches_the_event_definitions() -> None:
    committed = event_docs.DOC_PATH.read_text(encoding="utf-8")
    assert committed == event_docs.render(), (
        "docs/events.md is stale: run `.venv/bin/python -m handlers.event_docs`"
    )


def test_every_routed_event_type_is_a_defined_event() -> None:
    routed = {t for s in SUBSCRIPTIONS for t in s.included_event_types}
    assert routed <= set(EVENT_REGISTRY), routed - set(EVENT_REGISTRY)
