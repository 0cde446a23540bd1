"""``<locale>/answers/*.yml``: one curated answer per file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot.content.collector import Collector, check_html, str_list
from bot.content.model import (
    Answer,
    AnswerButton,
    Escalation,
    Review,
)
from bot.content.yaml_lines import LineDict, LineList

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def load_answer(c: Collector, path: Path) -> Answer | None:
    """One answer file, or None when it cannot be used."""
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
    check_html(c, path, data.line_of("text"), what, text)
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
    reporting = str_list(data.get("reporting"))
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
                "each review needs 'by: <name>', 'on: <date as YYYY-MM-DD>' and 'fingerprint'; "
                "add reviews with  safebot content review",
            )
            continue
        by = c.text(path, item, "by")
        mark = item.get("fingerprint", "")
        if not isinstance(mark, str):
            c.error(
                path,
                item.line_of("fingerprint"),
                'write the fingerprint in double quotes, as  fingerprint: "..."',
            )
            mark = ""
        if by:
            reviews.append(Review(by, reviewed_on, mark.strip(), item.line))
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
        text_lines=data.block_lines("text"),
        reviews=tuple(reviews),
        written_on=data.get("written_on") if isinstance(data.get("written_on"), dt.date) else None,
    )
