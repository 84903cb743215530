from __future__ import annotations

import pytest

from devstack.host.errors import HostStartError
from devstack.host.routing import RouteTemplate, best_match

GUID = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("health", "health", {}),
        ("health", "HEALTH", {}),
        ("health", "health/", {}),
        ("health", "healthz", None),
        ("hotels/{hotelId}/availability", "hotels/lisbon/availability", {"hotelId": "lisbon"}),
        ("hotels/{hotelId}/availability", "hotels//availability", None),
        ("items/{id:int}", "items/42", {"id": "42"}),
        ("items/{id:int}", "items/-7", {"id": "-7"}),
        ("items/{id:int}", "items/abc", None),
        ("items/{id:int}", "items/99999999999", None),
        ("items/{id:long}", "items/99999999999", {"id": "99999999999"}),
        ("items/{id:int:min(1)}", "items/0", None),
        ("items/{id:int:range(1,5)}", "items/5", {"id": "5"}),
        ("items/{id:guid}", f"items/{GUID}", {"id": GUID}),
        ("items/{id:guid}", "items/nope", None),
        ("items/{code:alpha:length(3)}", "items/EUR", {"code": "EUR"}),
        ("items/{code:alpha:length(3)}", "items/EURO", None),
        ("flags/{on:bool}", "flags/True", {"on": "True"}),
        ("files/{name}.{ext}", "files/report.pdf", {"name": "report", "ext": "pdf"}),
        ("optional/{x?}", "optional", {}),
        ("optional/{x?}", "optional/1", {"x": "1"}),
        ("optional/{x:int?}", "optional/a", None),
        ("static/{*rest}", "static/css/site.css", {"rest": "css/site.css"}),
        ("static/{*rest}", "static", {}),
        ("", "", {}),
    ],
)  # fmt: skip
def test_template_matching(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert RouteTemplate.parse(template).match(path) == expected


def test_route_values_keep_their_case() -> None:
    assert RouteTemplate.parse("Guests/{guestId}").match("guests/AbC") == {"guestId": "AbC"}


@pytest.mark.parametrize(
    "template",
    ["items/{id:nosuch}", "a/{x?}/b", "a/{*rest}/b", "a/{x}/{X}", "a/{x=1}", "a/{x", "a//b"],
)
def test_bad_templates_are_a_clear_start_error(template: str) -> None:
    with pytest.raises(HostStartError, match="invalid route template"):
        RouteTemplate.parse(template)


def test_the_most_specific_template_wins() -> None:
    routes = [
        (RouteTemplate.parse("{*all}"), "catch-all"),
        (RouteTemplate.parse("items/{id}"), "param"),
        (RouteTemplate.parse("items/{id:int}"), "int"),
        (RouteTemplate.parse("items/new"), "literal"),
    ]
    assert best_match(routes, "items/new") == ("literal", {})
    assert best_match(routes, "items/7") == ("int", {"id": "7"})
    assert best_match(routes, "items/x") == ("param", {"id": "x"})
    assert best_match(routes, "other/thing") == ("catch-all", {"all": "other/thing"})
    assert best_match(routes[1:], "nothing/here/at/all") is None
