"""Evaluate a classifier plus the crisis net the way the bot uses them.

Besides accuracy and F1, two figures matter most for children:

* **risk recall**: of the messages whose intent escalates (self_harm, abuse, grooming,
  intimate_images), the share whose reply shows a helpline;
* **false-crisis rate**: of the messages that are not about self-harm, the share that
  would get the crisis answer.

Two more say how far the figures can be trusted:

* **macro-F1's 95 % interval**: a percentile bootstrap over the test messages (1,000 resamples,
  a fixed seed, so the same file always gives the same interval);
* **expected calibration error**: how far the classifier's confidence is from how often it is
  right, over ten equal-width bins (0 is perfectly calibrated); the clarify threshold reads the
  confidence, so a confidence that says 0.6 should be right about 60 % of the time.

Decisions come from :class:`nlu.understanding.Understanding`, exactly as the bot takes them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nlu.decision import Decision, Urgency, needs_clarification
from nlu.intents import CRISIS_INTENT, ESCALATING_INTENTS, INTENTS
from nlu.training_data import Example
from nlu.understanding import Understanding

CLARIFY = "(clarify)"
ASK = "(ask directly)"
BOOTSTRAP_RESAMPLES = 1000
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class IntentScores:
    """Precision, recall and F1 of one intent."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    """All figures of one evaluation run."""

    engine: str
    locale: str
    examples: int
    accuracy: float
    macro_f1: float
    risk_recall: float
    false_crisis_rate: float
    clarification_rate: float
    per_intent: dict[str, IntentScores]
    labels: list[str]
    confusion: list[list[int]]
    self_harm_missed: list[str] = field(default_factory=list)
    risk_missed: list[str] = field(default_factory=list)
    #: The 95 % percentile-bootstrap interval of ``macro_f1``.
    macro_f1_interval: tuple[float, float] = (0.0, 0.0)
    #: Expected calibration error of the topic confidence (0: perfectly calibrated).
    calibration_error: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return asdict(self)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _per_intent(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, IntentScores]:
    per_intent: dict[str, IntentScores] = {}
    for intent in INTENTS:
        tp = sum(g == p == intent for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, predicted, strict=True))
        support = sum(g == intent for g in gold)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support if support else 0.0
        per_intent[intent] = IntentScores(precision, recall, _f1(precision, recall), support)
    return per_intent


def _macro(per_intent: dict[str, IntentScores]) -> float:
    present = [i for i in INTENTS if per_intent[i].support]
    return sum(per_intent[i].f1 for i in present) / len(present) if present else 0.0


def macro_f1_of(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the intents present in ``gold``."""
    return _macro(_per_intent(gold, predicted))


def macro_f1_interval(
    gold: Sequence[str], predicted: Sequence[str], *, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of macro-F1 (fixed seed: reproducible)."""
    if not gold:
        return (0.0, 0.0)
    chance = random.Random(20261201)
    n = len(gold)
    values = []
    for _ in range(resamples):
        picks = [chance.randrange(n) for _ in range(n)]
        values.append(_macro(_per_intent([gold[i] for i in picks], [predicted[i] for i in picks])))
    values.sort()
    return (values[int(0.025 * resamples)], values[min(int(0.975 * resamples), resamples - 1)])


def calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], *, bins: int = CALIBRATION_BINS
) -> float:
    """Expected calibration error: the bins' gap between confidence and accuracy, weighted."""
    if not confidences:
        return 0.0
    totals = [[0.0, 0.0, 0] for _ in range(bins)]  # confidence sum, right, count
    for confidence, right in zip(confidences, correct, strict=True):
        row = totals[min(int(max(confidence, 0.0) * bins), bins - 1)]
        row[0] += confidence
        row[1] += right
        row[2] += 1
    n = len(confidences)
    return sum(abs(c - r) / n for c, r, count in totals if count)


def score(
    examples: Sequence[Example],
    decisions: Sequence[Decision],
    *,
    clarify_below: float,
    engine: str,
    locale: str,
) -> Evaluation:
    """Compute every figure from gold examples and the decisions the bot would take."""
    gold = [e.intent for e in examples]
    predicted = [
        ASK
        if d.ask_directly
        else CLARIFY
        if needs_clarification(d, clarify_below=clarify_below)
        else d.intent
        for d in decisions
    ]
    per_intent = _per_intent(gold, predicted)
    macro = _macro(per_intent)
    accuracy = (
        sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0
    )

    risky = [i for i, g in enumerate(gold) if g in ESCALATING_INTENTS]
    # The helpline is shown whenever a decision escalates, clarifying questions included.
    escalated = [decisions[i].escalate for i in risky]
    risk_recall = sum(escalated) / len(risky) if risky else 1.0
    calm = [i for i, g in enumerate(gold) if g != CRISIS_INTENT]
    false_crisis = sum(predicted[i] == CRISIS_INTENT for i in calm) / len(calm) if calm else 0.0

    labels = [*INTENTS, CLARIFY, ASK]
    index = {label: n for n, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in INTENTS]
    for g, p in zip(gold, predicted, strict=True):
        if g in index:
            confusion[index[g]][index[p]] += 1
    return Evaluation(
        engine=engine,
        locale=locale,
        examples=len(gold),
        accuracy=accuracy,
        macro_f1=macro,
        risk_recall=risk_recall,
        false_crisis_rate=false_crisis,
        clarification_rate=predicted.count(CLARIFY) / len(predicted) if predicted else 0.0,
        per_intent=per_intent,
        labels=labels,
        confusion=confusion,
        # A crisis answer (self-harm, or abuse for "i'm not safe right now"), an emergency, or
        # the direct question that already shows the helpline.
        self_harm_missed=[
            examples[i].text
            for i, g in enumerate(gold)
            if g == CRISIS_INTENT
            and decisions[i].urgency is Urgency.NONE
            and not decisions[i].ask_directly
        ],
        risk_missed=[examples[i].text for i, ok in zip(risky, escalated, strict=True) if not ok],
        macro_f1_interval=macro_f1_interval(gold, predicted),
        calibration_error=calibration_error(
            [d.confidence for d in decisions],
            [d.intent == g for d, g in zip(decisions, gold, strict=True)],
        ),
    )


async def evaluate(
    understanding: Understanding,
    examples: Sequence[Example],
    locale: str,
    *,
    engine: str,
) -> Evaluation:
    """Decide every example as the bot would and score the decisions."""
    decisions = await understanding.understand_all([e.text for e in examples], locale)
    return score(
        examples,
        decisions,
        clarify_below=understanding.thresholds.clarify_below,
        engine=engine,
        locale=locale,
    )


def format_report(ev: Evaluation) -> str:
    """A plain-text report."""
    lines = [
        f"Engine: {ev.engine}   locale: {ev.locale}   examples: {ev.examples}",
        f"accuracy           {ev.accuracy:.3f}",
        f"macro-F1           {ev.macro_f1:.3f}   (95 % interval {ev.macro_f1_interval[0]:.3f}"
        f"-{ev.macro_f1_interval[1]:.3f}, bootstrap over these messages)",
        f"calibration error  {ev.calibration_error:.3f}   (confidence against how often it is"
        f" right; 0 is perfect)",
        f"risk recall        {ev.risk_recall:.3f}   (escalating messages that showed a helpline)",
        f"false-crisis rate  {ev.false_crisis_rate:.3f}   (other messages that got the crisis answer)",
        f"clarification rate {ev.clarification_rate:.3f}   (asked with topic buttons)",
        "",
        f"{'intent':<18}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>5}",
    ]
    for intent, s in ev.per_intent.items():
        if s.support:
            lines.append(
                f"{intent:<18}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>5}"
            )
    if ev.self_harm_missed:
        lines += ["", "self_harm examples that did NOT reach the crisis answer:"]
        lines += [f"  - {text}" for text in ev.self_harm_missed]
    if ev.risk_missed:
        lines += ["", "escalating examples that showed no helpline:"]
        lines += [f"  - {text}" for text in ev.risk_missed]
    return "\n".join(lines)


def save_confusion_png(ev: Evaluation, path: Path) -> None:
    """Draw the confusion matrix (rows: true intent, columns: what the bot did)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 7.5))
    image = axes.imshow(ev.confusion, cmap="Blues")
    axes.set_xticks(range(len(ev.labels)), ev.labels, rotation=60, ha="right")
    axes.set_yticks(range(len(INTENTS)), list(INTENTS))
    axes.set_xlabel("what the bot did")
    axes.set_ylabel("true intent")
    axes.set_title(f"{ev.engine} / {ev.locale}: macro-F1 {ev.macro_f1:.3f}")
    peak = max((max(row) for row in ev.confusion), default=0) or 1
    for r, row in enumerate(ev.confusion):
        for c, value in enumerate(row):
            if value:
                colour = "white" if value > peak / 2 else "black"
                axes.text(c, r, str(value), ha="center", va="center", color=colour, fontsize=8)
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
