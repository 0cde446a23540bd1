"""Load ``content/`` into typed objects, collecting every problem with its file and line."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.clock import system_clock
from bot.content import rules
from bot.content.model import (
    INTERNATIONAL,
    Answer,
    AnswerButton,
    Content,
    Country,
    Emergency,
    Escalation,
    Helpline,
    LocaleContent,
    Problem,
    Provenance,
    Review,
    Route,
    Verification,
    Where,
)
from bot.content.policy import Policy, Readability
from bot.content.ui_texts import ALLOWED_TAGS, REQUIRED_EXTRA_ANSWERS, UI_TEXTS
from bot.content.yaml_lines import LineDict, LineList, YamlProblem, load_yaml
from nlu.intents import ESCALATING_INTENTS, INTENTS

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_COUNTRY = re.compile(r"^([A-Z]{2}|INT)$")
_BAD_AMPERSAND = re.compile(r"&(?!(amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")
_VERIFICATIONS = ", ".join(v.value for v in Verification)


class _TelegramHtml(HTMLParser):
    """Finds markup Telegram would refuse: unknown tags, unclosed or crossed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            allowed = ", ".join(f"<{t}>" for t in sorted(ALLOWED_TAGS))
            self.faults.append(f"the tag <{tag}> cannot be used; only {allowed} can")
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("https://", "http://", "tg://")):
                self.faults.append("a link <a href=...> must start with https://")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.faults.append(f"</{tag}> closes a tag that is not open here")
            return
        self.stack.pop()


def html_faults(text: str) -> list[str]:
    """Problems Telegram would reject in a text using HTML formatting."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    faults = list(parser.faults)
    if parser.stack:
        faults.append(f"<{parser.stack[-1]}> is opened but never closed")
    if _BAD_AMPERSAND.search(text):
        faults.append("write '&amp;' instead of a plain '&'")
    return faults


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.policy = Policy()

    def where(self, path: Path, line: int) -> Where:
        try:
            shown = path.relative_to(self.root.parent)
        except ValueError:
            shown = path
        return Where(shown, line)

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.where(path, line), message))

    def warning(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.where(path, line), message, "warning"))

    def read(self, path: Path, what: str) -> LineDict | None:
        if not path.is_file():
            self.problems.append(Problem(None, f"{what} is missing: create the file {path}."))
            return None
        try:
            data = load_yaml(path)
        except YamlProblem as problem:
            self.error(path, problem.line, str(problem))
            return None
        except UnicodeDecodeError:
            self.error(path, 1, "the file is not saved as UTF-8 text; save it again as UTF-8")
            return None
        if not isinstance(data, LineDict):
            self.error(path, 1, f"{what} must be a list of 'name: value' lines")
            return None
        self._duplicates(path, data)
        return data

    def _duplicates(self, path: Path, data: Any) -> None:
        if isinstance(data, LineDict):
            for key, line in data.duplicate_keys:
                self.error(path, line, f"'{key}' appears twice; only the last one would be used")
            for value in data.values():
                self._duplicates(path, value)
        elif isinstance(data, LineList):
            for value in data:
                self._duplicates(path, value)

    def text(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(path, data.line, f"'{key}' is missing")
            return ""
        if isinstance(value, (dict, list)):
            self.error(path, data.line_of(key), f"'{key}' must be a piece of text")
            return ""
        return str(value).strip()

    def boolean(self, path: Path, data: LineDict, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(path, data.line_of(key), f"'{key}' must be true or false")
            return default
        return value

    def provenance(self, path: Path, data: LineDict, what: str) -> Provenance:
        source = self.text(path, data, "source")
        if "source" in data and not source:
            self.error(path, data.line_of("source"), f"{what}: 'source' is empty")
        checked = data.get("checked_on")
        if not isinstance(checked, dt.date):
            self.error(
                path,
                data.line_of("checked_on"),
                f"{what}: 'checked_on' must be a date written as YYYY-MM-DD",
            )
            checked = dt.date.min
        raw_mark = self.text(path, data, "verification")
        try:
            mark = Verification(raw_mark)
        except ValueError:
            if raw_mark:
                self.error(
                    path,
                    data.line_of("verification"),
                    f"{what}: verification must be one of {_VERIFICATIONS}, not '{raw_mark}'",
                )
            mark = Verification.UNVERIFIED
        if mark is Verification.UNVERIFIED:
            self.warning(path, data.line_of("verification"), f"{what} is unverified: re-check it")
        return Provenance(source, checked, mark, self.text(path, data, "note", required=False))


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    return None


def _local_texts(c: _Collector, path: Path, item: LineDict, what: str) -> dict[str, dict[str, str]]:
    raw = item.get("local")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        c.error(
            path,
            item.line_of("local"),
            f"{what}: 'local' must list languages, like  ru: {{name: ...}}",
        )
        return {}
    result: dict[str, dict[str, str]] = {}
    for locale, fields in raw.items():
        if not isinstance(fields, dict) or not set(fields) <= {"name", "hours", "chat"}:
            c.error(
                path,
                raw.line_of(locale),
                f"{what}: 'local' for '{locale}' may only give name, hours and chat",
            )
            continue
        result[str(locale)] = {str(k): str(v) for k, v in fields.items()}
    return result


def _load_countries(c: _Collector) -> dict[str, Country]:
    path = c.root / "helplines.yml"
    data = c.read(path, "The helplines file")
    if data is None:
        return {}
    table = data.get("countries")
    if not isinstance(table, LineDict):
        c.error(path, data.line, "expected 'countries:' followed by one entry per country code")
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
                    local=_local_texts(c, path, item, what),
                )
            )
        if helplines and not any(h.for_children for h in helplines):
            c.error(path, line, f"{code} has no helpline marked 'for_children: true'")
        raw_emergency = entry.get("emergency")
        if not isinstance(raw_emergency, LineDict):
            c.error(path, line, f"{code} needs an 'emergency:' entry with a 'number'")
            continue
        number = c.text(path, raw_emergency, "number")
        also = _str_list(raw_emergency.get("also"))
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


def _load_routes(c: _Collector, countries: dict[str, Country]) -> dict[str, Route]:
    path = c.root / "reporting.yml"
    data = c.read(path, "The reporting routes file")
    if data is None:
        return {}
    table = data.get("routes")
    if not isinstance(table, LineDict):
        c.error(path, data.line, "expected 'routes:' followed by one entry per route")
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
            listed = _str_list(raw)
            if listed is None:
                c.error(
                    path,
                    entry.line_of("countries"),
                    f"route '{route_id}': countries must be 'all' or a list like [GB, US]",
                )
                listed = []
            for code in listed:
                if code not in countries:
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


def _load_crc(c: _Collector) -> frozenset[int]:
    path = c.root / "crc.yml"
    data = c.read(path, "The list of CRC articles")
    if data is None:
        return frozenset()
    table = data.get("articles")
    if not isinstance(table, LineDict):
        c.error(path, data.line, "expected 'articles:' followed by one entry per article number")
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


def _check_placeholders(c: _Collector, path: Path, line: int, key: str, text: str) -> None:
    allowed = UI_TEXTS.get(key, frozenset())
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        c.error(
            path, line, f"'{key}': a '{{' or '}}' is not closed; write {{{{ or }}}} for a brace"
        )
        return
    for name in sorted(fields - allowed):
        hint = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
        c.error(
            path, line, f"'{key}' uses {{{name}}}, which the bot cannot fill in (allowed: {hint})"
        )


def _check_html(c: _Collector, path: Path, line: int, what: str, text: str) -> None:
    for fault in html_faults(text):
        c.error(path, line, f"{what}: {fault}")


def _load_answer(c: _Collector, path: Path) -> Answer | None:
    data = c.read(path, "The answer file")
    if data is None:
        return None
    answer_id = c.text(path, data, "id")
    if answer_id and answer_id != path.stem:
        c.error(
            path, data.line_of("id"), f"the id '{answer_id}' must match the file name '{path.stem}'"
        )
    answer_id = path.stem
    text = c.text(path, data, "text")
    what = f"answer '{answer_id}'"
    _check_html(c, path, data.line_of("text"), what, text)
    if len(text) > c.policy.max_answer_chars:
        c.error(
            path,
            data.line_of("text"),
            f"the text is {len(text)} characters long; keep it under {c.policy.max_answer_chars} so it fits a phone screen",
        )
    raw_escalation = c.text(path, data, "escalation")
    try:
        escalation = Escalation(raw_escalation)
    except ValueError:
        c.error(
            path,
            data.line_of("escalation"),
            f"escalation must be none, helpline, crisis or emergency, not '{raw_escalation}'",
        )
        escalation = Escalation.NONE
    articles_raw = data.get("crc_articles", [])
    articles: list[int] = []
    if not isinstance(articles_raw, list) or not all(isinstance(a, int) for a in articles_raw):
        c.error(
            path,
            data.line_of("crc_articles"),
            "crc_articles must be a list of numbers like [16, 19]",
        )
    else:
        articles = list(articles_raw)
    reporting = _str_list(data.get("reporting"))
    if reporting is None:
        c.error(
            path,
            data.line_of("reporting"),
            "reporting must be a list of route names like [telegram_report]",
        )
        reporting = []
    buttons: list[AnswerButton] = []
    raw_buttons = data.get("buttons") or LineList()
    if not isinstance(raw_buttons, list):
        c.error(
            path, data.line_of("buttons"), "buttons must be a list of '- label: ... / answer: ...'"
        )
        raw_buttons = LineList()
    for item in raw_buttons:
        if not isinstance(item, LineDict):
            c.error(path, data.line_of("buttons"), "each button needs a 'label' and an 'answer'")
            continue
        label = c.text(path, item, "label")
        target = c.text(path, item, "answer")
        if len(label) > c.policy.max_button_chars:
            c.error(
                path,
                item.line_of("label"),
                f"the button label '{label}' is longer than {c.policy.max_button_chars} characters",
            )
        buttons.append(AnswerButton(label, target, c.where(path, item.line)))
    title = c.text(path, data, "title")
    if len(title) > c.policy.max_button_chars:
        c.error(
            path,
            data.line_of("title"),
            f"the title is longer than {c.policy.max_button_chars} characters (it is used on a button)",
        )
    reviews: list[Review] = []
    raw_reviews = data.get("reviews")
    if raw_reviews is not None and not isinstance(raw_reviews, list):
        c.error(
            path, data.line_of("reviews"), "reviews must be a list of '- by: ... / on: YYYY-MM-DD'"
        )
        raw_reviews = []
    for item in raw_reviews or []:
        # YAML 1.1 reads a bare `on:` key as the boolean True; editors should not have to care.
        reviewed_on = item.get("on", item.get(True)) if isinstance(item, LineDict) else None
        if not isinstance(item, LineDict) or not isinstance(reviewed_on, dt.date):
            c.error(
                path,
                data.line_of("reviews"),
                "each review needs 'by: <name>' and 'on: <date as YYYY-MM-DD>'",
            )
            continue
        by = c.text(path, item, "by")
        if by:
            reviews.append(Review(by, reviewed_on))
    return Answer(
        id=answer_id,
        title=title,
        text=text,
        crc_articles=tuple(articles),
        escalation=escalation,
        reporting=tuple(reporting),
        buttons=tuple(buttons),
        where=c.where(path, data.line),
        text_line=data.line_of("text"),
        reviews=tuple(reviews),
        written_on=data.get("written_on") if isinstance(data.get("written_on"), dt.date) else None,
    )


def _string_table(c: _Collector, path: Path, data: LineDict, key: str) -> LineDict:
    table = data.get(key)
    if not isinstance(table, LineDict):
        c.error(path, data.line, f"expected '{key}:' followed by 'name: text' lines")
        return LineDict()
    return table


def _load_locale(
    c: _Collector,
    directory: Path,
    countries: dict[str, Country],
    routes: dict[str, Route],
    crc: frozenset[int],
) -> LocaleContent | None:
    locale = directory.name
    ui_path = directory / "ui.yml"
    ui_data = c.read(ui_path, f"The interface texts for '{locale}'")
    ui: dict[str, str] = {}
    ui_lines: dict[str, int] = {}
    choices: list[str] = []
    topics: list[str] = []
    language_name = locale
    if ui_data is not None:
        language_name = c.text(ui_path, ui_data, "language_name") or locale
        texts = _string_table(c, ui_path, ui_data, "texts")
        for key in UI_TEXTS:
            if key not in texts:
                c.error(ui_path, texts.line, f"the interface text '{key}' is missing")
                continue
            value = str(texts[key]).strip()
            _check_placeholders(c, ui_path, texts.line_of(key), key, value)
            _check_html(c, ui_path, texts.line_of(key), f"'{key}'", value)
            ui[key] = value
            ui_lines[key] = texts.line_of(key)
        for key in texts:
            if key not in UI_TEXTS:
                c.warning(ui_path, texts.line_of(key), f"the text '{key}' is not used by the bot")
        raw_choices = _str_list(ui_data.get("country_choices"))
        if raw_choices is None:
            c.error(
                ui_path,
                ui_data.line_of("country_choices"),
                "country_choices must be a list like [GB, US]",
            )
            raw_choices = []
        for code in raw_choices:
            if code not in countries:
                c.error(
                    ui_path,
                    ui_data.line_of("country_choices"),
                    f"country_choices names '{code}', which is not in helplines.yml",
                )
        choices = [code for code in raw_choices if code in countries]
        raw_topics = _str_list(ui_data.get("topics"))
        if raw_topics is None or not raw_topics:
            c.error(
                ui_path,
                ui_data.line_of("topics"),
                "topics must list the intents offered when the bot is unsure",
            )
            raw_topics = []
        topics = raw_topics
    names_path = directory / "countries.yml"
    names_data = c.read(names_path, f"The country names for '{locale}'")
    names: dict[str, str] = {}
    if names_data is not None:
        table = _string_table(c, names_path, names_data, "countries")
        names = {str(k): str(v).strip() for k, v in table.items()}
        for code in countries:
            if code not in names:
                c.error(
                    names_path, table.line, f"the country '{code}' has no name in this language"
                )
    routes_path = directory / "routes.yml"
    routes_data = c.read(routes_path, f"The reporting texts for '{locale}'")
    labels: dict[str, str] = {}
    if routes_data is not None:
        table = _string_table(c, routes_path, routes_data, "routes")
        labels = {str(k): str(v).strip() for k, v in table.items()}
        for key, value in labels.items():
            _check_html(c, routes_path, table.line_of(key), f"route '{key}'", value)
            if key not in routes:
                c.error(routes_path, table.line_of(key), f"'{key}' is not a route in reporting.yml")
        for route_id in routes:
            if route_id not in labels:
                c.error(
                    routes_path, table.line, f"the route '{route_id}' has no text in this language"
                )
    answers: dict[str, Answer] = {}
    answers_dir = directory / "answers"
    for path in sorted(answers_dir.glob("*.yml")):
        answer = _load_answer(c, path)
        if answer is not None:
            answers[answer.id] = answer
    for needed in (*INTENTS, *REQUIRED_EXTRA_ANSWERS):
        # A file that exists but could not be read is already reported; don't ask to create it.
        if needed not in answers and not (answers_dir / f"{needed}.yml").exists():
            c.problems.append(
                Problem(
                    None,
                    f"'{locale}' has no answer for '{needed}': create {answers_dir / (needed + '.yml')}",
                )
            )
    for answer in answers.values():
        path = answer.where.file
        for button in answer.buttons:
            if button.answer not in answers:
                c.problems.append(
                    Problem(
                        button.where,
                        f"the button '{button.label}' points to '{button.answer}', but there is no answer with that name",
                    )
                )
        for route_id in answer.reporting:
            if route_id not in routes:
                c.problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}' lists the reporting route '{route_id}', which is not in reporting.yml",
                    )
                )
        for article in answer.crc_articles:
            if article not in crc:
                c.problems.append(
                    Problem(
                        answer.where,
                        f"answer '{answer.id}' cites CRC article {article}, which is not in crc.yml",
                    )
                )
        if answer.id in ESCALATING_INTENTS and answer.escalation is Escalation.NONE:
            c.problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' is about a serious risk and must show a helpline (escalation: helpline, crisis or emergency)",
                )
            )
        if (
            answer.id in INTENTS
            and answer.id not in ("greet", "goodbye", "thanks", "out_of_scope")
            and not answer.crc_articles
        ):
            c.problems.append(
                Problem(
                    answer.where,
                    f"answer '{answer.id}' must name the children's rights it rests on (crc_articles)",
                    "warning",
                )
            )
        del path
    for topic in topics:
        if topic not in answers:
            c.error(
                ui_path,
                ui_data.line_of("topics") if ui_data else 1,
                f"topics names '{topic}', which has no answer",
            )
    if ui_data is None or not answers:
        return None
    return LocaleContent(
        locale=locale,
        answers=answers,
        ui=ui,
        country_choices=tuple(choices),
        country_names=names,
        route_labels=labels,
        topics=tuple(topics),
        language_name=language_name,
        where=c.where(ui_path, 1),
        ui_lines=ui_lines,
    )


def _patterns(
    c: _Collector, path: Path, table: Any, what: str
) -> dict[str, tuple[re.Pattern[str], ...]]:
    result: dict[str, tuple[re.Pattern[str], ...]] = {}
    if not isinstance(table, LineDict):
        return result
    for locale, items in table.items():
        compiled = []
        for item in items if isinstance(items, list) else []:
            try:
                compiled.append(re.compile(str(item), re.IGNORECASE))
            except re.error as error:
                c.error(
                    path,
                    table.line_of(locale),
                    f"{what} for '{locale}': the pattern {item!r} is not valid ({error})",
                )
        result[str(locale)] = tuple(compiled)
    return result


def _load_policy(c: _Collector) -> Policy:
    path = c.root / "policy.yml"
    data = c.read(path, "The content policy")
    if data is None:
        return Policy()
    locales = _str_list(data.get("locales")) or ["en"]
    readability: dict[str, Readability] = {}
    table = data.get("readability")
    if isinstance(table, LineDict):
        for locale, entry in table.items():
            if not isinstance(entry, LineDict) or entry.get("measure") not in rules.MEASURES:
                names = ", ".join(sorted(rules.MEASURES))
                c.error(
                    path,
                    table.line_of(locale),
                    f"readability for '{locale}' needs a measure: one of {names}",
                )
                continue
            readability[str(locale)] = Readability(
                str(entry["measure"]), entry.get("max"), entry.get("min")
            )
    safe = data.get("safe_messaging")
    safe = safe if isinstance(safe, LineDict) else LineDict()
    hope = safe.get("hope_first")
    return Policy(
        locales=tuple(locales),
        max_answer_chars=int(data.get("max_answer_chars", 700)),
        max_button_chars=int(data.get("max_button_chars", 30)),
        stale_after_days=int(data.get("stale_after_days", 365)),
        two_reviewers_for=frozenset(_str_list(data.get("two_reviewers_for")) or ()),
        readability=readability,
        blame_phrases=_patterns(c, path, data.get("blame_phrases"), "blame_phrases"),
        safe_messaging_for=frozenset(_str_list(safe.get("applies_to")) or ()),
        forbidden_in_safe_messaging=_patterns(c, path, safe.get("forbidden"), "safe_messaging"),
        hope_first={
            str(k): tuple(str(w).lower() for w in v)
            for k, v in (hope.items() if isinstance(hope, LineDict) else [])
            if isinstance(v, list)
        },
    )


def _locale_dirs(c: _Collector) -> Iterable[Path]:
    for locale in c.policy.locales:
        directory = c.root / locale
        if not (directory / "ui.yml").is_file():
            c.problems.append(
                Problem(
                    None,
                    f"policy.yml enables the language '{locale}', but {directory / 'ui.yml'} does not exist",
                )
            )
            continue
        yield directory
    for directory in sorted(p for p in c.root.iterdir() if p.is_dir()):
        if (directory / "ui.yml").is_file() and directory.name not in c.policy.locales:
            c.problems.append(
                Problem(
                    None,
                    f"the language folder '{directory.name}' is not listed in policy.yml 'locales', so the bot does not offer it",
                    "warning",
                )
            )


def load_content(
    root: Path, *, today: dt.date | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load all content; returns it (or None when there are errors) and every problem found."""
    c = _Collector(root)
    if not root.is_dir():
        return None, [Problem(None, f"the content folder {root} does not exist")]
    c.policy = _load_policy(c)
    countries = _load_countries(c)
    routes = _load_routes(c, countries)
    crc = _load_crc(c)
    locales: dict[str, LocaleContent] = {}
    for directory in _locale_dirs(c):
        loaded = _load_locale(c, directory, countries, routes, crc)
        if loaded is not None:
            locales[loaded.locale] = loaded
    today = system_clock().date() if today is None else today
    for lc in locales.values():
        c.problems += rules.readability(c.policy, lc)
        c.problems += rules.blame(c.policy, lc)
        c.problems += rules.safe_messaging(c.policy, lc)
        c.problems += rules.reviews(c.policy, lc, today)
    c.problems += rules.helplines(c.policy, countries, today)
    if not locales:
        c.problems.append(
            Problem(None, f"no language folder (like {root / 'en'}) with a ui.yml was found")
        )
    errors = [p for p in c.problems if p.severity == "error"]
    if errors:
        return None, c.problems
    content = Content(
        locales=locales,
        countries=countries,
        routes=routes,
        crc_articles=crc,
        directory=root,
        warnings=tuple(p for p in c.problems if p.severity == "warning"),
        policy=c.policy,
    )
    return content, c.problems
