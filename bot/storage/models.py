"""Database tables. Nothing here can hold message text or a platform user id."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Uuid,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.record_keys import child_key, new_record_key

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PSEUDONYM_LENGTH = 64


class Base(DeclarativeBase):
    """The one declarative base of the product."""

    metadata = MetaData(naming_convention=NAMING)


def _child_key_default(context: DefaultExecutionContext) -> int:
    """The child key of the row being inserted, from its pseudonym."""
    return child_key(str(context.get_current_parameters()["pseudonym"]))


class Event(Base):
    """One handled message, anonymised: when (to the hour), who (pseudonym), what (intent)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Random, made when the event is: a spool drained twice (a crash between the write and
    #: emptying the spool) writes it once. None on rows written before revision 0008.
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence_band: Mapped[str | None] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    country: Mapped[str | None] = mapped_column(String(3))
    escalation: Mapped[str] = mapped_column(String(16), nullable=False)
    button: Mapped[str | None] = mapped_column(String(64))
    crisis_net: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    clarified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    engine: Mapped[str | None] = mapped_column(String(16))
    #: The child's answer to "did this help?" (a feedback event), else None.
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    #: Random, fixed at write time: picks the noise of every statistic counting this event.
    record_key: Mapped[int] = mapped_column(Integer, nullable=False, default=new_record_key)
    #: The same for all of one child's events: picks the noise of distinct-children counts.
    child_key: Mapped[int] = mapped_column(Integer, nullable=False, default=_child_key_default)

    __table_args__ = (
        Index("ix_events_hour", "hour"),
        Index("ix_events_pseudonym", "pseudonym"),
        Index("ix_events_intent_hour", "intent", "hour"),
        Index("ix_events_event_id", "event_id", unique=True),
        # The rollups' upkeep reads a child's earlier events by key (bot.storage.rollups).
        Index("ix_events_child_key", "child_key"),
    )


#: The lengths of the event log's columns that the rollups keep.
LOCALE_LENGTH, COUNTRY_LENGTH, INTENT_LENGTH = 8, 3, 32


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, default=0, server_default=text("0"))


class RollupDay(Base):
    """One day's events of one locale × country × intent, counted: the additive figures.

    Each count comes with the sum of its events' record keys (the cell-key noise adds them up).
    Anonymous: no pseudonym, no child key. Kept after the events themselves are purged.
    ``""`` stands for an event without a country or intent (``bot.storage.rollups.dimensions``).
    """

    __tablename__ = "rollup_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    locale: Mapped[str] = mapped_column(String(LOCALE_LENGTH), primary_key=True)
    country: Mapped[str] = mapped_column(String(COUNTRY_LENGTH), primary_key=True)
    intent: Mapped[str] = mapped_column(String(INTENT_LENGTH), primary_key=True)
    messages: Mapped[int] = _count()
    escalations: Mapped[int] = _count()
    crisis_net: Mapped[int] = _count()
    text_messages: Mapped[int] = _count()
    clarified: Mapped[int] = _count()
    fallbacks: Mapped[int] = _count()
    feedback: Mapped[int] = _count()
    helpful: Mapped[int] = _count()
    messages_keys: Mapped[int] = _count()
    escalations_keys: Mapped[int] = _count()
    crisis_net_keys: Mapped[int] = _count()
    text_messages_keys: Mapped[int] = _count()
    clarified_keys: Mapped[int] = _count()
    fallbacks_keys: Mapped[int] = _count()
    feedback_keys: Mapped[int] = _count()
    helpful_keys: Mapped[int] = _count()


class RollupPeriod(Base):
    """The additive figures per week or month, for every combination of locale, country, intent.

    The day rows added up once, when they are written: ``grouping`` says which of locale,
    country and intent a row keeps (the others read ``"*"``), so every table the statistics
    show reads a few rows per period. Anonymous, like the day rows.
    """

    __tablename__ = "rollup_periods"

    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    grouping: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(LOCALE_LENGTH), primary_key=True)
    country: Mapped[str] = mapped_column(String(COUNTRY_LENGTH), primary_key=True)
    intent: Mapped[str] = mapped_column(String(INTENT_LENGTH), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = _count()
    escalations: Mapped[int] = _count()
    crisis_net: Mapped[int] = _count()
    text_messages: Mapped[int] = _count()
    clarified: Mapped[int] = _count()
    fallbacks: Mapped[int] = _count()
    feedback: Mapped[int] = _count()
    helpful: Mapped[int] = _count()
    messages_keys: Mapped[int] = _count()
    escalations_keys: Mapped[int] = _count()
    crisis_net_keys: Mapped[int] = _count()
    text_messages_keys: Mapped[int] = _count()
    clarified_keys: Mapped[int] = _count()
    fallbacks_keys: Mapped[int] = _count()
    feedback_keys: Mapped[int] = _count()
    helpful_keys: Mapped[int] = _count()


class RollupChildren(Base):
    """Distinct children, per week or month, for every combination of locale, country and intent.

    A row counts the children active in ``start``'s period in the cell (``grouping`` says which
    of locale, country and intent it keeps; the others read ``"*"``) whose previous active
    period in that cell began on ``previous`` (``0001-01-01``: none). The children of any range
    of whole periods are then a sum: the rows in the range whose ``previous`` is before it (see
    ``bot.storage.rollups.children``). ``users_keys`` adds up the child keys, as the noise needs.
    Anonymous: counts and sums only.
    """

    __tablename__ = "rollup_children"

    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    grouping: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(LOCALE_LENGTH), primary_key=True)
    country: Mapped[str] = mapped_column(String(COUNTRY_LENGTH), primary_key=True)
    intent: Mapped[str] = mapped_column(String(INTENT_LENGTH), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    previous: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    users: Mapped[int] = _count()
    users_keys: Mapped[int] = _count()
    feedback_users: Mapped[int] = _count()
    feedback_users_keys: Mapped[int] = _count()


class RollupHorizon(Base):
    """How far the retention purge has reached: the rollups before it are sealed.

    One row (``id`` 1). Before it, events are gone and the children rollups hold no link to
    them (``bot.storage.rollups.seal``).
    """

    __tablename__ = "rollup_horizon"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    cutoff: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Reviewer(Base):
    """A person allowed to read the anonymised statistics."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ReviewerSession(Base):
    """A logged-in browser; only a hash of the cookie's token is stored."""

    __tablename__ = "reviewer_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("reviewers.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """A dashboard login, failed login or export: who and when, never a figure."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: login, login_failed, login_limited, logout or export.
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    #: The account concerned, when it exists (a failed login names the account tried).
    reviewer_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("reviewers.id", ondelete="SET NULL"), nullable=True
    )
    #: Which report was exported (period, grouping, filters); never its figures.
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_audit_log_at", "at"),)


class LoginAttempt(Base):
    """A login try, by account and address and by address, for rate limiting."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)


class ProfileRow(Base):
    """Per-child conversation state, keyed by pseudonym; /forget deletes it."""

    __tablename__ = "profiles"

    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(3))
    country_asked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: An open crisis: until when (to the hour), which intent's helplines, whether an emergency.
    crisis_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    crisis_intent: Mapped[str | None] = mapped_column(String(32))
    crisis_emergency: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: Raised by every write; a write that expected another version is refused (see profiles).
    version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default=text("1")
    )


class HandledUpdate(Base):
    """A Telegram update answered by a webhook replica: its number and the hour, nothing else.

    The primary key makes a redelivered update (Telegram sends it again after any non-2xx
    answer or timeout) answered once; see ``bot.storage.update_ledger``.
    """

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_handled_updates_handled_hour", "handled_hour"),)


class AnsweredMessage(Base):
    """A message answered as a crisis or an emergency, for judging its edits.

    Whose (pseudonym), which (its number in the child's chat), how urgently (the escalation's
    rank) and the hour; nothing else. An edit of it is answered only when it makes the message more urgent still, whichever
    replica Telegram hands the edit to. Messages answered less urgently need no row: an edit of
    one is answered exactly when it becomes a crisis, as a message without a row. ``/forget``
    deletes a child's rows, the purge the old ones.
    """

    __tablename__ = "answered_messages"

    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    urgency: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    answered_hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_answered_messages_answered_hour", "answered_hour"),)


class ForgottenPseudonym(Base):
    """A child who used ``/forget`` in the last hour: the pseudonym and when, nothing else.

    Every process's event writer refuses their events from before the forget, wherever they
    waited (another replica's queue or spool); rows older than an hour are deleted.
    """

    __tablename__ = "forgotten_pseudonyms"

    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), primary_key=True)
    forgotten_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_forgotten_pseudonyms_forgotten_at", "forgotten_at"),)
