"""The webhook server's Prometheus metrics, in a registry of its own (never the global one).

Labels are outcomes, engines and urgencies only: no pseudonym, chat or user is ever a label.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.storage.records import EventRecord
from nlu.rasa_classifier import FALLBACK_ENGINE

#: Escalations counted as crises, by their urgency.
_CRISES = ("crisis", "emergency")
#: Seconds from an update's arrival to its answer sent (Telegram's own round trips included).
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class WebhookMetrics:
    """Counters and a latency histogram for one webhook server."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "safebot_updates",
            "Webhook updates by outcome (answered, duplicate, unreadable, forbidden, ...)",
            ["outcome"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "safebot_reply_seconds",
            "Seconds from an update's arrival to its answer sent",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.classifications = Counter(
            "safebot_classifications",
            "Messages classified, by the engine that answered",
            ["engine"],
            registry=self.registry,
        )
        self.rasa_fallbacks = Counter(
            "safebot_rasa_fallbacks",
            "Messages the embedded model classified because Rasa could not",
            registry=self.registry,
        )
        self.crises = Counter(
            "safebot_crises",
            "Crisis and emergency answers, by urgency",
            ["urgency"],
            registry=self.registry,
        )

    def observe_event(self, event: EventRecord) -> None:
        """Count one turn's anonymised event (a ChatService observer)."""
        if event.engine:
            self.classifications.labels(engine=event.engine).inc()
            if event.engine == FALLBACK_ENGINE:
                self.rasa_fallbacks.inc()
        if event.escalation in _CRISES:
            self.crises.labels(urgency=event.escalation).inc()

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
