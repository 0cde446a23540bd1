"""A Rasa server that misbehaves: odd JSON, missing fields, a reply dripped byte by byte.

The server is a real HTTP server on 127.0.0.1 (no mock of our code); the bot must treat each of
these as "Rasa unavailable" and let the embedded model answer, within one total deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.messages import Incoming
from bot.service.runtime import build_runtime
from nlu.rasa_classifier import FALLBACK_ENGINE, RasaClassifier, RasaUnavailable
from tests.conftest import TEST_KEY, make_settings
from tests.support.http_server import QuietHandler, serve_in_background, stop, url_of

_GOOD = {"intent": {"name": "greet", "confidence": 0.9}, "intent_ranking": []}
BODIES: dict[str, object] = {
    "a JSON list": [_GOOD],
    "rankings as strings": {
        "intent": {"name": "greet", "confidence": 0.9},
        "intent_ranking": ["greet", "goodbye"],
    },
    "confidence as a string": {
        "intent": {"name": "greet", "confidence": "0.9"},
        "intent_ranking": [{"name": "greet", "confidence": "0.9"}],
    },
    "no intent at all": {"text": "hello", "entities": []},
    "an intent without a confidence": {"intent": {"name": "greet"}},
    "a confidence above one": {"intent": {"name": "greet", "confidence": 7.0}},
    "not JSON": "<html>502 Bad Gateway</html>",
}


class Misbehaving:
    """A tiny HTTP server whose ``/model/parse`` answer the test chooses."""

    def __init__(self) -> None:
        self.body: bytes = b""
        self.drip_seconds = 0.0
        self.finished = threading.Event()
        owner = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_body()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                try:
                    if owner.drip_seconds:
                        for byte in owner.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(owner.drip_seconds)  # the server's misbehaviour
                    else:
                        self.wfile.write(owner.body)
                    owner.finished.set()
                except OSError:  # the client gave up: that is the point
                    return

        self.server = serve_in_background(Handler)

    @property
    def url(self) -> str:
        return url_of(self.server)

    def answer(self, body: object) -> None:
        self.body = (body if isinstance(body, str) else json.dumps(body)).encode()

    def close(self) -> None:
        stop(self.server)


@pytest.fixture
def rasa() -> Iterator[Misbehaving]:
    server = Misbehaving()
    yield server
    server.close()


@pytest.mark.parametrize("kind", sorted(BODIES))
async def test_an_answer_outside_the_schema_is_rasa_unavailable(
    kind: str, rasa: Misbehaving
) -> None:
    rasa.answer(BODIES[kind])
    classifier = RasaClassifier({"en": rasa.url}, timeout_seconds=2.0)
    try:
        with pytest.raises(RasaUnavailable):
            await classifier.classify("hello", "en")
    finally:
        await classifier.aclose()


async def test_a_well_formed_answer_is_used(rasa: Misbehaving) -> None:
    rasa.answer(
        {
            "intent": {"name": "greet", "confidence": 0.9},
            "intent_ranking": [
                {"name": "greet", "confidence": 0.9},
                {"name": "nlu_fallback", "confidence": 0.5},
                {"name": "goodbye", "confidence": 0.1},
            ],
        }
    )
    classifier = RasaClassifier({"en": rasa.url}, timeout_seconds=2.0)
    try:
        result = await classifier.classify("hello", "en")
    finally:
        await classifier.aclose()
    assert (result.intent, result.engine) == ("greet", "rasa")
    assert result.ranking == (("greet", 0.9), ("goodbye", 0.1))


@pytest.mark.parametrize("kind", ["a JSON list", "rankings as strings", "no intent at all"])
async def test_the_crisis_message_gets_the_crisis_answer_from_the_embedded_model(
    kind: str, rasa: Misbehaving, tmp_path: Path, models_dir: Path
) -> None:
    rasa.answer(BODIES[kind])
    settings = make_settings(tmp_path, models_dir, rasa_url=rasa.url)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    try:
        replies = await runtime.service.handle(
            "test", 5, Incoming.message("i dont want to be alive anymore", "en")
        )
        assert "🚨" in replies[0].text
        await runtime.service.events.flush()
        with runtime.database.connect() as connection:
            engines = [row[0] for row in connection.exec_driver_sql("select engine from events")]
        assert engines == [FALLBACK_ENGINE]
    finally:
        await runtime.aclose()


async def test_a_reply_dripped_byte_by_byte_is_cut_at_one_total_deadline(
    rasa: Misbehaving,
) -> None:
    # Every byte comes well within the timeout, so a per-read timeout never fires; the whole
    # answer would take seconds. The deadline is for the whole request.
    rasa.answer({**_GOOD, "padding": " " * 300})
    rasa.drip_seconds = 0.02
    classifier = RasaClassifier({"en": rasa.url}, timeout_seconds=0.3)
    try:
        with pytest.raises(RasaUnavailable):
            await classifier.classify("hello", "en")
        assert not rasa.finished.is_set()  # we gave up while the server was still dripping
    finally:
        await classifier.aclose()
