"""The console chat: the same engine as Telegram, in a terminal. Buttons become numbers."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.engine import Button, Incoming, Reply
from bot.service.chat import ChatService
from bot.transports.html_text import to_plain

CONSOLE_PLATFORM = "console"
CONSOLE_USER = "local"
_QUIT = {"/quit", "/exit", "quit", "exit"}


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """The replies as terminal text, and the buttons in the numbered order shown."""
    lines: list[str] = []
    numbered: list[Button] = []
    for reply in replies:
        lines.append(to_plain(reply.text))
        for button in reply.all_buttons():
            numbered.append(button)
            if button.url:
                lines.append(f"  [{len(numbered)}] {button.label} -> {button.url}")
            else:
                lines.append(f"  [{len(numbered)}] {button.label}")
        lines.append("")
    return "\n".join(lines), numbered


def to_incoming(line: str, buttons: list[Button], language_code: str | None) -> Incoming | None:
    """Turn what the person typed into an Incoming; numbers pick buttons."""
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        button = buttons[int(stripped) - 1]
        if button.action is None:
            return None  # a link: shown, nothing to send
        return Incoming.button(button.action, language_code)
    if stripped.startswith("/") and len(stripped) > 1 and " " not in stripped:
        return Incoming.command(stripped[1:].split("@")[0].lower(), language_code)
    return Incoming.message(line, language_code)


async def run_console(
    service: ChatService,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    language_code: str | None = None,
) -> None:
    """Chat in the terminal until end of input or /quit."""
    write = stdout.write
    write("SafeBot console chat. Type a message; pick a button by its number; /quit to leave.\n\n")
    text, buttons = render(
        await service.handle(
            CONSOLE_PLATFORM, CONSOLE_USER, Incoming.command("start", language_code)
        )
    )
    write(text + "\n")
    loop = asyncio.get_running_loop()
    while True:
        write("you> ")
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line or line.strip().lower() in _QUIT:
            write("\nBye! Take care.\n")
            return
        incoming = to_incoming(line.rstrip("\n"), buttons, language_code)
        if incoming is None:
            write("(That's a link: open it in your browser.)\n\n")
            continue
        text, new_buttons = render(await service.handle(CONSOLE_PLATFORM, CONSOLE_USER, incoming))
        buttons = new_buttons or buttons
        write("\n" + text + "\n")
