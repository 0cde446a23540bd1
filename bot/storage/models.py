"""Database tables. Nothing here can hold message text or a platform user id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, MetaData, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Event(Base):
    """One handled message, anonymised: when (to the hour), who (pseudonym), what (intent)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
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

    __table_args__ = (
        Index("ix_events_hour", "hour"),
        Index("ix_events_pseudonym", "pseudonym"),
    )


class ProfileRow(Base):
    """Per-child conversation state, keyed by pseudonym; /forget deletes it."""

    __tablename__ = "profiles"

    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(3))
    country_asked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    crisis_replies_left: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    checkin_pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
