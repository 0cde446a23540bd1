"""Button payloads: short strings that fit Telegram's 64-byte callback data.

Every payload the engine makes, and every button id it logs, is built from the names here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VALUE = re.compile(r"[A-Za-z0-9_:]{1,60}")

ANSWER = "a"  # a:<answer id>      show a curated answer
TOPIC = "t"  # t:<intent>          the child picked a topic after a clarifying question
COUNTRY = "c"  # c:<CC>|c:more|c:skip
LANGUAGE = "l"  # l:<locale>
CHECKIN = "ci"  # ci:ok|ci:no
FEEDBACK = "h"  # h:y:<intent>|h:n:<intent>   "did this help?"
ASK = "ad"  # ad:y:<intent>|ad:n:<intent>|ad:u:<intent>   the answer to the direct question
MORE = "more"
SKIP = "skip"
OK = "ok"
NOT_OK = "no"
YES = "y"
NO = "n"
UNSURE = "u"
GET_HELP = "get_help"

#: The one-tap route to a real person.
TALK = f"{ANSWER}:{GET_HELP}"
COUNTRY_MORE = f"{COUNTRY}:{MORE}"
COUNTRY_SKIP = f"{COUNTRY}:{SKIP}"
CHECKIN_OK = f"{CHECKIN}:{OK}"
CHECKIN_NOT_OK = f"{CHECKIN}:{NOT_OK}"
#: What the event log keeps of a press on a button we did not make.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Action:
    """A parsed button action."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def make(kind: str, value: str) -> str:
    """Build the payload of a button."""
    return f"{kind}:{value}"


def parse(payload: str) -> Action | None:
    """Parse a payload; None for anything we did not make."""
    kind, sep, value = payload.partition(":")
    if (
        not sep
        or kind not in {ANSWER, TOPIC, COUNTRY, LANGUAGE, CHECKIN, FEEDBACK, ASK}
        or not value
    ):
        return None
    if not _VALUE.fullmatch(value):
        return None
    return Action(kind, value)
