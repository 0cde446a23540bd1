"""Read NLU examples in Rasa's YAML format (``version: "3.1"``), one folder per locale."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml

from nlu.yaml_loading import FAST_SAFE_LOADER, syntax_error_message

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
    source = path.read_text(encoding="utf-8")
    try:
        document = yaml.load(source, Loader=FAST_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise TrainingDataError(syntax_error_message(path, error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("nlu"), list):
        raise TrainingDataError(f"{path}: expected a top-level 'nlu:' list (Rasa format)")
    examples: list[Example] = []
    for block in document["nlu"]:
        if not isinstance(block, dict):
            # An example that lost its indentation ends the 'examples: |' block above it and
            # turns the lines after it into one top-level text: still valid YAML, so say so.
            raise TrainingDataError(
                f"{path}, line {_unindented_line(source)}: this example is not indented under an "
                "intent's 'examples: |', so it and the examples after it would be lost; indent "
                "it like the lines around it"
            )
        if "intent" not in block:
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


def _unindented_line(text: str) -> int:
    """The first top-level list entry that does not open an intent, synonym, regex or lookup."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("- ") and not re.match(r"- (intent|synonym|regex|lookup):", line):
            return number
    return 1


class View(StrEnum):
    """Which model reads a training example: each folder of a locale's data feeds some of them."""

    TOPIC = "topic"
    RISK = "risk"
    RASA = "rasa"
    ROLE = "role"
    FACET = "facet"


#: The folder of the examples at a locale's top level ("" here) and the views each subfolder feeds.
#: - ``risk/``: more ways of saying a crisis and look-alikes (measured to help the risk model
#:   but to blur the topics);
#: - ``urgency/``: risk messages labelled ``emergency`` or ``crisis_not_now`` (the risk and
#:   urgency models; the labels are no intents, so never the topic classifier or Rasa);
#: - ``topic/``: everyday messages that share words with a crisis (measured to cut the topic
#:   classifier's false alarms but to cost the risk model recall on unseen crises);
#: - ``calm/``: ordinary everyday questions, labelled ``calm``: the facet model's "no facet".
#:   Measured as the risk model's negatives in round 6, they cut false alarms on the opened
#:   sets but cost escalation recall on a sealed set (benchmarks/RESULTS.md), so the risk
#:   model does not read them;
#: - ``role/``: who writes (``role_self``, ``role_friend``, ``role_parent``, ``role_bully``);
#: - ``facet/``: the narrower topic that has its own answer (``nlu.facets``).
FOLDER_VIEWS: dict[str, frozenset[View]] = {
    "": frozenset({View.TOPIC, View.RISK, View.RASA}),
    "risk": frozenset({View.RISK, View.RASA}),
    "urgency": frozenset({View.RISK}),
    "topic": frozenset({View.TOPIC, View.RASA}),
    "calm": frozenset({View.FACET}),
    "role": frozenset({View.ROLE}),
    "facet": frozenset({View.FACET}),
}
RISK_ONLY_DIR = "risk"
URGENCY_DIR = "urgency"
TOPIC_ONLY_DIR = "topic"
CALM_DIR = "calm"
ROLE_DIR = "role"
FACET_DIR = "facet"
#: The urgency labels of the files under ``urgency/``.
EMERGENCY_LEVEL = "emergency"
NOT_NOW_LEVEL = "crisis_not_now"
URGENCY_LEVELS = frozenset({EMERGENCY_LEVEL, NOT_NOW_LEVEL})


def _folder(path: Path, directory: Path) -> str:
    parts = path.relative_to(directory).parts[:-1]
    return parts[0] if parts else ""


def data_files(directory: Path, view: View | None = None) -> list[Path]:
    """A locale's data files in a stable order: those ``view`` reads, or all of them.

    A file in a folder this module does not know is an error, so that no example is silently
    left out of every model.
    """
    files = sorted(directory.rglob("*.yml")) + sorted(directory.rglob("*.yaml"))
    chosen = []
    for path in files:
        folder = _folder(path, directory)
        views = FOLDER_VIEWS.get(folder)
        if views is None:
            known = ", ".join(f"{name}/" for name in FOLDER_VIEWS if name)
            raise TrainingDataError(
                f"{path}: no model reads the folder '{folder}/' (known folders: {known})"
            )
        if view is None or view in views:
            chosen.append(path)
    return chosen


def read_nlu_dir(directory: Path, view: View | None = None) -> list[Example]:
    """Read the examples of a locale's folder that ``view`` reads (all of them without one)."""
    files = data_files(directory, view)
    if not files:
        raise TrainingDataError(f"{directory}: no training data files (*.yml) found")
    examples: list[Example] = []
    for path in files:
        examples.extend(read_nlu_file(path))
    return examples


def rasa_files(directory: Path) -> list[Path]:
    """A locale's files in Rasa's NLU format: those whose labels are intents."""
    return data_files(directory, View.RASA)


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
