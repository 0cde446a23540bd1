"""``roles.yml``: the answer a friend, a parent or the child who bullied gets, per topic.

The child writing about themselves gets the topic's own answer (or its facet's). Someone else
gets the answer written for them: the one ``roles.yml`` names for the topic or facet, else the
role's ``default``. Every answer named must exist in every language.
"""

from __future__ import annotations

from bot.content.collector import Collector
from bot.content.model import LocaleContent, RoleAnswers
from bot.content.yaml_lines import LineDict
from nlu.facets import FACETS
from nlu.intents import RISK_INTENTS
from nlu.roles import Role

#: The roles ``roles.yml`` must give answers for (the child's own answers are the topics').
OTHER_ROLES: tuple[str, ...] = tuple(role.value for role in Role if role is not Role.SELF)


def load_roles(c: Collector) -> dict[str, RoleAnswers]:
    """Every role of ``roles.yml``."""
    path = c.root / "roles.yml"
    table = c.read_table(path, "The roles file", "roles", "role (friend, parent, bully)")
    if table is None:
        return {}
    topics = (*RISK_INTENTS, *FACETS)
    roles: dict[str, RoleAnswers] = {}
    for name, entry in table.items():
        line = table.line_of(name)
        name = str(name)
        if name not in OTHER_ROLES:
            c.error(path, line, f"'{name}' is not a role; use one of {', '.join(OTHER_ROLES)}")
            continue
        if not isinstance(entry, LineDict):
            c.error(path, line, f"{name}: expected 'default:' and 'answers:' under it")
            continue
        default = c.text(path, entry, "default")
        by_topic: dict[str, str] = {}
        raw = entry.get("answers")
        if raw is not None and not isinstance(raw, LineDict):
            c.error(path, entry.line_of("answers"), f"{name}: 'answers' maps topics to answers")
            raw = None
        for topic, answer in (raw or LineDict()).items():
            topic_line = raw.line_of(topic) if raw is not None else line
            if str(topic) not in topics:
                c.error(
                    path,
                    topic_line,
                    f"{name}: '{topic}' is not a topic; use one of {', '.join(topics)}",
                )
                continue
            by_topic[str(topic)] = str(answer)
        roles[name] = RoleAnswers(
            role=name,
            default=default,
            by_topic=by_topic,
            where=c.where(path, line),
            lines={topic: raw.line_of(topic) for topic in by_topic} if raw is not None else {},
        )
    for name in OTHER_ROLES:
        if name not in roles:
            c.error(path, table.line, f"the role '{name}' is missing: add its default answer")
    return roles


def check_role_answers(
    c: Collector, roles: dict[str, RoleAnswers], locales: dict[str, LocaleContent]
) -> None:
    """Every answer a role names exists in every language."""
    path = c.root / "roles.yml"
    for role in roles.values():
        named = [(role.where.line, role.default)] + [
            (role.lines.get(topic, role.where.line), answer)
            for topic, answer in role.by_topic.items()
        ]
        for line, answer in named:
            for lc in locales.values():
                unreadable = c.root / lc.locale / "answers" / f"{answer}.yml" in c.unreadable
                if answer and answer not in lc.answers and not unreadable:
                    c.error(
                        path,
                        line,
                        f"{role.role}: the answer '{answer}' does not exist in '{lc.locale}': "
                        f"create {c.root / lc.locale / 'answers' / (answer + '.yml')}",
                    )
