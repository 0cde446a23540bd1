"""Read NLU examples in Rasa's YAML format (``version: "3.1"``), one folder per locale."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

# Rasa entity annotations: [text](entity), [text]{"entity": ...}, [text][...]
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


class TrainingDataError(ValueError):
    """A training data file cannot be read; the message names the file."""


@dataclass(frozen=True)
class Example:
    """One training or test sentence and its intent."""

    text: str
    intent: str


def _strip_annotations(text: str) -> str:
    return _ANNOTATION.sub(r"\1", text).strip()


def read_nlu_file(path: Path) -> list[Example]:
    """Read the intent examples of one Rasa NLU YAML file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{path}: this is not valid YAML ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("nlu"), list):
        raise TrainingDataError(f"{path}: expected a top-level 'nlu:' list (Rasa format)")
    examples: list[Example] = []
    for block in document["nlu"]:
        if not isinstance(block, dict) or "intent" not in block:
            continue  # synonyms, regexes and lookups are not intent examples
        intent = str(block["intent"])
        raw = block.get("examples", "")
        if not isinstance(raw, str):
            raise TrainingDataError(f"{path}: intent '{intent}' needs an 'examples: |' block")
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            if not line.startswith("- "):
                raise TrainingDataError(
                    f"{path}: intent '{intent}': each example must start with '- ' ({line[:40]!r})"
                )
            text = _strip_annotations(line[2:])
            if text:
                examples.append(Example(text=text, intent=intent))
    return examples


#: A locale's subfolder of examples that train only the risk model (more ways of saying a
#: crisis, harmless look-alikes): measured to help the risk model but to blur the topics.
RISK_ONLY_DIR = "risk"
#: A locale's subfolder of risk messages labelled by urgency (``emergency``: danger now;
#: ``crisis_not_now``: serious, but a helpline comes first). They train the urgency model and,
#: as risk, the risk model; never the topic classifier or Rasa (the labels are not intents).
URGENCY_DIR = "urgency"
#: The urgency labels of the files under ``urgency/``.
EMERGENCY_LEVEL = "emergency"
NOT_NOW_LEVEL = "crisis_not_now"
URGENCY_LEVELS = frozenset({EMERGENCY_LEVEL, NOT_NOW_LEVEL})
#: A locale's subfolder of examples that train only the topic classifier (everyday messages
#: that share words with a crisis): measured to cut the topic classifier's false alarms but to
#: cost the risk model recall on unseen crises, which it exists for.
TOPIC_ONLY_DIR = "topic"


def read_nlu_dir(
    directory: Path, *, risk_only: bool = True, topic_only: bool = True
) -> list[Example]:
    """Read every ``*.yml`` file under a folder, in a stable order.

    With ``risk_only=False`` the files under ``risk/`` and ``urgency/`` are left out (the topic
    classifier's and Rasa's view); with ``topic_only=False`` those under ``topic/`` (the risk
    model's view).
    """
    files = sorted(directory.rglob("*.yml")) + sorted(directory.rglob("*.yaml"))
    left_out = {
        name
        for names, keep in (
            ((RISK_ONLY_DIR, URGENCY_DIR), risk_only),
            ((TOPIC_ONLY_DIR,), topic_only),
        )
        if not keep
        for name in names
    }
    files = [f for f in files if not left_out & set(f.relative_to(directory).parts[:-1])]
    if not files:
        raise TrainingDataError(f"{directory}: no training data files (*.yml) found")
    examples: list[Example] = []
    for path in files:
        examples.extend(read_nlu_file(path))
    return examples


def rasa_files(directory: Path) -> list[Path]:
    """A locale's files in Rasa's NLU format: all but the urgency labels, which are no intents."""
    return [
        path
        for path in sorted(directory.rglob("*.yml"))
        if URGENCY_DIR not in path.relative_to(directory).parts[:-1]
    ]


def copy_rasa_files(directory: Path, target: Path) -> Path:
    """Copy a locale's Rasa-format files under ``target`` (kept in their folders); returns it."""
    for path in rasa_files(directory):
        copy = target / path.relative_to(directory)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
    return target


def locale_data_dir(nlu_data_dir: Path, locale: str) -> Path:
    """The folder holding one locale's training data."""
    return nlu_data_dir / locale


def available_locales(nlu_data_dir: Path) -> list[str]:
    """Locales that have a training data folder."""
    if not nlu_data_dir.is_dir():
        return []
    return sorted(p.name for p in nlu_data_dir.iterdir() if p.is_dir() and any(p.glob("*.yml")))


def fingerprint(directory: Path, *, rasa: bool = False) -> str:
    """A hash of the training data files, to tell whether a saved model is stale.

    ``rasa=True``: only the files Rasa trains on (:func:`rasa_files`).
    """
    digest = hashlib.sha256()
    for path in rasa_files(directory) if rasa else sorted(directory.rglob("*.yml")):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def counts(examples: list[Example]) -> Counter[str]:
    """How many examples each intent has."""
    return Counter(example.intent for example in examples)
