"""Classify through a Rasa server's HTTP API, with the embedded model as a silent fallback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from nlu.classifier import Classifier, IntentResult
from nlu.intents import FALLBACK_INTENT, INTENTS

logger = logging.getLogger(__name__)

ENGINE = "rasa"
FALLBACK_ENGINE = "spacy-fallback"
COMBINED_ENGINE = "combined"
_RASA_FALLBACK_INTENT = "nlu_fallback"


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer usefully; the message never contains the text."""


def parse_urls(value: str) -> dict[str, str]:
    """``http://h:5005`` (English) or ``en=http://h:5005;ru=http://h:5006`` -> per-locale URLs."""
    urls: dict[str, str] = {}
    for part in (p.strip() for p in value.replace(",", ";").split(";")):
        if not part:
            continue
        locale, sep, url = part.partition("=")
        if sep and not locale.startswith("http"):
            urls[locale.strip()] = url.strip().rstrip("/")
        else:
            urls["en"] = part.rstrip("/")
    return urls


_Confidence = Annotated[float, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)]


class _RankedIntent(BaseModel):
    """One intent with its confidence, as Rasa's ``/model/parse`` reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(strict=True, max_length=100)]
    confidence: _Confidence


class ParseAnswer(BaseModel):
    """The part of Rasa's ``/model/parse`` answer we use; anything else is refused."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    intent: _RankedIntent
    intent_ranking: Annotated[list[_RankedIntent], Field(max_length=1000)] = []


def parse_answer(body: bytes) -> ParseAnswer:
    """Check a ``/model/parse`` body against the schema; raises :class:`RasaUnavailable`."""
    try:
        return ParseAnswer.model_validate_json(body)
    except ValidationError as error:
        # The field paths only: a value could echo the child's text.
        where = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in error.errors()})
        raise RasaUnavailable(f"the Rasa answer is not as expected ({', '.join(where)})") from None


def result_from_parse(answer: ParseAnswer) -> IntentResult:
    """Turn Rasa's checked ``/model/parse`` answer into an :class:`IntentResult`.

    Rasa's FallbackClassifier puts ``nlu_fallback`` on top when unsure; we keep the best real
    intent and its own (low) confidence, so the bot's clarifying question takes over.
    """
    ranking = [
        (item.name, item.confidence) for item in answer.intent_ranking if item.name in INTENTS
    ]
    if not ranking:
        name = answer.intent.name if answer.intent.name in INTENTS else FALLBACK_INTENT
        ranking = [(name, answer.intent.confidence)]
    ranking.sort(key=lambda item: item[1], reverse=True)
    intent, confidence = ranking[0]
    return IntentResult(intent, confidence, tuple(ranking), ENGINE)


class RasaClassifier:
    """Calls ``POST /model/parse`` of one Rasa server per locale.

    With a ``token`` (the servers' ``--auth-token``), every request carries it as Rasa's
    ``token`` query parameter. It stays inside the HTTP client: no message of ours names the
    URL, and the HTTP libraries' own records are cut to their wording (bot/logging_setup.py).
    """

    name = ENGINE

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout_seconds: float = 0.5,
        token: SecretStr | None = None,
    ) -> None:
        self.urls = dict(urls)
        #: One deadline for the whole request: connecting, sending and reading every byte.
        self.deadline = timeout_seconds
        secret = token.get_secret_value() if token is not None else ""
        self._client = httpx.AsyncClient(
            timeout=timeout_seconds, params={"token": secret} if secret else None
        )

    def serves(self, locale: str) -> bool:
        """Whether a server is configured for this locale."""
        return locale in self.urls

    async def classify(self, text: str, locale: str) -> IntentResult:
        """Classify with the locale's server; raises :class:`RasaUnavailable` on any failure."""
        url = self.urls.get(locale)
        if url is None:
            raise RasaUnavailable(f"no Rasa server configured for locale {locale}")
        try:
            # httpx's timeout is per read: a server that drips its answer never trips it.
            async with asyncio.timeout(self.deadline):
                response = await self._client.post(f"{url}/model/parse", json={"text": text})
                response.raise_for_status()
        except (TimeoutError, httpx.TimeoutException):
            raise RasaUnavailable("the Rasa server timed out") from None
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"the Rasa server failed ({type(error).__name__})") from None
        return result_from_parse(parse_answer(response.content))

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()


def combine(rasa: IntentResult, embedded: IntentResult, *, rasa_weight: float) -> IntentResult:
    """Both engines' rankings averaged, intent by intent (an intent one leaves out scores 0)."""
    names = {name for name, _ in rasa.ranking} | {name for name, _ in embedded.ranking}
    if not names:
        return embedded
    scores = {
        name: rasa_weight * rasa.score(name) + (1.0 - rasa_weight) * embedded.score(name)
        for name in names
    }
    ranking = tuple(sorted(scores.items(), key=lambda item: (-item[1], item[0])))
    intent, confidence = ranking[0]
    return IntentResult(intent, confidence, ranking, COMBINED_ENGINE)


class WithFallback:
    """Rasa first; the embedded classifier when Rasa is slow, down or has no model for a locale.

    With ``rasa_weight`` below 1 both engines classify every message and their rankings are
    averaged (``combine``): Rasa's share is ``rasa_weight``. Rasa failing still falls back.
    """

    def __init__(
        self, primary: RasaClassifier, fallback: Classifier, *, rasa_weight: float = 1.0
    ) -> None:
        if not 0.0 <= rasa_weight <= 1.0:
            raise ValueError("rasa_weight must be between 0 and 1")
        self.primary = primary
        self.fallback = fallback
        self.rasa_weight = rasa_weight
        self.name = primary.name if rasa_weight == 1.0 else COMBINED_ENGINE
        self.fallbacks = 0

    async def classify(self, text: str, locale: str) -> IntentResult:
        """Classify; the child never notices which engine answered."""
        if not self.primary.serves(locale):
            return await self.fallback.classify(text, locale)
        try:
            rasa = await self.primary.classify(text, locale)
        except RasaUnavailable as error:
            self.fallbacks += 1
            logger.warning("rasa fallback: %s; the embedded model answered", error)
            result = await self.fallback.classify(text, locale)
            return IntentResult(result.intent, result.confidence, result.ranking, FALLBACK_ENGINE)
        if self.rasa_weight == 1.0:
            return rasa
        embedded = await self.fallback.classify(text, locale)
        return combine(rasa, embedded, rasa_weight=self.rasa_weight)
