"""The one way text becomes a decision.

Used by the bot, ``safebot classify``, ``safebot evaluate`` and the benchmarks alike, so that what
we measure is what a child gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nlu.answer_models import LabelModel
from nlu.classifier import Classifier
from nlu.crisis import CrisisNet
from nlu.decision import Decision, Thresholds, choose_answer, decide
from nlu.facets import FACET_SCHEME, NO_FACET
from nlu.intents import RISK_INTENTS, SMALL_TALK_INTENTS
from nlu.risk_model import RiskModel
from nlu.roles import ROLE_SCHEME, Role
from nlu.segments import sentences

#: The safety net reads at most this much of a message: Telegram's own limit for one message.
MAX_NET_CHARS = 4096
#: The urgency model reads messages of at least this many words.
MIN_URGENCY_WORDS = 4


class _UnderstandingSettings(Protocol):
    clarify_below: float
    self_harm_floor: float
    escalate_mass_floor: float
    risk_escalate_at: float
    risk_ask_at: float
    topic_sure_at: float
    topic_lean_at: float
    urgency_at: float
    role_at: float
    facet_at: float
    facet_settles_below: float
    max_classify_chars: int


def thresholds_of(settings: _UnderstandingSettings) -> Thresholds:
    """The thresholds of a settings object (``bot.settings.Settings``)."""
    return Thresholds(
        clarify_below=settings.clarify_below,
        self_harm_floor=settings.self_harm_floor,
        escalate_mass_floor=settings.escalate_mass_floor,
        risk_escalate_at=settings.risk_escalate_at,
        risk_ask_at=settings.risk_ask_at,
        topic_sure_at=settings.topic_sure_at,
        topic_lean_at=settings.topic_lean_at,
        urgency_at=settings.urgency_at,
        role_at=settings.role_at,
        facet_at=settings.facet_at,
        facet_settles_below=settings.facet_settles_below,
    )


@dataclass
class Understanding:
    """The crisis net, the risk model and a topic classifier, run in that order of authority.

    Fields are swapped whole by the reloader when rules or models change.
    """

    net: CrisisNet
    classifier: Classifier
    risk: RiskModel | None
    thresholds: Thresholds
    max_classify_chars: int = 2000
    #: The role and facet models by scheme name (``nlu.answer_models``); none: every message
    #: is the child's own, with no facet.
    answer_models: dict[str, LabelModel] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        settings: _UnderstandingSettings,
        *,
        net: CrisisNet,
        classifier: Classifier,
        risk: RiskModel | None,
        answer_models: dict[str, LabelModel] | None = None,
    ) -> Understanding:
        """Built with the thresholds and limits of a settings object."""
        return cls(
            net=net,
            classifier=classifier,
            risk=risk,
            thresholds=thresholds_of(settings),
            max_classify_chars=settings.max_classify_chars,
            answer_models=answer_models or {},
        )

    async def understand(self, text: str, locale: str, *, crisis_open: bool = False) -> Decision:
        """Decide what one message written in ``locale`` needs."""
        verdict = self.net.check(text[:MAX_NET_CHARS], locale)
        head = text[: self.max_classify_chars]
        result = await self.classifier.classify(head, locale)
        risk, now = self.risk_and_urgency(head, locale)
        decision = decide(
            result, verdict, self.thresholds, risk=risk, now=now, crisis_open=crisis_open
        )
        return self._choose_answer(
            decision,
            head,
            locale,
            lookalike=verdict.lookalike is not None,
            parent=verdict.parent is not None,
        )

    def risk_and_urgency(self, text: str, locale: str) -> tuple[float, float]:
        """The risk and urgency scores of a message: the highest of the whole and its sentences.

        A sentence counts only where the risk model is sure of risk in it (``risk_escalate_at``):
        one sentence read out of its message is easily misheard ("i'm dead" after a joke), and
        "tonight" in an everyday sentence cannot make another sentence's risk an emergency.
        """
        if self.risk is None:
            return 0.0, 0.0
        pieces = [text, *sentences(text)]
        scores = self.risk.score_many(pieces, locale)
        sure = self.thresholds.risk_escalate_at
        counted = [
            (piece, score)
            for index, (piece, score) in enumerate(zip(pieces, scores, strict=True))
            if index == 0 or score >= sure
        ]
        # Two or three words ("never mind", "forget it") carry too little to tell now from later:
        # the urgency model gave "never mind" 0.56. Rules still make short messages emergencies.
        timed = [piece for piece, _ in counted if len(piece.split()) >= MIN_URGENCY_WORDS]
        now = max(self.risk.urgency_many(timed, locale), default=0.0) if timed else 0.0
        return max(score for _, score in counted), now

    def _choose_answer(
        self, decision: Decision, text: str, locale: str, *, lookalike: bool, parent: bool
    ) -> Decision:
        """Who writes and the narrower topic, read only where they could change the answer.

        ``parent``: a rule of the net heard a parent or carer say so ("my 11 year old daughter"):
        that settles who writes, over the role model.
        """
        if (
            decision.emergency
            or decision.distress
            or not self.answer_models
            or (decision.intent in SMALL_TALK_INTENTS and not decision.ask_directly)
        ):
            return decision  # no other answer could be chosen: spare the models' time
        role_model = self.answer_models.get(ROLE_SCHEME.name)
        facet_model = self.answer_models.get(FACET_SCHEME.name)
        facet = facet_model.best(text, locale) if facet_model is not None else None
        # A role applies to the risk topics only, and only a facet could make one of those.
        could_be_risk = decision.intent in RISK_INTENTS or (
            facet is not None and facet.label != NO_FACET
        )
        if parent:
            said = (Role.PARENT.value, 1.0)
        else:
            role = (
                role_model.best(text, locale) if role_model is not None and could_be_risk else None
            )
            said = (Role.of_label(role.label).value, role.score) if role else (Role.SELF.value, 1.0)
        return choose_answer(
            decision,
            self.thresholds,
            role=said,
            facet=(facet.label, facet.score) if facet else None,
            lookalike=lookalike,
        )

    async def understand_all(
        self, texts: Sequence[str], locale: str, *, concurrency: int = 8
    ) -> list[Decision]:
        """Decide many messages (a few at a time, for classifiers behind HTTP)."""
        limit = asyncio.Semaphore(concurrency)

        async def one(text: str) -> Decision:
            async with limit:
                return await self.understand(text, locale)

        return list(await asyncio.gather(*(one(t) for t in texts)))
