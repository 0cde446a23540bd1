"""A danger buried in a long message is scored sentence by sentence (``nlu.segments``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.risk_model import RiskModel
from nlu.segments import MAX_SENTENCES, sentences
from nlu.understanding import MIN_URGENCY_WORDS, Understanding
from tests.nlu.test_evaluation_gate import understanding

ORDINARY = "quick question how do i hide my last seen on whatsapp from my class"
BURIED = "i have been saving my dads sleeping pills and tonight im going to swallow the lot"
EVERYDAY_TONIGHT = "going to the cinema with my cousins tonight after dinner"


def test_one_sentence_is_not_split() -> None:
    assert sentences("i want to go home now please") == []
    assert sentences("hi. i want to go home now") == []  # "hi" is too short to read alone


def test_sentences_end_at_punctuation_and_line_breaks() -> None:
    text = f"{ORDINARY}? never mind, doesnt matter now!!\n\n{BURIED}… ok"
    assert sentences(text) == [ORDINARY, "never mind, doesnt matter now", BURIED]


def test_a_decimal_point_or_a_time_does_not_end_a_sentence() -> None:
    # "99 to release it" read alone once sounded like risk to the risk model.
    text = "got a text saying i need to pay 1.99 to release my parcel. is that a scam"
    assert sentences(text) == [
        "got a text saying i need to pay 1.99 to release my parcel",
        "is that a scam",
    ]
    assert sentences("we meet at 3.30 after school. see you there ok")[0].endswith(
        "3.30 after school"
    )


def test_a_very_long_message_is_read_in_at_most_so_many_sentences() -> None:
    text = ". ".join(f"sentence number {n} here" for n in range(MAX_SENTENCES + 5))
    assert len(sentences(text)) == MAX_SENTENCES


def english(models_dir: Path) -> tuple[Understanding, RiskModel, float]:
    """The English understanding, its risk model and the score a sentence needs to count."""
    reader = understanding(models_dir, "en")
    assert reader.risk is not None
    return reader, reader.risk, reader.thresholds.risk_escalate_at


async def test_a_sentence_the_risk_model_is_sure_of_counts_for_the_whole_message(
    models_dir: Path,
) -> None:
    reader, risk_model, sure = english(models_dir)
    text = f"{ORDINARY}. doesnt matter now. {BURIED}"
    whole = risk_model.score(text, "en")
    parts = risk_model.score_many(sentences(text), "en")
    risk, _ = reader.risk_and_urgency(text, "en")
    assert risk == pytest.approx(max([whole, *(s for s in parts if s >= sure)]))
    assert risk_model.score(BURIED, "en") >= sure  # the buried sentence is heard alone
    assert risk >= sure
    decision = await reader.understand(text, "en")
    assert decision.escalate and decision.emergency


async def test_urgency_comes_only_from_the_whole_message_or_a_sentence_heard_as_risk(
    models_dir: Path,
) -> None:
    reader, risk_model, sure = english(models_dir)
    text = f"{EVERYDAY_TONIGHT}. {ORDINARY}. i feel like nobody at school would care if i vanished"
    pieces = [text, *sentences(text)]
    scores = risk_model.score_many(pieces, "en")
    counted = [
        piece
        for index, (piece, score) in enumerate(zip(pieces, scores, strict=True))
        if (index == 0 or score >= sure) and len(piece.split()) >= MIN_URGENCY_WORDS
    ]
    assert EVERYDAY_TONIGHT not in counted  # an everyday sentence never sets the urgency
    _, now = reader.risk_and_urgency(text, "en")
    assert now == pytest.approx(max(risk_model.urgency_many(counted, "en")))
