"""Values that cross the border between transports and the conversation engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IncomingKind(StrEnum):
    """What the child sent."""

    TEXT = "text"
    BUTTON = "button"
    COMMAND = "command"
    MEDIA = "media"


@dataclass(frozen=True)
class Incoming:
    """One thing a child sent, independent of the transport.

    ``text`` is the child's own words. It is used for classification and then
    forgotten: it is never stored, logged or put in an exception.
    """

    kind: IncomingKind
    text: str = field(default="", repr=False)
    payload: str = ""
    language_code: str | None = None

    @classmethod
    def message(cls, text: str, language_code: str | None = None) -> Incoming:
        """A text message."""
        return cls(IncomingKind.TEXT, text=text, language_code=language_code)

    @classmethod
    def button(cls, payload: str, language_code: str | None = None) -> Incoming:
        """A press on one of our buttons; ``payload`` is the button's action."""
        return cls(IncomingKind.BUTTON, payload=payload, language_code=language_code)

    @classmethod
    def command(cls, name: str, language_code: str | None = None) -> Incoming:
        """A slash command such as ``start`` (without the slash)."""
        return cls(IncomingKind.COMMAND, payload=name, language_code=language_code)

    @classmethod
    def media(cls, what: str, language_code: str | None = None) -> Incoming:
        """A sticker, photo, voice note, document...; never downloaded."""
        return cls(IncomingKind.MEDIA, payload=what, language_code=language_code)


@dataclass(frozen=True)
class Button:
    """A button under a reply: either an action handled by the engine or a link."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message the bot sends: Telegram-HTML text and rows of buttons.

    ``helpline`` marks a reply that carries helplines or the emergency number: a transport
    that cannot tell whether it arrived sends it again, since a second copy of it harms far
    less than none.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    helpline: bool = False

    def all_buttons(self) -> list[Button]:
        """The buttons in reading order."""
        return [button for row in self.buttons for button in row]
