"""Turn curated content into replies: answer text, helplines of the child's country, buttons."""

from __future__ import annotations

from html import escape

from bot.content import Answer, Content, Country, Escalation, Helpline, LocaleContent
from bot.content.model import INTERNATIONAL
from bot.engine import payloads as actions
from bot.engine.messages import Button, Reply
from nlu.intents import CRISIS_INTENT

_ALWAYS_OPEN = {"24/7", "24 h", "24h", "24 hours"}
#: Kinds of danger where the police number is shown beside the helplines.
_POLICE_INTENTS = frozenset({"abuse", "grooming", "cyberbullying"})


def _helpline_line(lc: LocaleContent, helpline: Helpline) -> str:
    details = []
    name, hours, chat = (helpline.shown(lc.locale, key) for key in ("name", "hours", "chat"))
    if helpline.free:
        details.append(lc.text("free"))
    if hours:
        if hours.strip().lower() in _ALWAYS_OPEN:
            details.append(lc.text("open_247"))
        else:
            details.append(lc.text("hours", hours=escape(hours)))
    contact = helpline.phone or helpline.url or chat
    line = f"• <b>{escape(name)}</b>: {escape(contact)}"
    if details:
        line += f" ({', '.join(details)})"
    if chat and chat != contact:
        line += f"\n  {escape(chat)}"
    return line


def helpline_lines(
    lc: LocaleContent, country: Country, level: Escalation, intent: str | None = None
) -> str:
    """The helplines a child needs for the kind of danger, most urgent number first.

    An emergency leads with the emergency number. Suicide and self-harm put the country's
    suicide or crisis line first where it has one; abuse adds the police number. In a crisis the
    emergency number follows the helplines.
    """
    lines: list[str] = []
    emergency = escape(country.emergency.number)
    if level is Escalation.EMERGENCY:
        # Without a country we cannot be sure of the number: say so, and give the usual one.
        key = "emergency_heading_any" if country.code == INTERNATIONAL else "emergency_heading"
        lines.append(lc.text(key, number=emergency))
    fallback = country.code == INTERNATIONAL or country.is_fallback
    heading = "helpline_heading"
    if country.code == INTERNATIONAL:
        heading = "fallback_heading"
    elif country.is_fallback:
        heading = "unlisted_heading"
    lines.append(lc.text(heading))
    serious = level.rank >= Escalation.CRISIS.rank
    shown: list[Helpline] = []
    if serious and intent == CRISIS_INTENT:
        shown.extend(country.crisis_lines)
    child = country.child_helpline
    if child is not None and child not in shown:
        shown.append(child)
    if serious:
        shown.extend(h for h in country.crisis_lines if h not in shown)
    if fallback:
        shown.extend(h for h in country.helplines if h not in shown)
    lines.extend(_helpline_line(lc, h) for h in shown[:3])
    if serious and intent in _POLICE_INTENTS and country.emergency.police:
        lines.append(lc.text("police_line", number=escape(country.emergency.police)))
    if level is Escalation.CRISIS:
        lines.append(lc.text("crisis_heading", number=emergency))
    return "\n".join(lines)


def helpline_buttons(lc: LocaleContent, country: Country) -> list[Button]:
    """A link button to the child helpline's website, where it has one."""
    child = country.child_helpline
    if child is None or not child.url:
        return []
    return [Button(lc.text("button_website", name=child.shown(lc.locale, "name")), url=child.url)]


def reporting_lines(
    content: Content, lc: LocaleContent, answer: Answer, country: str | None
) -> str:
    """The reporting routes of an answer that apply in the child's country."""
    lines = [
        f"• {lc.route_labels[route_id]}"
        for route_id in answer.reporting
        if route_id in content.routes and content.routes[route_id].applies_to(country)
    ]
    if not lines:
        return ""
    return "\n".join([lc.text("reporting_heading"), *lines])


def talk_button(lc: LocaleContent) -> Button:
    """The one-tap route to a real person."""
    return Button(lc.text("button_talk"), action=actions.make(actions.ANSWER, "get_help"))


def render_answer(
    content: Content,
    lc: LocaleContent,
    answer: Answer,
    *,
    country: str | None,
    escalation: Escalation,
    intent: str | None = None,
) -> Reply:
    """An answer with its escalation block, reporting routes and follow-up buttons.

    In an emergency the number comes before anything else; otherwise the helplines follow the
    answer, the right one for the kind of danger first. ``intent`` (the kind of danger) picks
    the numbers, and defaults to the answer's own id.
    """
    parts = [answer.text.strip()]
    buttons: list[Button] = [
        Button(b.label, action=actions.make(actions.ANSWER, b.answer)) for b in answer.buttons
    ]
    if escalation is not Escalation.NONE:
        resolved = content.country(country)
        block = helpline_lines(lc, resolved, escalation, intent or answer.id)
        if escalation is Escalation.EMERGENCY:
            # The number first, then the short answer, then the helplines.
            number, _, helplines = block.partition("\n")
            parts = [number, *parts, helplines]
        else:
            parts.append(block)
        buttons.extend(helpline_buttons(lc, resolved))
        if answer.id != "get_help" and not any(b.action == "a:get_help" for b in buttons):
            buttons.insert(0, talk_button(lc))
        if country is None:
            buttons.append(Button(lc.text("button_my_country"), action="c:more"))
    routes = reporting_lines(content, lc, answer, country)
    if routes:
        parts.append(routes)
    return Reply("\n\n".join(parts), tuple((b,) for b in buttons))


def feedback_row(lc: LocaleContent, intent: str) -> tuple[Button, ...]:
    """The "did this help?" buttons under a topic answer."""
    return (
        Button(lc.text("button_helped"), action=f"{actions.FEEDBACK}:y:{intent}"),
        Button(lc.text("button_not_helped"), action=f"{actions.FEEDBACK}:n:{intent}"),
    )


def topic_buttons(lc: LocaleContent) -> tuple[tuple[Button, ...], ...]:
    """One button per main topic, for the clarifying question and the menu."""
    rows = [
        (Button(lc.answers[t].title, action=actions.make(actions.TOPIC, t)),)
        for t in lc.topics
        if t in lc.answers
    ]
    rows.append((talk_button(lc),))
    return tuple(rows)


def country_buttons(
    lc: LocaleContent, codes: list[str], *, more: bool
) -> tuple[tuple[Button, ...], ...]:
    """Country choices, two a row, then 'other country' and 'skip'."""
    buttons = [
        Button(lc.country_names.get(code, code), action=actions.make(actions.COUNTRY, code))
        for code in codes
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    tail = []
    if more:
        tail.append(Button(lc.text("button_other_country"), action="c:more"))
    tail.append(Button(lc.text("button_skip"), action="c:skip"))
    rows.append(tuple(tail))
    return tuple(rows)


def with_extra_button(reply: Reply, button: Button) -> Reply:
    """The reply with one more button at the top, unless an equal one is already there."""
    if any(b.action == button.action for b in reply.all_buttons()):
        return reply
    return Reply(reply.text, ((button,), *reply.buttons))
