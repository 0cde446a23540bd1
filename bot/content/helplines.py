"""``helplines.yml``: every country's helplines and emergency numbers, with their sources."""

from __future__ import annotations

import datetime as dt
import re

from bot.content.collector import Collector, local_texts, str_list
from bot.content.model import (
    INTERNATIONAL,
    Country,
    Emergency,
    Helpline,
    Provenance,
    Verification,
)
from bot.content.yaml_lines import LineDict, LineList

_COUNTRY = re.compile(r"^([A-Z]{2}|INT)$")


def load_countries(c: Collector) -> dict[str, Country]:
    """Every country of ``helplines.yml``."""
    path = c.root / "helplines.yml"
    table = c.read_table(path, "The helplines file", "countries", "country code")
    if table is None:
        return {}
    countries: dict[str, Country] = {}
    fallbacks: list[tuple[str, int, str, str]] = []
    for code, entry in table.items():
        line = table.line_of(code)
        code = str(code)
        if not _COUNTRY.match(code):
            c.error(path, line, f"'{code}' is not a country code; use two capital letters like GB")
            continue
        if not isinstance(entry, LineDict):
            c.error(path, line, f"{code}: expected 'helplines:' and 'emergency:' under it")
            continue
        if "fallback" in entry:
            note = c.text(path, entry, "note")
            if "helplines" in entry or "emergency" in entry:
                c.error(
                    path,
                    line,
                    f"{code}: use either 'fallback' or 'helplines' and 'emergency', not both",
                )
            fallbacks.append((code, line, str(entry["fallback"]), note))
            continue
        helplines: list[Helpline] = []
        raw_lines = entry.get("helplines")
        if not isinstance(raw_lines, LineList) or not raw_lines:
            c.error(path, entry.line_of("helplines"), f"{code} needs at least one helpline")
            raw_lines = LineList()
        for item in raw_lines:
            if not isinstance(item, LineDict):
                c.error(path, entry.line_of("helplines"), f"{code}: each helpline needs 'name:'")
                continue
            name = c.text(path, item, "name")
            what = f"{code} helpline '{name}'"
            phone = c.text(path, item, "phone", required=False)
            url = c.text(path, item, "url", required=False)
            chat = c.text(path, item, "chat", required=False)
            if not phone and not url and not chat:
                c.error(path, item.line, f"{what} needs a 'phone', a 'url' or a 'chat'")
            if url and not url.startswith(("https://", "http://")):
                c.error(path, item.line_of("url"), f"{what}: the url must start with https://")
            helplines.append(
                Helpline(
                    name=name,
                    provenance=c.provenance(path, item, what),
                    where=c.where(path, item.line),
                    phone=phone,
                    url=url,
                    chat=chat,
                    hours=c.text(path, item, "hours", required=False),
                    operator=c.text(path, item, "operator", required=False),
                    free=c.boolean(path, item, "free", False),
                    for_children=c.boolean(path, item, "for_children", True),
                    crisis=c.boolean(path, item, "crisis", False),
                    for_adults=c.boolean(path, item, "for_adults", False),
                    local=local_texts(c, path, item, what),
                )
            )
        if helplines and not any(h.for_children for h in helplines):
            c.error(path, line, f"{code} has no helpline marked 'for_children: true'")
        raw_emergency = entry.get("emergency")
        if not isinstance(raw_emergency, LineDict):
            c.error(path, line, f"{code} needs an 'emergency:' entry with a 'number'")
            # Still a country the other files may name (no knock-on errors); the error above
            # keeps this content from going live.
            missing = Emergency(
                "", Provenance("", dt.date.min, Verification.UNVERIFIED), c.where(path, line)
            )
            countries[code] = Country(code, tuple(helplines), missing, c.where(path, line))
            continue
        number = c.text(path, raw_emergency, "number")
        also = str_list(raw_emergency.get("also"))
        if also is None:
            c.error(path, raw_emergency.line_of("also"), f"{code}: 'also' must be a list")
            also = []
        emergency = Emergency(
            number=number,
            provenance=c.provenance(path, raw_emergency, f"{code} emergency number"),
            where=c.where(path, raw_emergency.line),
            also=tuple(also),
            police=c.text(path, raw_emergency, "police", required=False),
            ambulance=c.text(path, raw_emergency, "ambulance", required=False),
            note=c.text(path, raw_emergency, "note", required=False),
        )
        countries[code] = Country(code, tuple(helplines), emergency, c.where(path, line))
    if INTERNATIONAL not in countries:
        c.error(path, table.line, "the international fallback 'INT' is missing")
    for code, line, target, note in fallbacks:
        if target != INTERNATIONAL or target not in countries:
            c.error(path, line, f"{code}: 'fallback' can only be INT (the international entry)")
            continue
        base = countries[target]
        countries[code] = Country(
            code, base.helplines, base.emergency, c.where(path, line), is_fallback=True, note=note
        )
    return countries
