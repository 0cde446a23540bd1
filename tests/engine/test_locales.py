"""Every locale end to end: the whole conversation in the child's language and script."""

from __future__ import annotations

import re

import pytest

from bot.engine.messages import Incoming, Reply
from bot.service.runtime import Runtime
from nlu.intents import INTENTS

LOCALES = ["en", "ru", "uk", "tr"]
HOME_COUNTRY = {"en": "GB", "ru": "RU", "uk": "UA", "tr": "TR"}

# What may appear in Latin letters inside a Cyrillic reply: links, handles, brand and
# service names that have no translation, and short acronyms (SMS, ALO, IWF).
_ALLOWED_LATIN = re.compile(
    r"https?://\S+|/[a-z]+\b|\b(Android|iPhone|iOS)\b|\b[\w.-]+\.(org|com|gov|ca|uk|md|au|net|de)\b\S*|@\w+|"
    r"\b(SafeBot|Telegram|Take It Down|Report Remove|CyberTipline|Cybertip|eSafety|INHOPE|"
    r"TelefonSeelsorge|Childline|Instagram|TikTok|WhatsApp|Discord|Roblox|Snapchat)\b|\b[A-Z]{2,5}\b"
)
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
_ENGLISH_WORDS = re.compile(r"\b(the|and|you|your|help|open|free|hours|please|with|what)\b", re.I)


def leaks(locale: str, text: str) -> list[str]:
    """Words in the wrong language or script for this locale."""
    cleaned = _ALLOWED_LATIN.sub(" ", re.sub(r"<[^>]+>", " ", text))
    if locale in ("ru", "uk"):
        return _LATIN_WORD.findall(cleaned)
    if locale == "tr":
        return _CYRILLIC.findall(cleaned) + _ENGLISH_WORDS.findall(cleaned)
    return _CYRILLIC.findall(cleaned)


def reply_texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies] + [b.label for r in replies for b in r.all_buttons()]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_intent_in_every_locale_stays_in_its_language(
    runtime: Runtime, locale: str
) -> None:
    service = runtime.service
    user = 5000 + LOCALES.index(locale)
    seen: list[str] = []
    seen += reply_texts(await service.handle("t", user, Incoming.command("start", locale)))
    await service.handle("t", user, Incoming.button(f"l:{locale}", locale))
    for country in (HOME_COUNTRY[locale], None):
        if country:
            seen += reply_texts(
                await service.handle("t", user, Incoming.button(f"c:{country}", locale))
            )
        else:
            seen += reply_texts(await service.handle("t", user, Incoming.button("c:skip", locale)))
        for intent in INTENTS:
            seen += reply_texts(
                await service.handle("t", user, Incoming.button(f"t:{intent}", locale))
            )
        for command in ("help", "privacy", "language", "country"):
            seen += reply_texts(await service.handle("t", user, Incoming.command(command, locale)))
    seen += reply_texts(await service.handle("t", user, Incoming.media("photo", locale)))
    # The language menu names every language in its own script; that is the one exception.
    names = {lc.language_name for lc in runtime.service.engine.content.locales.values()}
    problems = {
        text[:80]: leaks(locale, text) for text in seen if text not in names and leaks(locale, text)
    }
    assert problems == {}


@pytest.mark.parametrize(
    ("locale", "message", "helpline"),
    [
        ("ru", "меня травят в школьном чате и пишут гадости", None),
        ("uk", "мене цькують у чаті класу і пишуть гидоту", None),
        ("tr", "sınıf grubunda herkes benimle dalga geçiyor", None),
        ("ru", "хочу умереть", "8-800-2000-122"),
        ("uk", "не хочу жити більше", "116 111"),
        ("tr", "ölmek istiyorum", "183"),
    ],
)
async def test_a_child_in_each_language_gets_their_countrys_help(
    runtime: Runtime, locale: str, message: str, helpline: str | None
) -> None:
    service = runtime.service
    user = hash((locale, message)) % 10**8
    await service.handle("t", user, Incoming.button(f"c:{HOME_COUNTRY[locale]}", locale))
    replies = await service.handle("t", user, Incoming.message(message, locale))
    assert not leaks(locale, replies[0].text), replies[0].text
    if helpline:
        assert "🚨" in replies[0].text and helpline in replies[0].text


async def test_telegram_language_code_sets_the_locale(runtime: Runtime) -> None:
    replies = await runtime.service.handle("t", 6001, Incoming.command("start", "uk-UA"))
    assert _CYRILLIC.search(replies[0].text) and "бот" in replies[0].text.lower()


async def test_short_messages_do_not_flip_the_language(runtime: Runtime) -> None:
    replies = await runtime.service.handle("t", 6002, Incoming.message("привет", "en"))
    assert not _CYRILLIC.search(replies[0].text)
    assert not any((b.action or "").startswith("l:") for b in replies[0].all_buttons())


async def test_another_language_is_understood_and_switching_is_offered(runtime: Runtime) -> None:
    service = runtime.service
    await service.handle("t", 6003, Incoming.button("l:en", "en"))  # the child chose English
    replies = await service.handle(
        "t",
        6003,
        Incoming.message(
            "один взрослый из роблокса просит мой адрес и говорит никому не рассказывать", "en"
        ),
    )
    assert not _CYRILLIC.search(replies[0].text.split("\n")[0])  # answered in English
    assert "a:get_help" in [b.action for b in replies[0].all_buttons()]  # understood as grooming
    assert "l:ru" in [b.action for b in replies[0].all_buttons()]  # offered Russian


async def test_unsupported_telegram_language_falls_back_to_the_text(runtime: Runtime) -> None:
    # A Turkish-speaking child in Germany whose Telegram is set to German.
    replies = await runtime.service.handle(
        "t",
        6004,
        Incoming.message("biri instagramda benimle sürekli dalga geçiyor ve herkese atıyor", "de"),
    )
    assert not leaks("tr", replies[0].text)
    assert re.search(r"[çğıöşü]", replies[0].text)
