"""The crisis safety net: rules kept as data that override any classifier.

Each rule has a kind, which sets the urgency it gives a message:

- ``emergency``: danger now (a plan with a time, place or means; something taken or done; an
  injury; a farewell; someone hurting the child now): the emergency number comes first.
- ``crisis``: suicidal thoughts, self-harm, abuse, sextortion, an adult arranging to meet: the
  right helpline first, with the answer of the rule's ``intent``.
- ``emergency_if_open``: words that are harmless on their own ("i feel dizzy", "bleeding") but
  an emergency while a crisis is open.
- ``emergency_sign``: a sign of danger now that is harmless on its own ("tonight", "already
  bought", "on the roof", "my last message", "bleeding"): it turns a suicidal or abuse crisis
  (found by a rule or the models) into an emergency, and is an emergency while a crisis is open.
- ``distress``: hopelessness without a clear crisis ("whats the point"): the bot asks directly.
- ``threat``: a threat of violence, which makes bullying escalate.
- ``lookalike``: a harmless idiom that models mistake for danger ("i could kill for a pizza",
  "cutting my fringe tonight"). It never silences a rule: it only stops the risk model and the
  topic classifier from escalating on their own.
- ``parent``: the writer says they are a parent or carer ("my 11 year old daughter", "as a
  mum"): they get the answer written for parents, whatever the role model makes of it. It never
  changes urgency or escalation.

Rules live in ``nlu/crisis_rules/<locale>.yml`` and carry their own examples and non-examples, which
the tests, ``safebot content check`` and every reload run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import yaml

from nlu.keyboard_layout import cyrillic_reading
from nlu.normalize import normalize
from nlu.pattern_prefilter import PatternPrefilter
from nlu.yaml_loading import FAST_SAFE_LOADER, syntax_error_message


class RuleKind(StrEnum):
    """What a rule detects."""

    EMERGENCY = "emergency"
    CRISIS = "crisis"
    EMERGENCY_IF_OPEN = "emergency_if_open"
    EMERGENCY_SIGN = "emergency_sign"
    DISTRESS = "distress"
    THREAT = "threat"
    LOOKALIKE = "lookalike"
    PARENT = "parent"


#: The intents a crisis or emergency rule may lead to (the answer the child gets).
RULE_INTENTS = frozenset({"self_harm", "abuse", "grooming", "intimate_images"})
DEFAULT_RULE_INTENT = "self_harm"


class CrisisRuleError(ValueError):
    """A rules file is broken; the message names the file and the rule."""


@dataclass(frozen=True)
class CrisisRule:
    """One named rule: patterns that match, patterns that veto, and its own test cases."""

    id: str
    kind: RuleKind
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    examples: tuple[str, ...] = ()
    not_examples: tuple[str, ...] = ()
    description: str = ""
    intent: str = DEFAULT_RULE_INTENT

    def matches(self, normalized: str, candidates: Sequence[re.Pattern[str]] | None = None) -> bool:
        """Whether this rule fires on already normalised text.

        ``candidates``: the only patterns of this rule that could match (from the net's
        prefilter); all of them when not given.
        """
        tried = self.patterns if candidates is None else candidates
        if not any(p.search(normalized) for p in tried):
            return False
        return not any(p.search(normalized) for p in self.unless)


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired: its ``locale:id`` and the intent it leads to; never the text."""

    rule: str
    intent: str


#: The kinds a second reading of a message (``NetVerdict.raised_by``) may add.
RAISING_KINDS = (RuleKind.EMERGENCY, RuleKind.CRISIS, RuleKind.DISTRESS, RuleKind.THREAT)


@dataclass(frozen=True)
class NetVerdict:
    """What the safety net found in one message: the first rule of each kind that fired."""

    emergency: RuleHit | None = None
    crisis: RuleHit | None = None
    emergency_if_open: RuleHit | None = None
    emergency_sign: RuleHit | None = None
    distress: RuleHit | None = None
    threat: RuleHit | None = None
    lookalike: RuleHit | None = None
    parent: RuleHit | None = None

    def hit(self, kind: RuleKind) -> RuleHit | None:
        """The rule of one kind that fired, if any."""
        return getattr(self, kind.value)

    def raised_by(self, other: NetVerdict) -> NetVerdict:
        """This verdict with ``other``'s emergency, crisis, distress or threat where it has none.

        Only what makes a reply escalate on its own: a look-alike could hide a crisis, and a sign
        of danger now ("at 10", "in 5 mins") also turns up in a nonsense reading of digits.
        """
        return replace(self, **{k.value: self.hit(k) or other.hit(k) for k in RAISING_KINDS})


def _compile(path: Path, rule_id: str, patterns: object) -> tuple[re.Pattern[str], ...]:
    if patterns is None:
        return ()
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise CrisisRuleError(f"{path}: rule '{rule_id}': patterns must be a list of text")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise CrisisRuleError(
                f"{path}: rule '{rule_id}': the pattern {pattern!r} is not valid ({error})"
            ) from None
    return tuple(compiled)


def load_rules(path: Path, data: bytes | None = None) -> list[CrisisRule]:
    """Load and compile one locale's rules file (``data``: its bytes, when already read)."""
    raw_text = (path.read_bytes() if data is None else data).decode("utf-8")
    try:
        document = yaml.load(raw_text, Loader=FAST_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise CrisisRuleError(syntax_error_message(path, error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise CrisisRuleError(f"{path}: expected a top-level 'rules:' list")
    rules: list[CrisisRule] = []
    seen: set[str] = set()
    for raw in document["rules"]:
        if not isinstance(raw, dict) or "id" not in raw:
            raise CrisisRuleError(f"{path}: every rule needs an 'id'")
        rule_id = str(raw["id"])
        if rule_id in seen:
            raise CrisisRuleError(f"{path}: the rule id '{rule_id}' is used twice")
        seen.add(rule_id)
        try:
            kind = RuleKind(raw.get("kind", "crisis"))
        except ValueError:
            kinds = ", ".join(f"'{k.value}'" for k in RuleKind)
            raise CrisisRuleError(
                f"{path}: rule '{rule_id}': kind must be one of {kinds}"
            ) from None
        intent = str(raw.get("intent", DEFAULT_RULE_INTENT))
        if intent not in RULE_INTENTS:
            raise CrisisRuleError(
                f"{path}: rule '{rule_id}': intent must be one of {', '.join(sorted(RULE_INTENTS))}"
            )
        patterns = _compile(path, rule_id, raw.get("patterns"))
        if not patterns:
            raise CrisisRuleError(f"{path}: rule '{rule_id}' has no patterns")
        rules.append(
            CrisisRule(
                id=rule_id,
                kind=kind,
                patterns=patterns,
                unless=_compile(path, rule_id, raw.get("unless")),
                examples=tuple(str(e) for e in raw.get("examples") or ()),
                not_examples=tuple(str(e) for e in raw.get("not_examples") or ()),
                description=str(raw.get("description", "")),
                intent=intent,
            )
        )
    return rules


#: Nets already built in this process, by the digest of their files (the latest few).
_BUILT: dict[str, CrisisNet] = {}
_BUILT_KEEP = 4


class CrisisNet:
    """All locales' rules, run together.

    Every locale's crisis rules are tried on every message, so a child writing in another
    language than their chosen one is still caught.
    """

    def __init__(self, rules_by_locale: dict[str, list[CrisisRule]]) -> None:
        self._rules = rules_by_locale
        # One literal prefilter over every pattern: a message is read once to find which
        # patterns could match at all, and only the rules owning those are tried.
        self._owner: list[tuple[str, int]] = []  # pattern number -> (locale, rule position)
        every: list[re.Pattern[str]] = []
        for locale, rules in rules_by_locale.items():
            for position, rule in enumerate(rules):
                every += rule.patterns
                self._owner += [(locale, position)] * len(rule.patterns)
        self._patterns = every
        self._prefilter = PatternPrefilter(every)

    @classmethod
    def from_dir(cls, directory: Path) -> CrisisNet:
        """Load every ``<locale>.yml`` in a folder.

        A net is immutable, so one built from the very same files is reused: compiling the
        patterns and their prefilter takes seconds, and the runtime, the reloader and each
        command would otherwise pay it again for unchanged rules.
        """
        paths = sorted(directory.glob("*.yml"))
        if not paths:
            raise CrisisRuleError(f"{directory}: no crisis rules found; the safety net is required")
        files = [(path, path.read_bytes()) for path in paths]
        digest = hashlib.sha256()
        for path, data in files:
            digest.update(path.name.encode() + b"\0" + data + b"\0")
        key = digest.hexdigest()
        net = _BUILT.get(key)
        if net is None:
            net = cls({path.stem: load_rules(path, data) for path, data in files})
            _BUILT[key] = net
            while len(_BUILT) > _BUILT_KEEP:
                del _BUILT[next(iter(_BUILT))]
        return net

    @property
    def locales(self) -> list[str]:
        """Locales with rules."""
        return sorted(self._rules)

    def rules(self, locale: str) -> list[CrisisRule]:
        """The rules of one locale."""
        return list(self._rules.get(locale, []))

    def matching_rules(self, text: str, locale: str) -> list[CrisisRule]:
        """Every rule of ``locale`` that fires on ``text``, in file order.

        For the checks of examples; the bot itself needs only :meth:`check`'s first hit per kind.
        """
        normalized = normalize(text)
        candidates: dict[int, list[re.Pattern[str]]] = {}
        for number in self._prefilter.candidates(normalized):
            owner, position = self._owner[number]
            if owner == locale:
                candidates.setdefault(position, []).append(self._patterns[number])
        rules = self._rules.get(locale, [])
        return [
            rules[position]
            for position, patterns in sorted(candidates.items())
            if rules[position].matches(normalized, patterns)
        ]

    def check(self, text: str, locale: str) -> NetVerdict:
        """Run the rules of the child's locale first, then every other locale's.

        A text typed on the wrong keyboard layout ("z [jxe evthtnm") is read as the Cyrillic keys
        too; what that reading finds can raise the verdict, never lower it
        (:meth:`NetVerdict.raised_by`).
        """
        verdict = self._verdict(normalize(text), locale)
        reading = cyrillic_reading(text, locale)
        if reading is None:
            return verdict
        return verdict.raised_by(self._verdict(normalize(reading), locale))

    def _verdict(self, normalized: str, locale: str) -> NetVerdict:
        # locale -> rule position -> the rule's patterns that could match, in file order
        candidates: dict[str, dict[int, list[re.Pattern[str]]]] = {}
        for number in sorted(self._prefilter.candidates(normalized)):
            owner, position = self._owner[number]
            candidates.setdefault(owner, {}).setdefault(position, []).append(self._patterns[number])
        found: dict[str, RuleHit] = {}
        for current in [locale, *[other for other in self._rules if other != locale]]:
            rules = self._rules.get(current, [])
            for position, patterns in candidates.get(current, {}).items():
                rule = rules[position]
                if rule.kind is RuleKind.LOOKALIKE and current != locale:
                    continue  # an idiom is harmless only in its own language ("bye" vs "б'є")
                if rule.kind.value not in found and rule.matches(normalized, patterns):
                    found[rule.kind.value] = RuleHit(f"{current}:{rule.id}", rule.intent)
        return NetVerdict(**found)
