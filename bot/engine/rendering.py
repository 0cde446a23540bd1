"""Every reply the engine sends is built here: answers, helplines of the child's country, buttons."""

from __future__ import annotations

import dataclasses
from html import escape

from bot.content import Answer, Content, Country, Escalation, Helpline, LocaleContent
from bot.content.model import INTERNATIONAL
from bot.engine import payloads
from bot.engine.messages import Button, Reply
from bot.storage.records import Profile
from nlu.intents import CRISIS_INTENT

_ALWAYS_OPEN = {"24/7", "24 h", "24h", "24 hours"}
#: Kinds of danger where the police number is shown beside the helplines in a crisis.
_POLICE_INTENTS = frozenset({"abuse", "grooming", "cyberbullying"})
#: Narrower topics (``nlu.facets``) whose answer always shows the police number: threats of
#: violence, and strangers knowing where the child lives.
_POLICE_FACETS = frozenset({"violence_threat", "doxxing"})
#: Narrower topics where danger can turn up at the door or the school gate: their answer ends
#: with "if you are in danger right now, call <the emergency number>" at any level.
_DANGER_NOW_FACETS = frozenset({"violence_threat", "doxxing", "meeting", "dangerous_challenge"})


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
    lc: LocaleContent,
    country: Country,
    level: Escalation,
    intent: str | None = None,
    *,
    facet: str | None = None,
    for_parent: bool = False,
) -> str:
    """The helplines a child needs for the kind of danger, most urgent number first.

    An emergency leads with the emergency number. Suicide and self-harm put the country's
    suicide or crisis line first where it has one; abuse adds the police number, and so do
    threats of violence and a leaked address at any level. In a crisis the emergency number
    follows the helplines. A parent gets the lines for adults first where the country has one,
    then the child's line, under a heading written for them.
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
    adults = [h for h in country.helplines if h.for_adults] if for_parent else []
    if for_parent and not fallback:
        heading = "parent_helpline_heading" if adults else "parent_child_line_heading"
    lines.append(lc.text(heading))
    serious = level.rank >= Escalation.CRISIS.rank
    shown: list[Helpline] = []
    if serious and intent == CRISIS_INTENT:
        shown.extend(country.crisis_lines)  # the suicide line first, whoever writes
    shown.extend(h for h in adults if h not in shown)
    child = country.child_helpline
    if child is not None and child not in shown:
        shown.append(child)
    if serious:
        shown.extend(h for h in country.crisis_lines if h not in shown)
    if fallback:
        shown.extend(h for h in country.helplines if h not in shown)
    lines.extend(_helpline_line(lc, h) for h in shown[:3])
    police = (serious and intent in _POLICE_INTENTS) or facet in _POLICE_FACETS
    if police and country.emergency.police:
        lines.append(lc.text("police_line", number=escape(country.emergency.police)))
    if level is Escalation.CRISIS or (
        facet in _DANGER_NOW_FACETS and level is not Escalation.EMERGENCY
    ):
        key = "parent_crisis_heading" if for_parent else "crisis_heading"
        lines.append(lc.text(key, number=emergency))
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
    return Button(lc.text("button_talk"), action=payloads.TALK)


def render_answer(
    content: Content,
    lc: LocaleContent,
    answer: Answer,
    *,
    country: str | None,
    escalation: Escalation,
    intent: str | None = None,
    facet: str | None = None,
    for_parent: bool = False,
) -> Reply:
    """An answer with its escalation block, reporting routes and follow-up buttons.

    In an emergency the number comes before anything else; otherwise the helplines follow the
    answer, the right one for the kind of danger first. ``intent`` (the kind of danger) picks
    the numbers, and defaults to the answer's own id.
    """
    parts = [answer.text.strip()]
    buttons: list[Button] = [
        Button(b.label, action=payloads.make(payloads.ANSWER, b.answer)) for b in answer.buttons
    ]
    if escalation is not Escalation.NONE:
        resolved = content.country(country)
        block = helpline_lines(
            lc, resolved, escalation, intent or answer.id, facet=facet, for_parent=for_parent
        )
        if escalation is Escalation.EMERGENCY:
            # The number first, then the short answer, then the helplines.
            number, _, helplines = block.partition("\n")
            parts = [number, *parts, helplines]
        else:
            parts.append(block)
        buttons.extend(helpline_buttons(lc, resolved))
        if answer.id != payloads.GET_HELP and not any(b.action == payloads.TALK for b in buttons):
            buttons.insert(0, talk_button(lc))
        if country is None:
            buttons.append(Button(lc.text("button_my_country"), action=payloads.COUNTRY_MORE))
    routes = reporting_lines(content, lc, answer, country)
    if routes:
        parts.append(routes)
    return Reply(
        "\n\n".join(parts),
        tuple((b,) for b in buttons),
        helpline=escalation is not Escalation.NONE,
    )


def feedback_row(lc: LocaleContent, intent: str) -> tuple[Button, ...]:
    """The "did this help?" buttons under a topic answer."""
    return (
        Button(
            lc.text("button_helped"),
            action=payloads.make(payloads.FEEDBACK, f"{payloads.YES}:{intent}"),
        ),
        Button(
            lc.text("button_not_helped"),
            action=payloads.make(payloads.FEEDBACK, f"{payloads.NO}:{intent}"),
        ),
    )


def topic_buttons(lc: LocaleContent) -> tuple[tuple[Button, ...], ...]:
    """One button per main topic, for the clarifying question and the menu."""
    rows = [
        (Button(lc.answers[t].title, action=payloads.make(payloads.TOPIC, t)),)
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
        Button(lc.country_names.get(code, code), action=payloads.make(payloads.COUNTRY, code))
        for code in codes
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    tail = []
    if more:
        tail.append(Button(lc.text("button_other_country"), action=payloads.COUNTRY_MORE))
    tail.append(Button(lc.text("button_skip"), action=payloads.COUNTRY_SKIP))
    rows.append(tuple(tail))
    return tuple(rows)


def with_extra_button(reply: Reply, button: Button) -> Reply:
    """The reply with one more button at the top, unless an equal one is already there."""
    if any(b.action == button.action for b in reply.all_buttons()):
        return reply
    return dataclasses.replace(reply, buttons=((button,), *reply.buttons))


def crisis_level(profile: Profile) -> Escalation:
    """How serious the child's open crisis is."""
    return Escalation.EMERGENCY if profile.crisis_emergency else Escalation.CRISIS


def _crisis_text(profile: Profile, text: str, block: str) -> str:
    """Text followed by the crisis block; in an emergency the number stays the first line."""
    if profile.crisis_emergency:
        number, _, rest = block.partition("\n")
        return f"{number}\n\n{text}\n\n{rest}"
    return f"{text}\n\n{block}"


def _open_crisis_block(content: Content, lc: LocaleContent, profile: Profile) -> str:
    return helpline_lines(
        lc, content.country(profile.country), crisis_level(profile), profile.crisis_intent
    )


def checkin_reply(content: Content, lc: LocaleContent, profile: Profile) -> Reply:
    """The warm check-in of an open crisis, with its helplines and three ways to answer."""
    text = _crisis_text(
        profile, lc.text("crisis_checkin"), _open_crisis_block(content, lc, profile)
    )
    return Reply(
        text,
        (
            (Button(lc.text("button_checkin_ok"), action=payloads.CHECKIN_OK),),
            (Button(lc.text("button_checkin_not_ok"), action=payloads.CHECKIN_NOT_OK),),
            (talk_button(lc),),
        ),
        helpline=True,
    )


def with_open_crisis(content: Content, lc: LocaleContent, reply: Reply, profile: Profile) -> Reply:
    """A reply during an open crisis: its helplines added and a person one tap away."""
    first = with_extra_button(reply, talk_button(lc))
    text = _crisis_text(profile, first.text, _open_crisis_block(content, lc, profile))
    return Reply(text, first.buttons, helpline=True)


def fallback_reply(content: Content, lc: LocaleContent, profile: Profile) -> Reply:
    """Sent when an answer could not be: always the emergency number and a helpline."""
    level = Escalation.EMERGENCY if profile.crisis_emergency else Escalation.CRISIS
    block = helpline_lines(lc, content.country(profile.country), level, profile.crisis_intent)
    return Reply(_crisis_text(profile, lc.text("fallback"), block), helpline=True)


def ask_directly_reply(
    content: Content, lc: LocaleContent, country: str | None, topic: str
) -> Reply:
    """Distress without a clear crisis: the plain question, with the helpline already shown."""
    block = helpline_lines(lc, content.country(country), Escalation.HELPLINE)
    text = lc.text("ask_directly") + "\n\n" + block
    buttons = (
        (
            Button(
                lc.text("button_yes"), action=payloads.make(payloads.ASK, f"{payloads.YES}:{topic}")
            ),
        ),
        (
            Button(
                lc.text("button_no"), action=payloads.make(payloads.ASK, f"{payloads.NO}:{topic}")
            ),
        ),
        (
            Button(
                lc.text("button_not_sure"),
                action=payloads.make(payloads.ASK, f"{payloads.UNSURE}:{topic}"),
            ),
        ),
        (talk_button(lc),),
    )
    return Reply(text, buttons, helpline=True)


def clarify_reply(
    content: Content, lc: LocaleContent, country: str | None, escalation: Escalation
) -> Reply:
    """The clarifying question with topic buttons; with the helplines when it may be serious."""
    text = lc.text("clarify")
    if escalation is not Escalation.NONE:
        text += "\n\n" + helpline_lines(lc, content.country(country), escalation)
    return Reply(text, topic_buttons(lc), helpline=escalation is not Escalation.NONE)


def ask_country_reply(lc: LocaleContent) -> Reply:
    """The question for the child's country, with the usual choices."""
    return Reply(lc.text("ask_country"), country_buttons(lc, list(lc.country_choices), more=True))


def more_countries_reply(content: Content, lc: LocaleContent) -> Reply:
    """Every other country we know, sorted by name (the international entry last)."""
    others = sorted(
        (code for code in content.countries if code not in lc.country_choices),
        key=lambda code: (code == INTERNATIONAL, lc.country_names.get(code, code)),
    )
    return Reply(lc.text("ask_country"), country_buttons(lc, others, more=False))


def language_menu(content: Content, lc: LocaleContent) -> Reply:
    """One button per language we have content in."""
    buttons = tuple(
        (Button(other.language_name, action=payloads.make(payloads.LANGUAGE, code)),)
        for code, other in sorted(content.locales.items())
    )
    return Reply(lc.text("ask_language"), buttons)


def with_language_offer(reply: Reply, other: LocaleContent) -> Reply:
    """The reply with one tap to switch to the language the child wrote in."""
    offer = Button(
        f"🌐 {other.language_name}", action=payloads.make(payloads.LANGUAGE, other.locale)
    )
    return dataclasses.replace(reply, buttons=(*reply.buttons, (offer,)))


def text_reply(
    lc: LocaleContent, key: str, *, topics: bool = False, talk: bool = False, **values: str
) -> Reply:
    """An interface text, with the topic menu or the talk button under it."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if topics:
        buttons = topic_buttons(lc)
    elif talk:
        buttons = ((talk_button(lc),),)
    return Reply(lc.text(key, **values), buttons)
