"""Hypothesis strategies for Telegram updates: well-formed, odd, hostile and broken.

Every update carries planted data that must never be stored or logged: the marker text
(:data:`MARKER`) in every text, caption, title and button, first and last names and usernames
that contain :data:`STEM`, and a fresh user or chat id from :data:`PLANTED_IDS` (distinctive
10-digit numbers). A :class:`Fuzzed` says whether the bot owes the update an answer: only a
well-formed text message in a private chat does.
"""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.support.botapi import BOT_USER

#: In every planted string: a leak check searches for this stem, case-insensitively.
STEM = "zqx"
MARKER = f"{STEM}marker"
#: Planted ids count up from here: 10 digits, so they stand out in a log.
ID_BASE = 7_313_000_000
_next_id = itertools.count(ID_BASE)
_message_ids = itertools.count(1)
#: Telegram's longest text message.
MAX_TEXT = 4096


def planted_id() -> int:
    """A fresh id no other update uses."""
    return next(_next_id)


@dataclass(frozen=True)
class Fuzzed:
    """One generated update and what the bot owes it."""

    update: dict[str, Any]
    kind: str
    #: The chat that must get at least one message back, or None when no answer is owed.
    answer_to: int | None = None


_HOSTILE = [
    "<b>",
    "</a>",
    "<script>alert(1)</script>",
    '<a href="tg://user?id=1">x</a>',
    "&amp;",
    "&#0;",
    "%s%s%n",
    "{0}{text}",
    "${jndi:ldap://127.0.0.1/a}",
    "'; DROP TABLE events;--",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\u202e",
    "\u2066",
    "\u00ad",
    "\ufeff",
    "\u200b",
    "\u034f",
    "🏳️‍🌈",
    "Z̷̢a̴l̸g̵o̶",
    "𝕳𝖊𝖑𝖑𝖔",
    "ﷺ",
    "і wаnt tо dіе",  # Cyrillic look-alikes
    "i want to die",
    "kill myself tonight",
    "he wants nudes and says its our secret",
    "someone hacked my instagram",
    "я хочу умереть",
    "мене цькують",
    "ölmek istiyorum",
    "@safebot_test_bot",
    "/start",
    "\\u0000",
    "\n" * 30,
]
_piece = st.one_of(
    st.sampled_from(_HOSTILE),
    st.text(max_size=30),
    # Long text from a few drawn characters: a huge message costs Hypothesis almost nothing.
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(100, 2000)),
)
_filler = st.lists(_piece, max_size=6).map("".join)
_COMMANDS = [
    "start",
    "help",
    "privacy",
    "language",
    "country",
    "forget",
    "stop",
    "START",
    f"{STEM}cmd",
    f"start@{BOT_USER['username']}",
    "start@other_bot",
]
_languages = st.one_of(
    st.sampled_from(["en", "ru", "uk", "tr", "de", "pt-br", "", "EN", "x" * 40]), st.none()
)


@st.composite
def _text(draw: st.DrawFn, *, command: bool = False) -> str:
    """A text of at most 4096 characters with the marker in it, whole."""
    before, after = draw(_filler), draw(_filler)
    head = f"/{draw(st.sampled_from(_COMMANDS))} " if command else ""
    room = MAX_TEXT - len(head) - len(MARKER) - 2
    before = before[: room // 2]
    after = after[: room - len(before)]
    return f"{head}{before} {MARKER} {after}" if not command else f"{head}{MARKER} {before}"


@st.composite
def _user(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": f"Zqxfirst{user_id}",
    }
    if draw(st.booleans()):
        user["username"] = f"zqxuser{user_id}"
    if draw(st.booleans()):
        user["last_name"] = f"Zqxlast {draw(st.sampled_from(_HOSTILE))}"
    language = draw(_languages)
    if language is not None:
        user["language_code"] = language
    return user


def _chat(chat_id: int, kind: str, user: dict[str, Any]) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": kind}
    if kind == "private":
        chat.update(first_name=user["first_name"])
        if "username" in user:
            chat["username"] = user["username"]
    else:
        chat["title"] = f"{MARKER} class 8b"
    return chat


def _message(user: dict[str, Any], chat: dict[str, Any], **content: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        **content,
    }
    text = content.get("text")
    if isinstance(text, str) and text.startswith("/"):
        length = len(text.split()[0].encode("utf-16-le")) // 2
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return message


@st.composite
def private_text(draw: st.DrawFn) -> Fuzzed:
    """A well-formed private text message or command: the bot owes it an answer."""
    user_id = planted_id()
    user = draw(_user(user_id))
    text = draw(_text(command=draw(st.integers(0, 4)) == 0))
    update = {"message": _message(user, _chat(user_id, "private", user), text=text)}
    return Fuzzed(update, "private text", answer_to=user_id)


@st.composite
def edited_text(draw: st.DrawFn) -> Fuzzed:
    """An edit of a message the bot may never have seen."""
    fuzzed = draw(private_text())
    message = {**fuzzed.update["message"], "edit_date": int(time.time())}
    return Fuzzed({"edited_message": message}, "edited message")


_MEDIA: dict[str, Any] = {
    "sticker": {
        "file_id": "CAAD",
        "file_unique_id": "s1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    },
    "photo": [{"file_id": "AgAD", "file_unique_id": "p1", "width": 90, "height": 90}],
    "voice": {"file_id": "AwAD", "file_unique_id": "v1", "duration": 3},
    "document": {"file_id": "BQAD", "file_unique_id": "d1", "file_name": f"{MARKER}.pdf"},
    "location": {"latitude": 51.5, "longitude": -0.12},
    "contact": {"phone_number": "+447700900123", "first_name": "Zqxcontact"},
}


@st.composite
def media(draw: st.DrawFn) -> Fuzzed:
    """A sticker, photo, voice note, file, location or contact, perhaps with a caption."""
    user_id = planted_id()
    user = draw(_user(user_id))
    kind = draw(st.sampled_from(sorted(_MEDIA)))
    content: dict[str, Any] = {kind: copy.deepcopy(_MEDIA[kind])}
    if draw(st.booleans()):
        content["caption"] = draw(_text())[:1024]
    update = {"message": _message(user, _chat(user_id, "private", user), **content)}
    return Fuzzed(update, kind)


@st.composite
def group_message(draw: st.DrawFn) -> Fuzzed:
    """A text or command in a group or supergroup."""
    user_id = planted_id()
    user = draw(_user(user_id))
    chat = _chat(-planted_id(), draw(st.sampled_from(["group", "supergroup"])), user)
    text = draw(_text(command=draw(st.booleans())))
    return Fuzzed({"message": _message(user, chat, text=text)}, "group message")


@st.composite
def channel_post(draw: st.DrawFn) -> Fuzzed:
    """A post in a channel the bot was added to."""
    chat = {"id": -planted_id(), "type": "channel", "title": f"{MARKER} news"}
    post = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "sender_chat": chat,
        "text": draw(_text()),
    }
    return Fuzzed({"channel_post": post}, "channel post")


_BUTTON_DATA = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["c:GB", "c:RU", "c:ZZ", "l:en", "l:xx", "h:y:self_harm", "h:n:zqx", "a:"]),
    st.builds(
        lambda p, s: p + s, st.sampled_from(["c:", "l:", "h:y:", "h:n:", "a:", "x:"]), _filler
    ),
    st.just(f"{MARKER}:{ID_BASE}"),
)


@st.composite
def button_press(draw: st.DrawFn) -> Fuzzed:
    """A press on an inline button with random data, under a message or not."""
    user_id = planted_id()
    user = draw(_user(user_id))
    query: dict[str, Any] = {
        "id": f"cb{user_id}",
        "from": user,
        "chat_instance": "ci-1",
        "data": draw(_BUTTON_DATA),
    }
    where = draw(st.sampled_from(["message", "inline", "nothing"]))
    if where == "message":
        sender = draw(st.sampled_from([BOT_USER, user]))
        query["message"] = {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": _chat(user_id, "private", user),
            "from": sender,
            "text": "(an earlier reply)",
        }
        if draw(st.booleans()):
            keyboard = [[{"text": "👍", "callback_data": query["data"]}]]
            query["message"]["reply_markup"] = {"inline_keyboard": keyboard}
    elif where == "inline":
        query["inline_message_id"] = f"im{user_id}"
    return Fuzzed({"callback_query": query}, "button press")


@st.composite
def unknown_kind(draw: st.DrawFn) -> Fuzzed:
    """An update of a kind this bot never asked for (or that does not exist yet)."""
    user_id = planted_id()
    user = draw(_user(user_id))
    name = draw(st.sampled_from(["my_chat_member", "message_reaction", f"{STEM}_new_kind"]))
    return Fuzzed({name: {"from": user, "chat": _chat(user_id, "private", user)}}, name)


_wrong_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.just(f"{MARKER} Zqxfirst {ID_BASE}"),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, depth first."""
    found: list[tuple[Any, Any]] = []
    keys = (
        range(len(value)) if isinstance(value, list) else value if isinstance(value, dict) else ()
    )
    for key in list(keys):
        found.append((value, key))
        found.extend(_places(value[key]))
    return found


@st.composite
def broken(draw: st.DrawFn) -> Fuzzed:
    """Any update with some fields missing or of the wrong type."""
    fuzzed = draw(_well_formed)
    update = copy.deepcopy(fuzzed.update)
    for _ in range(draw(st.integers(1, 3))):
        places = _places(update)
        if not places:
            break
        container, key = places[draw(st.integers(0, len(places) - 1))]
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(_wrong_value)
    return Fuzzed(update, f"broken {fuzzed.kind}")


_well_formed = st.one_of(
    private_text(),
    edited_text(),
    media(),
    group_message(),
    channel_post(),
    button_press(),
    unknown_kind(),
)
#: Any update: many broken, many well-formed private texts, every other kind.
updates = st.one_of(private_text(), broken(), _well_formed, broken())
