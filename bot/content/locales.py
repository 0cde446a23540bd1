"""``<locale>/``: interface texts, country names, route labels and answers of one language."""

from __future__ import annotations

from pathlib import Path

from bot.content import rules
from bot.content.answers import load_answer
from bot.content.collector import Collector, check_html, check_placeholders, str_list, string_table
from bot.content.model import (
    Answer,
    Country,
    LocaleContent,
    Problem,
    Route,
)
from bot.content.ui_texts import REQUIRED_EXTRA_ANSWERS, UI_TEXTS
from nlu.facets import FACETS
from nlu.intents import INTENTS


def load_locale(
    c: Collector,
    directory: Path,
    countries: dict[str, Country],
    routes: dict[str, Route],
    crc: frozenset[int],
) -> LocaleContent | None:
    """One language folder, or None when it cannot be served."""
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
        texts = string_table(c, ui_path, ui_data, "texts")
        for key in UI_TEXTS:
            if key not in texts:
                c.error(ui_path, texts.line, f"the interface text '{key}' is missing")
                continue
            value = str(texts[key]).strip()
            check_placeholders(c, ui_path, texts.line_of(key), key, value)
            check_html(c, ui_path, texts.line_of(key), f"'{key}'", value)
            ui[key] = value
            ui_lines[key] = texts.line_of(key)
        for key in texts:
            if key not in UI_TEXTS:
                c.warning(ui_path, texts.line_of(key), f"the text '{key}' is not used by the bot")
        raw_choices = str_list(ui_data.get("country_choices"))
        if raw_choices is None:
            c.error(
                ui_path,
                ui_data.line_of("country_choices"),
                "country_choices must be a list like [GB, US]",
            )
            raw_choices = []
        for code in raw_choices:
            if code not in countries and not c.unread("helplines.yml"):
                c.error(
                    ui_path,
                    ui_data.line_of("country_choices"),
                    f"country_choices names '{code}', which is not in helplines.yml",
                )
        choices = [code for code in raw_choices if code in countries]
        raw_topics = str_list(ui_data.get("topics"))
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
        table = string_table(c, names_path, names_data, "countries")
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
        table = string_table(c, routes_path, routes_data, "routes")
        labels = {str(k): str(v).strip() for k, v in table.items()}
        for key, value in labels.items():
            check_html(c, routes_path, table.line_of(key), f"route '{key}'", value)
            if key not in routes and not c.unread("reporting.yml"):
                c.error(routes_path, table.line_of(key), f"'{key}' is not a route in reporting.yml")
        for route_id in routes:
            if route_id not in labels:
                c.error(
                    routes_path, table.line, f"the route '{route_id}' has no text in this language"
                )
    answers: dict[str, Answer] = {}
    answers_dir = directory / "answers"
    for path in sorted(answers_dir.glob("*.yml")):
        answer = load_answer(c, path)
        if answer is not None:
            answers[answer.id] = answer
    for needed in (*INTENTS, *FACETS, *REQUIRED_EXTRA_ANSWERS):
        # A file that exists but could not be read is already reported; don't ask to create it.
        if needed not in answers and not (answers_dir / f"{needed}.yml").exists():
            c.problems.append(
                Problem(
                    None,
                    f"'{locale}' has no answer for '{needed}': create {answers_dir / (needed + '.yml')}",
                )
            )
    unreadable = frozenset(p.stem for p in c.unreadable if p.parent == answers_dir)
    c.problems += rules.cross_references(
        answers,
        routes,
        crc,
        unreadable_answers=unreadable,
        routes_known=not c.unread("reporting.yml"),
        crc_known=not c.unread("crc.yml"),
    )
    for topic in topics:
        if topic not in answers and topic not in unreadable:
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
