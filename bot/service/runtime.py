"""Assemble the product from settings: content, safety net, classifier, storage, service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import Engine as DbEngine

from bot.background import BackgroundService
from bot.clock import Clock, system_clock
from bot.content import Content, load_content
from bot.engine import ConversationEngine
from bot.pseudonym import Pseudonymizer
from bot.service.chat import ChatService
from bot.service.purge import DailyPurge
from bot.service.reloader import Reloader
from bot.settings import Settings
from bot.storage.breaker import CircuitBreaker
from bot.storage.database import make_engine, session_factory, upgrade
from bot.storage.events import EventLog
from bot.storage.migrator import Migrator
from bot.storage.profiles import ProfileStore
from bot.storage.spool import EventSpool
from nlu import language_id
from nlu.classifier import Classifier
from nlu.crisis import CrisisNet
from nlu.loading import load_understanding
from nlu.rasa_classifier import RasaClassifier, WithFallback, parse_urls
from nlu.spacy_classifier import (
    DEFAULT_EPOCHS,
    SpacyClassifier,
    is_current,
    model_path,
    read_meta,
    train_locale,
)
from nlu.training_data import available_locales

logger = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """Something a person must fix before the bot can start; the message says what."""


class ModelsMissing(StartupError):
    """A trained model the bot needs is not there (``safebot serve`` never trains)."""


def load_checked_content(settings: Settings) -> Content:
    """Load content, refusing to start on errors (listing each with file and line)."""
    content, problems = load_content(settings.content_dir)
    if content is None:
        errors = "\n".join(f"  {p}" for p in problems if p.severity == "error")
        raise StartupError(
            f"The content in {settings.content_dir} has errors; fix them "
            f"(or run `safebot content check`):\n{errors}"
        )
    return content


def ensure_models(
    settings: Settings,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[str]:
    """Train any locale whose model is missing or older than its training data."""
    locales = available_locales(settings.nlu_data_dir)
    if not locales:
        raise StartupError(f"No training data found in {settings.nlu_data_dir}")
    for locale in locales:
        if is_current(settings.models_dir, settings.nlu_data_dir, locale):
            continue
        logger.info("training the %s classifier (first start or changed data)", locale)
        epochs = DEFAULT_EPOCHS

        def on_epoch(epoch: int, _loss: float, locale: str = locale, epochs: int = epochs) -> None:
            if progress is not None:
                progress(locale, epoch + 1, epochs)

        train_locale(
            settings.nlu_data_dir, settings.models_dir, locale, epochs=epochs, on_epoch=on_epoch
        )
    if len(locales) > 1 and not language_id.is_current(settings.models_dir, settings.nlu_data_dir):
        logger.info("training the language identifier")
        language_id.train(settings.nlu_data_dir, settings.models_dir)
    return locales


def require_models(settings: Settings) -> list[str]:
    """The locales, once every model they need is there; never trains.

    Raises :class:`ModelsMissing` naming what is missing and ``safebot train``. A model trained
    on older data still serves (a warning says so): it is what the image was built with.
    """
    locales = available_locales(settings.nlu_data_dir)
    if not locales:
        raise StartupError(f"No training data found in {settings.nlu_data_dir}")
    missing = [
        locale for locale in locales if read_meta(model_path(settings.models_dir, locale)) is None
    ]
    if len(locales) > 1 and not (settings.models_dir / language_id.MODEL_DIR).is_dir():
        missing.append("language identifier")
    if missing:
        raise ModelsMissing(
            f"no trained model for {', '.join(missing)} in {settings.models_dir}: run "
            "`safebot train` (the image does it when it is built), then start again"
        )
    stale = [
        locale
        for locale in locales
        if not is_current(settings.models_dir, settings.nlu_data_dir, locale)
    ]
    if stale:
        logger.warning(
            "the %s model was trained on other data than nlu/training; `safebot train` "
            "brings it up to date",
            ", ".join(stale),
        )
    return locales


def build_classifier(
    settings: Settings, locales: list[str]
) -> tuple[Classifier, RasaClassifier | None]:
    """The embedded classifier, or Rasa with the embedded one as fallback when configured."""
    embedded = SpacyClassifier.load(
        settings.models_dir, locales, default_locale=settings.default_locale
    )
    if not settings.rasa_url:
        return embedded, None
    rasa = RasaClassifier(
        parse_urls(settings.rasa_url),
        timeout_seconds=settings.rasa_timeout_seconds,
        token=settings.rasa_token,
    )
    return WithFallback(rasa, embedded, rasa_weight=settings.rasa_weight), rasa


@dataclass
class Runtime:
    """Everything a transport needs, built once at start-up."""

    settings: Settings
    service: ChatService
    events: EventLog
    database: DbEngine
    rasa: RasaClassifier | None = None
    reloader: Reloader | None = None
    purge: DailyPurge | None = None
    #: Set when the database could not be migrated at start-up: it keeps trying.
    migrator: Migrator | None = None
    #: Whether this process purges once a day (single-process modes; replicas leave it to a
    #: scheduled ``safebot purge``).
    daily_purge: bool = True

    def background(self) -> list[BackgroundService]:
        """The background services, in the order they start (and the reverse they stop in)."""
        services: list[BackgroundService] = [self.events]
        if self.migrator is not None:
            services.insert(0, self.migrator)
        if self.reloader is not None:
            services.append(self.reloader)
        if self.purge is not None:
            services.append(self.purge)
        return services

    async def start(self) -> None:
        """Start background work: the event log writer, the content/model watcher, the purge."""
        self.reloader = Reloader(
            self.service.engine, self.settings, interval=self.settings.reload_seconds
        )
        if self.daily_purge:
            self.purge = DailyPurge.from_settings(self.database, self.settings)
        for service in self.background():
            if service is not self.reloader or self.settings.reload_seconds > 0:
                await service.start()

    async def aclose(self) -> None:
        """Stop watching and purging, flush the event log and release the database."""
        for service in reversed(self.background()):
            await service.stop()
        if self.rasa is not None:
            await self.rasa.aclose()
        self.database.dispose()


def build_runtime(
    settings: Settings,
    *,
    pseudonym_key: SecretStr,
    progress: Callable[[str, int, int], None] | None = None,
    migrate: bool = True,
    train: bool = True,
    daily_purge: bool = True,
    clock: Clock = system_clock,
) -> Runtime:
    """Build the runtime; raises :class:`StartupError` with a plain message on problems.

    ``train=False`` (webhook replicas) refuses to start on a missing model instead of
    training it; ``daily_purge=False`` leaves the purge to ``safebot purge``.
    """
    content = load_checked_content(settings)
    net = CrisisNet.from_dir(settings.crisis_rules_dir)
    locales = ensure_models(settings, progress=progress) if train else require_models(settings)
    classifier, rasa = build_classifier(settings, locales)
    database = make_engine(
        settings.resolved_database_url, timeout_seconds=settings.db_timeout_seconds
    )
    migrator = None
    if migrate:
        try:
            upgrade(database)
        except Exception as error:
            # Children are answered without the database; events wait on disk meanwhile.
            logger.warning(
                "could not prepare the database (%s); starting anyway and trying again in "
                "the background. Check SAFEBOT_DATABASE_URL and that the server is running.",
                type(error).__name__,
            )
            migrator = Migrator(database)
    sessions = session_factory(database)
    identifier = (
        language_id.LanguageIdentifier.load(settings.models_dir) if len(locales) > 1 else None
    )
    engine = ConversationEngine(
        content=content,
        understanding=load_understanding(settings, classifier, locales, net=net),
        settings=settings,
        language_id=identifier,
        clock=clock,
    )
    events = EventLog(
        sessions,
        max_queue=settings.event_queue_size,
        spool=EventSpool(settings.event_spool_path),
    )
    service = ChatService(
        engine=engine,
        profiles=ProfileStore(
            sessions,
            timeout_seconds=settings.db_timeout_seconds,
            breaker=CircuitBreaker(
                failures=settings.db_breaker_failures, pause_seconds=settings.db_breaker_seconds
            ),
        ),
        events=events,
        pseudonymize=Pseudonymizer(pseudonym_key),
    )
    return Runtime(
        settings=settings,
        service=service,
        events=events,
        database=database,
        rasa=rasa,
        migrator=migrator,
        daily_purge=daily_purge,
    )
