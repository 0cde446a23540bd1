"""Who is writing: the child about themselves, a friend, a parent, or the child who did it.

A parent needs advice written for a parent (and a line for adults where the country has one), a
friend needs to hear what to do for a friend and that it is OK to tell, and a child who bullied
needs a way to put it right, not the victim's "it's not your fault". The role model
(:mod:`nlu.answer_models`) reads it from the message; the answers per role are content
(``content/roles.yml``).
"""

from __future__ import annotations

from enum import StrEnum

from nlu.answer_models import LabelScheme


class Role(StrEnum):
    """Who wrote a message."""

    SELF = "self"
    FRIEND = "friend"
    PARENT = "parent"
    BULLY = "bully"

    @property
    def label(self) -> str:
        """The training label (``role_parent``)."""
        return f"role_{self.value}"

    @classmethod
    def of_label(cls, label: str) -> Role:
        """The role of a training label."""
        return cls(label.removeprefix("role_"))


ROLE_SCHEME = LabelScheme(
    name="role", neutral=Role.SELF.label, labels=tuple(role.label for role in Role)
)
