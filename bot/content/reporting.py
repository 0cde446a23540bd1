"""``reporting.yml`` (reporting and removal routes) and ``crc.yml`` (the CRC articles cited)."""

from __future__ import annotations

from bot.content.collector import Collector, str_list
from bot.content.model import (
    Country,
    Route,
)
from bot.content.yaml_lines import LineDict


def load_routes(c: Collector, countries: dict[str, Country]) -> dict[str, Route]:
    """Every reporting route of ``reporting.yml``."""
    path = c.root / "reporting.yml"
    table = c.read_table(path, "The reporting routes file", "routes", "route")
    if table is None:
        return {}
    routes: dict[str, Route] = {}
    for route_id, entry in table.items():
        line = table.line_of(route_id)
        route_id = str(route_id)
        if not isinstance(entry, LineDict):
            c.error(path, line, f"route '{route_id}' needs 'countries:', 'source:'...")
            continue
        raw = entry.get("countries", "all")
        scope: frozenset[str] | None
        if raw == "all":
            scope = None
        else:
            listed = str_list(raw)
            if listed is None:
                c.error(
                    path,
                    entry.line_of("countries"),
                    f"route '{route_id}': countries must be 'all' or a list like [GB, US]",
                )
                listed = []
            for code in listed:
                if code not in countries and not c.unread("helplines.yml"):
                    c.error(
                        path,
                        entry.line_of("countries"),
                        f"route '{route_id}' names the country '{code}', which is not in helplines.yml",
                    )
            scope = frozenset(listed)
        url = c.text(path, entry, "url", required=False)
        if url and not url.startswith(("https://", "http://")):
            c.error(
                path, entry.line_of("url"), f"route '{route_id}': the url must start with https://"
            )
        routes[route_id] = Route(
            id=route_id,
            provenance=c.provenance(path, entry, f"route '{route_id}'"),
            where=c.where(path, line),
            url=url,
            countries=scope,
        )
    return routes


def load_crc(c: Collector) -> frozenset[int]:
    """The CRC article numbers of ``crc.yml``."""
    path = c.root / "crc.yml"
    table = c.read_table(path, "The list of CRC articles", "articles", "article number")
    if table is None:
        return frozenset()
    numbers = set()
    for number, entry in table.items():
        if not isinstance(number, int) or not 1 <= number <= 54:
            c.error(path, table.line_of(number), f"'{number}' is not a CRC article number (1-54)")
            continue
        if isinstance(entry, LineDict):
            c.provenance(path, entry, f"CRC article {number}")
        numbers.add(number)
    return frozenset(numbers)
