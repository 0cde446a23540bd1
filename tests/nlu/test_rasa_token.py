"""Rasa's ``--auth-token``: the bot sends SAFEBOT_RASA_TOKEN as the ``token`` query parameter.

The server is a real HTTP server on 127.0.0.1 that answers as ``rasa run --enable-api
--auth-token`` does: 401 without the right ``token`` parameter, the parse result with it. The
token must reach the server and nothing else: not a log line at any level, not an exception.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from bot.engine.messages import Incoming
from bot.logging_setup import configure_logging
from bot.service.runtime import build_runtime
from nlu.rasa_classifier import FALLBACK_ENGINE, RasaClassifier, RasaUnavailable
from tests.conftest import TEST_KEY, make_settings
from tests.support.http_server import QuietHandler, serve_in_background, stop, url_of

TOKEN = "rasa-token-5f0c9e1d7a3b"
_PARSED = {
    "text": "hello",
    "intent": {"name": "greet", "confidence": 0.93},
    "intent_ranking": [{"name": "greet", "confidence": 0.93}],
}
_REFUSED = {
    "version": "3.6.21",
    "status": "failure",
    "message": "User is not authenticated.",
    "reason": "NotAuthenticated",
    "code": 401,
}


class TokenRasa:
    """Answers ``/model/parse`` like a Rasa server started with ``--auth-token TOKEN``."""

    def __init__(self) -> None:
        self.tokens_seen: list[list[str]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_body()
                query = parse_qs(urlsplit(self.path).query)
                tokens = query.get("token", [])
                with owner.lock:
                    owner.tokens_seen.append(tokens)
                ok = urlsplit(self.path).path == "/model/parse" and tokens == [TOKEN]
                self.send_json(200 if ok else 401, json.dumps(_PARSED if ok else _REFUSED).encode())

        self.server = serve_in_background(Handler)

    @property
    def url(self) -> str:
        return url_of(self.server)

    def close(self) -> None:
        stop(self.server)


@pytest.fixture
def rasa() -> Iterator[TokenRasa]:
    server = TokenRasa()
    yield server
    server.close()


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """The process log at DEBUG, the HTTP libraries' loggers included, with no secret listed.

    No redaction list: the token must stay out of the log by construction, not by masking.
    """
    stream = io.StringIO()
    hook = sys.excepthook
    handler = configure_logging("DEBUG", secrets=[], stream=stream)
    noisy = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [logger.level for logger in noisy]
    for logger in noisy:
        logger.setLevel(logging.DEBUG)
    yield stream
    for logger, level in zip(noisy, levels, strict=True):
        logger.setLevel(level)
    logging.getLogger().removeHandler(handler)
    sys.excepthook = hook


async def test_the_token_is_sent_as_rasas_token_parameter(rasa: TokenRasa) -> None:
    classifier = RasaClassifier({"en": rasa.url}, timeout_seconds=5.0, token=SecretStr(TOKEN))
    try:
        result = await classifier.classify("hello", "en")
    finally:
        await classifier.aclose()
    assert (result.intent, result.engine) == ("greet", "rasa")
    assert rasa.tokens_seen == [[TOKEN]]


@pytest.mark.parametrize("token", [None, SecretStr(""), SecretStr("not-the-token")])
async def test_without_the_right_token_rasa_is_unavailable_and_the_token_is_not_named(
    rasa: TokenRasa, token: SecretStr | None
) -> None:
    classifier = RasaClassifier({"en": rasa.url}, timeout_seconds=5.0, token=token)
    try:
        with pytest.raises(RasaUnavailable) as raised:
            await classifier.classify("hello", "en")
    finally:
        await classifier.aclose()
    assert "HTTPStatusError" in str(raised.value)  # the 401, by its kind only
    assert "not-the-token" not in str(raised.value)
    expected = [] if token is None or not token.get_secret_value() else ["not-the-token"]
    assert rasa.tokens_seen == [expected]


async def test_the_bot_sends_the_token_from_settings_and_never_logs_it(
    rasa: TokenRasa, tmp_path: Path, models_dir: Path, log: io.StringIO
) -> None:
    good = make_settings(tmp_path / "good", models_dir, rasa_url=rasa.url, rasa_token=TOKEN)
    wrong_token = TOKEN[::-1]
    wrong = make_settings(tmp_path / "wrong", models_dir, rasa_url=rasa.url, rasa_token=wrong_token)
    engines = []
    for settings in (good, wrong):
        assert settings.rasa_token is not None
        assert settings.rasa_token.get_secret_value() not in repr(settings)
        runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
        await runtime.start()
        try:
            await runtime.service.handle("test", 5, Incoming.message("hello there", "en"))
            await runtime.service.events.flush()
            with runtime.database.connect() as connection:
                engines += [
                    row[0] for row in connection.exec_driver_sql("select engine from events")
                ]
        finally:
            await runtime.aclose()
    # With the right token Rasa answered; with a wrong one Rasa refused (401) and the embedded
    # model answered instead.
    assert engines == ["rasa", FALLBACK_ENGINE]
    assert rasa.tokens_seen == [[TOKEN], [wrong_token]]
    text = log.getvalue()
    assert "rasa fallback" in text  # the log was written, at DEBUG, HTTP libraries included
    assert "HTTP Request" in text
    assert TOKEN not in text
    assert wrong_token not in text
