"""The sentences of a long message, so a danger buried in it is scored on its own.

Children often start with an ordinary question and bury what matters ("how do i hide a channel
from my parents? never mind. tonight when they're asleep i'll take mum's pills"). A model that
reads the whole message averages the danger away in the everyday words around it, so the risk
and urgency models also read each sentence, and the highest score counts. Scores can only go up:
the whole message is always read too.
"""

from __future__ import annotations

import re

#: Where one sentence ends: . ! ? … ; and line breaks (several in a row count once). A point
#: before a digit is a decimal or a time ("pay 1.99", "at 3.30"), not the end of a sentence.
_SENTENCE_END = re.compile(r"(?:(?:[!?…;]|\.(?!\d))+|\n+)\s*")
#: A sentence shorter than this many words is not read on its own ("ok.", "idk!").
MIN_SENTENCE_WORDS = 3
#: At most this many sentences are read on their own (the rest are still in the whole message).
MAX_SENTENCES = 12


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` worth reading on their own; none when it is one sentence."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text)]
    long_enough = [p for p in pieces if len(p.split()) >= MIN_SENTENCE_WORDS]
    if len(long_enough) < 2:
        return []
    return long_enough[:MAX_SENTENCES]
