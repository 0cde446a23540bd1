"""Narrower topics with their own answer, and the topic (intent) each belongs to.

A dangerous challenge is harmful content, but "close it and scroll away" is the wrong answer to
it; a planned meeting is grooming, but it needs "tell an adult today". The facet model
(:mod:`nlu.answer_models`) reads them; each facet's answer is ``content/<locale>/answers/<facet>.yml``
and its events count under the intent below, so statistics keep their topics.
"""

from __future__ import annotations

from nlu.answer_models import LabelScheme

NO_FACET = "facet_none"
#: facet -> the intent it belongs to.
FACET_INTENTS: dict[str, str] = {
    "dangerous_challenge": "harmful_content",
    "eating_disorder": "harmful_content",
    "hacked_account": "privacy",
    "doxxing": "privacy",
    "images_trouble": "intimate_images",
    "adult_relationship": "grooming",
    "meeting": "grooming",
    "violence_threat": "cyberbullying",
}
FACETS: tuple[str, ...] = tuple(FACET_INTENTS)
#: Facets whose own answer a crisis of another topic keeps (with that crisis's urgency and
#: numbers): starving oneself or a choking challenge are read as self-harm, and the answer about
#: eating problems or challenges is the one written for it; the helplines stay the crisis's.
CRISIS_FACETS: dict[str, frozenset[str]] = {
    "eating_disorder": frozenset({"self_harm"}),
    "dangerous_challenge": frozenset({"self_harm"}),
    "violence_threat": frozenset({"abuse"}),
}
#: Facets whose answer always shows the helpline (the content check holds their answers to it):
#: all but a hacked account, where recovery comes first.
HELPLINE_FACETS: frozenset[str] = frozenset(FACETS) - {"hacked_account"}
#: Labels of training examples no facet can be about, which the facet model also learns as
#: "no facet": the conversation, out-of-scope messages and look-alikes ("killed in fortnite"),
#: and calm everyday questions.
NO_FACET_INTENTS: frozenset[str] = frozenset(
    {"greet", "goodbye", "thanks", "about_bot", "human", "out_of_scope", "calm"}
)
FACET_SCHEME = LabelScheme(name="facet", neutral=NO_FACET, labels=(NO_FACET, *FACETS))
