"""The risk model's precision/recall curve, to choose its two thresholds for recall.

Trains every locale's models into a scratch folder (or reads ``--models``), scores every message of
the held-out test files (``test_nlu.yml``: escalating intents are positives; ``crisis_*.yml``:
emergency and crisis messages are positives) with the risk model alone, and prints one row per
threshold: recall, precision and the share of harmless messages above it. Run:

    python benchmarks/risk_curve.py [--models DIR] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from nlu.crisis_evaluation import read_crisis_file  # noqa: E402
from nlu.decision import Urgency  # noqa: E402
from nlu.intents import ESCALATING_INTENTS  # noqa: E402
from nlu.spacy_classifier import is_current, load_risk_model, train_locale  # noqa: E402
from nlu.training_data import available_locales, read_nlu_file  # noqa: E402

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def labelled(settings: Settings, locale: str) -> list[tuple[str, bool]]:
    """Every held-out message of a locale with whether it must escalate."""
    tests = settings.nlu_testsets_dir / locale
    pairs = [
        (e.text, e.intent in ESCALATING_INTENTS) for e in read_nlu_file(tests / "test_nlu.yml")
    ]
    for path in sorted(tests.glob("crisis_*.yml")):
        pairs += [(c.text, c.expect is not Urgency.NONE) for c in read_crisis_file(path)]
    return pairs


def curve(scores: list[tuple[float, bool]]) -> list[tuple[float, float, float, float]]:
    """(threshold, recall, precision, false-alarm rate) rows."""
    positives = sum(label for _, label in scores) or 1
    negatives = sum(not label for _, label in scores) or 1
    rows = []
    for threshold in THRESHOLDS:
        above = [label for score, label in scores if score >= threshold]
        hits = sum(above)
        rows.append(
            (
                threshold,
                hits / positives,
                hits / len(above) if above else 1.0,
                (len(above) - hits) / negatives,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    locales = available_locales(settings.nlu_data_dir)
    with tempfile.TemporaryDirectory() as scratch:
        models = args.models or Path(scratch)
        for locale in locales:
            if not is_current(models, settings.nlu_data_dir, locale):
                train_locale(settings.nlu_data_dir, models, locale)
        scores: list[tuple[float, bool]] = []
        for locale in locales:
            risk = load_risk_model(models, [locale], default_locale=locale)
            pairs = labelled(settings, locale)
            values = risk.score_many([text for text, _ in pairs], locale)
            scores += [(v, label) for v, (_, label) in zip(values, pairs, strict=True)]
    rows = curve(scores)
    if args.markdown:
        print("| risk score ≥ | recall | precision | harmless above |")
        print("|---|---|---|---|")
        for t, r, p, f in rows:
            print(f"| {t:.2f} | {r:.3f} | {p:.3f} | {f:.3f} |")
    else:
        for t, r, p, f in rows:
            print(f"{t:.2f}  recall {r:.3f}  precision {p:.3f}  harmless above {f:.3f}")
    print(
        f"\n{sum(label for _, label in scores)} must-escalate and "
        f"{sum(not label for _, label in scores)} other held-out messages, all locales"
    )


if __name__ == "__main__":
    main()
