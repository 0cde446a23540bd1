"""The process log: library records keep their wording only; secrets never pass."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.logging_setup import configure_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-secret"
MARKER = "okapi-marker-3c81"
CHILD_ID = 818181818
BATCH = [
    {
        "update_id": 7,
        "message": {"chat": {"id": CHILD_ID, "first_name": "Quokka", "username": "quokka_x"}},
        "text": MARKER,
    }
]


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    hook = sys.excepthook
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    sys.excepthook = hook


def _parse_failure() -> ValueError:
    try:
        raise KeyError(f"date {MARKER}")
    except KeyError as cause:
        try:
            raise ValueError(f"could not read {BATCH!r}") from cause
        except ValueError as error:
            return error


@pytest.mark.parametrize(
    "name", ["telegram.Bot", "telegram.ext.Updater", "httpx", "httpcore.http11", "telegram"]
)
def test_library_records_keep_no_update_content_at_any_level(log: io.StringIO, name: str) -> None:
    library = logging.getLogger(name)
    library.critical(
        "Error while parsing updates! Received data was %r", BATCH, exc_info=_parse_failure()
    )
    library.error("100%% of %(what)s", {"what": MARKER})
    library.warning(f"an f-string with no arguments {len(MARKER)}")
    library.exception("HTTP Request: %s %s", "POST", f"https://x/bot{TOKEN}/getMe")
    text = log.getvalue()
    for secret in (MARKER, str(CHILD_ID), "Quokka", "quokka_x", TOKEN, TOKEN.split(":")[1]):
        assert secret not in text, secret
    assert "Error while parsing updates! Received data was …" in text
    assert "100% of …" in text
    assert "builtins.ValueError (message withheld)" in text
    assert "builtins.KeyError (message withheld)" in text
    assert "_parse_failure" in text  # where it happened is kept


def test_our_own_records_are_kept_but_the_token_is_masked(log: io.StringIO) -> None:
    logging.getLogger("bot.transports.telegram_updates").warning(
        "skipped update %d that could not be read (%s)", 41, "KeyError"
    )
    logging.getLogger("bot.cli").error("token %s", TOKEN)
    text = log.getvalue()
    assert "skipped update 41 that could not be read (KeyError)" in text
    assert TOKEN not in text and "[REDACTED]" in text


def test_an_uncaught_exception_has_the_token_masked(log: io.StringIO) -> None:
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError as error:
        sys.excepthook(RuntimeError, error, error.__traceback__)
    text = log.getvalue()
    assert "RuntimeError: The token `[REDACTED]` was rejected" in text
    assert TOKEN.split(":")[1] not in text


def test_json_lines_keep_the_same_redaction() -> None:
    stream = io.StringIO()
    hook = sys.excepthook
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=stream, json_lines=True)
    try:
        logging.getLogger("bot.example").info("sent with %s", TOKEN)
        logging.getLogger("telegram.ext.Application").warning("update %s", BATCH)
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("bot.example").exception("send failed")
    finally:
        logging.getLogger().removeHandler(handler)
        sys.excepthook = hook
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [
        "bot.example",
        "telegram.ext.Application",
        "bot.example",
    ]
    assert lines[0]["message"] == "sent with [REDACTED]" and lines[0]["level"] == "INFO"
    assert "exc_info" in lines[2]
    text = stream.getvalue()
    assert TOKEN not in text and MARKER not in text and str(CHILD_ID) not in text
