"""Publishing without a restart: the running bot picks up checked content and retrained models.

A background task watches ``content/``, the crisis rules and the saved models. Changed content
is loaded and checked; only content without errors replaces what children are served. A bad
edit is logged (file, line, problem) and the previous content stays in service.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.background import BackgroundService
from bot.content.checks import check_crisis_rules
from bot.content.loader import load_draft
from bot.content.publishing import publishable
from bot.engine import ConversationEngine
from bot.settings import Settings
from nlu.crisis import CrisisNet
from nlu.loading import settle_heap
from nlu.rasa_classifier import WithFallback
from nlu.spacy_classifier import (
    META_FILE,
    SpacyClassifier,
    load_answer_models,
    load_risk_model,
    model_path,
)

logger = logging.getLogger(__name__)

_MAX_LOGGED_PROBLEMS = 20


def _snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*.yml")):
            stat = path.stat()
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def _model_stamps(settings: Settings, locales: list[str]) -> dict[str, int]:
    stamps = {}
    for locale in locales:
        meta = model_path(settings.models_dir, locale) / META_FILE
        stamps[locale] = meta.stat().st_mtime_ns if meta.exists() else 0
    return stamps


class Reloader(BackgroundService):
    """Watches content, crisis rules and models; swaps them into the engine when valid."""

    task_name = "safebot-reloader"

    def __init__(
        self, engine: ConversationEngine, settings: Settings, *, interval: float = 2.0
    ) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self._content_state = _snapshot(settings.content_dir, settings.crisis_rules_dir)
        self._locales = sorted(engine.locales)
        self._models_state = _model_stamps(settings, self._locales)
        self.reloads = 0
        self.rejected = 0

    def reload_content(self) -> bool:
        """Load and check content and crisis rules; serve them only if they have no errors.

        An answer whose new text is not reviewed yet is never served: see
        ``bot.content.publishing`` for when it keeps its last reviewed text instead.
        """
        draft = load_draft(self.settings.content_dir)
        rule_errors = [
            p for p in check_crisis_rules(self.settings.crisis_rules_dir) if p.severity == "error"
        ]
        publication = publishable(self.engine.content, draft)
        errors = [*publication.refused, *rule_errors]
        if publication.content is None or rule_errors:
            self.rejected += 1
            logger.error(
                "content NOT published: %d error(s); children keep getting the previous content",
                len(errors),
            )
            for problem in errors[:_MAX_LOGGED_PROBLEMS]:
                logger.error("  %s", problem)
            return False
        for locale, answer_id in publication.kept:
            logger.warning(
                "answer '%s' (%s) changed but its new text is not reviewed yet; children keep "
                "getting its last reviewed text until it is (safebot content review)",
                answer_id,
                locale,
            )
        content = publication.content
        self.engine.understanding.net = CrisisNet.from_dir(self.settings.crisis_rules_dir)
        self.engine.replace_content(content)
        settle_heap()
        self.reloads += 1
        answers = sum(len(lc.answers) for lc in content.locales.values())
        logger.info("content published: %d locales, %d answers", len(content.locales), answers)
        return True

    def reload_models(self) -> bool:
        """Load retrained spaCy models into the engine (the embedded or fallback classifier)."""
        try:
            fresh = SpacyClassifier.load(
                self.settings.models_dir, self._locales, default_locale=self.settings.default_locale
            )
            risk = load_risk_model(
                self.settings.models_dir, self._locales, default_locale=self.settings.default_locale
            )
            answer_models = load_answer_models(
                self.settings.models_dir, self._locales, default_locale=self.settings.default_locale
            )
        except OSError as error:
            logger.error(
                "retrained model could not be loaded (%s); keeping the old one",
                type(error).__name__,
            )
            return False
        understanding = self.engine.understanding
        if isinstance(understanding.classifier, WithFallback):
            understanding.classifier.fallback = fresh
        else:
            understanding.classifier = fresh
        understanding.risk = risk
        understanding.answer_models = answer_models
        settle_heap()
        logger.info("classifier reloaded for %s", ", ".join(self._locales))
        return True

    def poll(self) -> None:
        """Reload whatever changed since the last look."""
        state = _snapshot(self.settings.content_dir, self.settings.crisis_rules_dir)
        if state != self._content_state:
            self._content_state = state
            self.reload_content()
        models = _model_stamps(self.settings, self._locales)
        if models != self._models_state:
            self._models_state = models
            self.reload_models()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.poll()
            except Exception as error:  # a watcher must never take the bot down
                logger.error("reload check failed (%s)", type(error).__name__)

    async def flush(self) -> None:
        """Publish what changed since the last look, now."""
        self.poll()
