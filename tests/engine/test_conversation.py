"""The conversation engine, driven through the real service (real classifier, real SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.messages import Incoming, Reply
from bot.service.runtime import Runtime
from nlu.classifier import IntentResult

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
#: Tests that read or store times are marked ``time_sensitive`` (rerun a year ahead).

USER = 4242


def actions_of(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.all_buttons() if b.action]


def all_text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def say(runtime: Runtime, text: str, user: int = USER) -> list[Reply]:
    return await runtime.service.handle("test", user, Incoming.message(text, "en"))


async def press(runtime: Runtime, action: str, user: int = USER) -> list[Reply]:
    return await runtime.service.handle("test", user, Incoming.button(action, "en"))


async def command(runtime: Runtime, name: str, user: int = USER) -> list[Reply]:
    return await runtime.service.handle("test", user, Incoming.command(name, "en"))


async def test_start_is_honest_and_asks_the_country_once(runtime: Runtime) -> None:
    replies = await command(runtime, "start")
    assert "bot, not a person" in replies[0].text
    assert "no human reads this chat" in replies[0].text
    assert "c:GB" in actions_of(replies) and "c:skip" in actions_of(replies)
    again = await command(runtime, "start")
    assert not any(a.startswith("c:") for a in actions_of(again))


async def test_country_choice_changes_the_helpline_shown(runtime: Runtime) -> None:
    await command(runtime, "start")
    saved = await press(runtime, "c:GB")
    assert "United Kingdom" in saved[0].text
    replies = await press(runtime, "t:grooming")
    assert "0800 1111" in replies[0].text  # Childline
    await command(runtime, "country")
    await press(runtime, "c:more")
    await press(runtime, "c:TR")
    replies = await press(runtime, "t:grooming")
    assert "183" in replies[0].text and "0800 1111" not in replies[0].text


async def test_without_a_country_the_international_fallback_is_shown(runtime: Runtime) -> None:
    replies = await press(runtime, "t:intimate_images")
    assert "findahelpline.com" in replies[0].text
    assert "c:more" in actions_of(replies)  # one tap to set the country


@pytest.mark.parametrize(
    ("message", "intent_marker"),
    [
        ("a guy from roblox keeps asking for pics and says dont tell ur mum", "a:get_help"),
        ("everyone in the group chat is laughing at me and they made a fake acc of me", None),
    ],
)
async def test_classified_messages_get_a_curated_answer(
    runtime: Runtime, message: str, intent_marker: str | None
) -> None:
    replies = await say(runtime, message)
    assert len(replies[0].text) > 100
    if intent_marker:
        assert intent_marker in actions_of(replies)


async def test_low_confidence_asks_with_topic_buttons_and_the_choice_routes(
    runtime: Runtime,
) -> None:
    runtime.service.engine.settings.clarify_below = 1.01  # force the clarifying question
    replies = await say(runtime, "umm so basically")
    assert "Which of these" in replies[0].text
    topics = [a for a in actions_of(replies) if a.startswith("t:")]
    assert {"t:cyberbullying", "t:grooming", "t:self_harm"} <= set(topics)
    assert "a:get_help" in actions_of(replies)  # never a dead end
    routed = await press(runtime, "t:privacy")
    assert routed[0].text == (await press(runtime, "a:privacy"))[0].text


async def test_escalating_answers_show_the_countrys_helpline(runtime: Runtime) -> None:
    await press(runtime, "c:US")
    for topic in ("grooming", "intimate_images", "self_harm"):
        replies = await press(runtime, f"t:{topic}")
        assert "1-800-422-4453" in replies[0].text or "988" in replies[0].text, topic


async def test_cyberbullying_with_a_threat_escalates(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    plain = await say(runtime, "they keep calling me ugly in the group chat")
    assert "0800 1111" not in plain[0].text
    threat = await say(
        runtime, "they keep calling me ugly and said they'll beat me up after school"
    )
    assert "0800 1111" in threat[0].text


async def test_human_leads_straight_to_the_helpline(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    replies = await say(runtime, "can i talk to a real person please")
    assert "0800 1111" in replies[0].text


async def test_about_bot_is_honest(runtime: Runtime) -> None:
    replies = await say(runtime, "are you a real human or a bot??")
    text = all_text(replies).lower()
    assert "bot" in text and ("no human" in text or "not a person" in text)


@pytest.mark.time_sensitive
async def test_a_crisis_stays_open_whatever_the_child_writes_next(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    crisis = await say(runtime, "everyone would be better off without me")
    assert "0800 1111" in crisis[0].text and "999" in crisis[0].text
    for closer in ("its fine i was joking", "never mind", "ok", "thanks", "bye"):
        replies = await say(runtime, closer)
        assert "0800 1111" in all_text(replies), closer  # the helpline stays in view
        assert "ci:ok" in actions_of(replies) and "ci:no" in actions_of(replies), closer
    okay = await press(runtime, "ci:ok")
    assert "0800 1111" in all_text(okay)  # "I'm okay now" never closes it
    start = await command(runtime, "start")
    assert "0800 1111" in all_text(start) and "ci:ok" in actions_of(start)
    other = await say(runtime, "how do i make my insta private")
    assert "0800 1111" in all_text(other) and "a:get_help" in actions_of(other)


@pytest.mark.time_sensitive
async def test_a_crisis_closes_after_its_hours_or_with_forget(runtime: Runtime) -> None:
    engine = runtime.service.engine
    now = [dt.datetime(2026, 11, 30, 20, 15, tzinfo=dt.UTC)]
    engine.clock = lambda: now[0]
    await press(runtime, "c:GB")
    await say(runtime, "i want to kill myself")
    now[0] += dt.timedelta(hours=engine.settings.crisis_open_hours - 1)
    assert "0800 1111" in all_text(await say(runtime, "hello"))
    now[0] += dt.timedelta(hours=2, minutes=30)
    assert "0800 1111" not in all_text(await say(runtime, "hello"))
    await say(runtime, "i want to kill myself")
    await command(runtime, "forget")
    assert "0800 1111" not in all_text(await say(runtime, "hello"))


@pytest.mark.time_sensitive
async def test_check_in_not_okay_brings_the_crisis_answer_back(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    await say(runtime, "my uncle touches me when he visits and says its our special secret")
    await say(runtime, "whatever")
    replies = await press(runtime, "ci:no")
    assert "0800 1111" in replies[0].text and "not your fault" in replies[0].text


async def test_an_emergency_leads_with_the_emergency_number(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    replies = await say(runtime, "im going to jump off the bridge tonight")
    first_line = replies[0].text.splitlines()[0]
    assert "999" in first_line
    assert "0800 1111" in replies[0].text  # then the helpline
    assert "bridge" not in replies[0].text.lower()  # safe messaging: our words name no place


@pytest.mark.time_sensitive
async def test_while_a_crisis_is_open_feeling_dizzy_is_an_emergency(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    first = await say(runtime, "i want to die")
    assert "999" not in first[0].text.splitlines()[0]
    replies = await say(runtime, "i feel really dizzy now")
    assert "999" in replies[0].text.splitlines()[0]


async def test_suicide_shows_the_suicide_line_first_and_abuse_the_police(
    runtime: Runtime,
) -> None:
    await press(runtime, "c:US")
    suicide = (await say(runtime, "i want to kill myself"))[0].text
    assert suicide.index("988") < suicide.index("1-800-422-4453")
    await press(runtime, "c:UA")
    abuse = (await say(runtime, "my stepdad beats me with a belt and im scared to go home"))[0].text
    assert "102" in abuse  # the police number beside the helpline


async def test_distress_is_asked_about_directly(runtime: Runtime) -> None:
    await press(runtime, "c:GB")
    replies = await say(runtime, "whats even the point of anything")
    assert "killing yourself" in replies[0].text
    assert "0800 1111" in replies[0].text  # the question already shows the helpline
    buttons = actions_of(replies)
    assert any(a.startswith("ad:y:") for a in buttons)
    no = next(a for a in buttons if a.startswith("ad:n:"))
    yes = next(a for a in buttons if a.startswith("ad:y:"))
    answered_no = await press(runtime, no)
    assert "0800 1111" in answered_no[0].text  # the helpline kept at the bottom
    answered_yes = await press(runtime, yes)
    assert "999" in answered_yes[0].text and "glad you told me" in answered_yes[0].text


class AlwaysGreeting:
    """A classifier that is sure of the wrong answer, to show the net wins."""

    name = "always-greet"

    async def classify(self, text: str, locale: str) -> IntentResult:
        return IntentResult("greet", 0.99, (("greet", 0.99), ("self_harm", 0.0)), self.name)


async def test_crisis_net_wins_whatever_the_classifier_says(runtime: Runtime) -> None:
    runtime.service.engine.understanding.classifier = AlwaysGreeting()
    runtime.service.engine.understanding.risk = None
    replies = await say(runtime, "i want to end my life")
    assert "🚨" in replies[0].text
    await command(runtime, "forget")
    normal = await say(runtime, "hello")
    assert "🚨" not in normal[0].text


async def test_media_gets_a_kind_reply_with_topics(runtime: Runtime) -> None:
    replies = await runtime.service.handle("test", USER, Incoming.media("photo", "en"))
    assert "can't open photos" in replies[0].text
    assert any(a.startswith("t:") for a in actions_of(replies))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\u200b\u200b", "🙂" * 3000, "a" * 100_000, "\x00\x01 hi", "ẗ̸̡̛̤h̶e̷y̶ ̵h̴a̸t̶e̴ ̸m̷e̶"],
)
async def test_odd_input_always_gets_a_reply(runtime: Runtime, text: str) -> None:
    replies = await say(runtime, text)
    assert replies and replies[0].text
    assert replies[0].all_buttons()  # never a dead end


async def test_stale_or_forged_buttons_get_the_menu(runtime: Runtime) -> None:
    for payload in ("a:deleted_answer", "zz:top", "t:../../etc", "c:XX", "l:xx"):
        replies = await press(runtime, payload)
        assert any(a.startswith("t:") for a in actions_of(replies)), payload


async def test_language_command_offers_the_enabled_locales(runtime: Runtime) -> None:
    replies = await command(runtime, "language")
    assert "l:en" in actions_of(replies)
    saved = await press(runtime, "l:en")
    assert "English" in saved[0].text


@pytest.mark.time_sensitive
async def test_forget_deletes_everything_under_the_pseudonym(runtime: Runtime) -> None:
    service = runtime.service
    await press(runtime, "c:GB")
    await say(runtime, "someone hacked my insta")
    await service.events.flush()
    pseudonym = service.pseudonym("test", USER)
    assert service.profiles.count_rows(pseudonym) >= 3
    replies = await command(runtime, "forget")
    assert "deleted" in replies[0].text
    await service.events.flush()
    assert service.profiles.count_rows(pseudonym) == 0
    # and the bot has truly forgotten the country
    again = await press(runtime, "t:grooming")
    assert "0800 1111" not in again[0].text
