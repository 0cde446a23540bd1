"""Text typed with the wrong keyboard layout: Russian or Ukrainian words on a Latin layout.

A child who forgets to switch the layout writes "z [jxe evthtnm" for «я хочу умереть». The keys
are the same, so the Cyrillic text can be read back exactly; the crisis net reads it too.
"""

from __future__ import annotations

import re

_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_UK_KEYS = "йцукенгшщзхїфівапролджєячсмитьбю'"
_LAYOUTS: dict[str, dict[int, int]] = {
    "ru": str.maketrans(_LATIN_KEYS, _RU_KEYS),
    "uk": str.maketrans(_LATIN_KEYS, _UK_KEYS),
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
#: Shorter texts carry too few keys to be worth a second reading.
_MIN_LATIN_LETTERS = 6


def cyrillic_reading(text: str, locale: str) -> str | None:
    """The text as the Cyrillic keys it was typed on, or None.

    Only for a locale with a Cyrillic layout, and only for a text of Latin letters with no
    Cyrillic in it (a transliterated message reads as nonsense this way, which no rule matches).
    """
    table = _LAYOUTS.get(locale)
    if table is None or _CYRILLIC.search(text):
        return None
    if len(_LATIN.findall(text)) < _MIN_LATIN_LETTERS:
        return None
    return text.lower().translate(table)
