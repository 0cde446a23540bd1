"""One settings object for the whole product, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration of safebot; every field can be set as ``SAFEBOT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SAFEBOT_", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "var"
    content_dir: Path = PROJECT_ROOT / "content"
    nlu_dir: Path = PROJECT_ROOT / "nlu"
    database_url: str | None = None
    #: Trained classifier artefacts; default ``<data_dir>/models``.
    models_path: Path | None = None
    pseudonym_key: SecretStr | None = None
    default_locale: str = "en"
    log_level: str = "INFO"

    # Classification thresholds: below ``clarify_below`` the child is asked with buttons.
    clarify_below: float = 0.3
    band_high: float = 0.8
    band_medium: float = 0.5
    # A self_harm score at or above this leads to the crisis answer even when another
    # intent scores higher: a false alarm is kinder than a missed crisis.
    self_harm_floor: float = 0.5
    # When grooming, intimate_images and self_harm together score at least this, the reply
    # shows the helpline whatever the top intent is.
    escalate_mass_floor: float = 0.6
    # The risk model (beside the topic classifier): a score at or above ``risk_escalate_at``
    # escalates whatever the topic; one at or above ``risk_ask_at`` asks the child directly
    # ("are you thinking about killing yourself?"). Set for recall: benchmarks/RESULTS.md.
    risk_escalate_at: float = 0.8
    risk_ask_at: float = 0.6
    # A risk topic the topic classifier is at least this sure of escalates without the risk
    # model; below it, and with the risk model unconvinced, the child picks the topic.
    topic_sure_at: float = 0.5
    # Below this, a lean to a risk topic that the risk model does not confirm is no lean: the
    # best other topic answers, without the helpline (0.4: no opened crisis test message needed
    # the helpline from a lean below it; 12 harmless ones lost a false alarm). RESULTS.md.
    topic_lean_at: float = 0.4
    # The urgency model (trained with the risk model): a score at or above this makes a risk
    # the crisis net or the risk model heard an emergency, with the emergency number first.
    urgency_at: float = 0.3
    # Who writes and the narrower topic (``nlu.roles``, ``nlu.facets``): a friend, parent or
    # bully, or a facet, gets the answer written for it from these scores on. The role is set
    # for precision: a child given a friend's answer is worse off than a parent given a child's.
    role_at: float = 0.7
    facet_at: float = 0.5
    # A facet the facet model is sure of settles the topic whenever the topic classifier is
    # less sure than this (and nothing is urgent): "300 calories a day... pro ana accounts"
    # read as grooming at 0.51 gets the answer about eating. Measured: benchmarks/RESULTS.md.
    facet_settles_below: float = 0.7
    # After a crisis or emergency reply, every reply keeps the helpline for this many hours;
    # only /forget or the end of this time closes the crisis.
    crisis_open_hours: float = 24.0
    # Longest text we classify; longer messages are still answered, never dropped.
    max_classify_chars: int = 2000

    # Rasa: "http://127.0.0.1:5005" (English) or "en=http://...;ru=http://...". Unset: spaCy only.
    rasa_url: str | None = None
    # Rasa's ``--auth-token``: sent as the ``token`` query parameter of every request (never
    # logged). Unset: no token is sent (a Rasa reachable by the bot alone, on 127.0.0.1).
    rasa_token: SecretStr | None = None
    # Well under a second: past it, the embedded model answers instead.
    rasa_timeout_seconds: float = 0.5
    # Rasa's share when both engines classify (SAFEBOT_RASA_URL set): 1 is Rasa alone, with the
    # embedded model only as its fallback; below 1 both rank every message and the rankings are
    # averaged with this weight (benchmarks/compare_engines.py measures each against both alone).
    rasa_weight: float = 1.0
    # A Python 3.10 interpreter for Rasa's own environment; found via PATH or pyenv if unset.
    rasa_python: str | None = None

    # How often the running bot looks for published content and retrained models (0: never).
    reload_seconds: float = 2.0

    # Event logging must never delay a reply.
    event_queue_size: int = 10_000
    # Also the statement and lock timeout of every PostgreSQL connection (SQLite: busy timeout).
    db_timeout_seconds: float = 1.5
    # After this many failed profile reads or writes in a row the database is not asked for
    # ``db_breaker_seconds``: children are answered with defaults at once instead of waiting.
    db_breaker_failures: int = 3
    db_breaker_seconds: float = 5.0

    # Sending to Telegram: how long to wait for its answer to one request, how many times a
    # message is tried on a network error or a 5xx (429s are waited out by the rate limiter),
    # and the first pause between tries (doubled each time).
    telegram_timeout_seconds: float = 5.0
    telegram_send_attempts: int = 3
    telegram_retry_seconds: float = 0.5
    # How many times one request waits out Telegram's "retry after" before giving up.
    telegram_max_retry_after: int = 3
    # Our own cap on messages sent per second (0: none). Replies are not broadcasts: with a
    # cap of Telegram's bulk limit (30/s) every child queued behind it at busy times (issue 12);
    # without one, Telegram's own 429s are waited out, and groups keep their 20 a minute.
    telegram_max_messages_per_second: float = 0.0
    # How many children's messages are handled at once (one child's always one by one, in order).
    telegram_concurrent_updates: int = 64

    telegram_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_TOKEN", "SAFEBOT_TELEGRAM_TOKEN")
    )
    telegram_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BASE_URL", "SAFEBOT_TELEGRAM_BASE_URL"),
    )

    # -- webhook mode (`safebot serve`, `safebot webhook set`) --
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token with every update; never logged.
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET", "SAFEBOT_TELEGRAM_WEBHOOK_SECRET"),
    )
    # How many updates Telegram may have in flight at once, over all replicas (1-100).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # How long an update waits for the same child's turn on another replica before Telegram
    # is told to send it again (503).
    webhook_lock_timeout_seconds: float = 30.0
    # `safebot serve` migrates the schema at start only when this is true (else `safebot migrate`).
    migrate_on_start: bool = False
    # "text" or "json" (one JSON object per line, for log collectors).
    log_format: Literal["text", "json"] = "text"

    @field_validator("database_url", "rasa_url")
    @classmethod
    def _empty_url_is_default(cls, value: str | None) -> str | None:
        return value or None

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'safebot.sqlite3'}"

    @property
    def event_spool_path(self) -> Path:
        """Events waiting on disk while the database cannot take them."""
        return self.data_dir / "events-spool.jsonl"

    @property
    def secret_values(self) -> list[str]:
        """Every secret set (bot token, webhook secret, Rasa token, pseudonym key), to mask in logs."""
        secrets = (
            self.telegram_token,
            self.telegram_webhook_secret,
            self.rasa_token,
            self.pseudonym_key,
        )
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]

    @property
    def models_dir(self) -> Path:
        """Where trained classifier artefacts are kept."""
        return self.models_path or self.data_dir / "models"

    @property
    def nlu_data_dir(self) -> Path:
        """The Rasa-format training data, one folder per locale."""
        return self.nlu_dir / "training"

    @property
    def nlu_testsets_dir(self) -> Path:
        """Held-out test sets, one folder per locale; never trained on."""
        return self.nlu_dir / "testsets"

    @property
    def rasa_venv(self) -> Path:
        """Rasa's own Python 3.10 virtual environment."""
        return self.data_dir / "rasa-venv"

    @property
    def crisis_rules_dir(self) -> Path:
        """The crisis safety-net rules, one file per locale."""
        return self.nlu_dir / "crisis_rules"

    # -- reviewers' statistics --
    # Any figure computed from fewer distinct children than this is shown as "<k".
    min_cell_users: int = 5
    # Events and profiles older than this are deleted by `safebot purge` (and daily by the bot).
    retention_days: int = 365
    # Hours between the running bot's purges (0: the bot never purges by itself).
    purge_interval_hours: float = 24.0
    # Dashboard sessions end after this long without a request, and in any case after max hours.
    session_idle_minutes: float = 30.0
    session_max_hours: float = 8.0
    # Login tries allowed per account and client address within the window (four times as many
    # per address).
    login_max_failures: int = 5
    login_window_minutes: float = 15.0
    # Addresses of reverse proxies in front of the dashboard, comma-separated: only from these
    # is X-Forwarded-For believed for the client's address (empty: never).
    dashboard_trusted_proxies: str = ""
    # Seconds the dashboard keeps a page's figures for the next reviewer with the same filters
    # (0: every page is computed afresh, as the benchmark of pages at ten million events does).
    dashboard_cache_seconds: float = Field(default=60.0, ge=0)

    @field_validator("min_cell_users")
    @classmethod
    def _cells_of_at_least_three(cls, value: int) -> int:
        if value < 3:
            raise ValueError("SAFEBOT_MIN_CELL_USERS must be 3 or more")
        return value

    @field_validator("telegram_concurrent_updates")
    @classmethod
    def _at_least_one_update(cls, value: int) -> int:
        if value < 1:
            raise ValueError("SAFEBOT_TELEGRAM_CONCURRENT_UPDATES must be 1 or more")
        return value

    @field_validator("rasa_weight")
    @classmethod
    def _a_share(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("SAFEBOT_RASA_WEIGHT must be between 0 and 1")
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention_of_a_day_or_more(cls, value: int) -> int:
        if value < 1:
            raise ValueError("SAFEBOT_RETENTION_DAYS must be 1 or more")
        return value

    # -- end of reviewers' statistics --
