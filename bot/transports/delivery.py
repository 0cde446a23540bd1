"""Getting a message to Telegram under faults: retried where that cannot duplicate it.

429s are waited out by python-telegram-bot's ``AIORateLimiter``. Here: a network error or a
5xx is tried again a few times with a growing pause, since Telegram did not take the message.
A read timeout is different: the request reached Telegram, which may have sent the message and
only answered late, or may have lost it. No error text follows it, and the choice is made per
message: one that carries the helpline is sent once more (a child who reads the crisis answer
twice is far better off than one who never gets it); any other is not sent again, since the
child would most likely read it twice.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from telegram.error import NetworkError, TelegramError, TimedOut

logger = logging.getLogger(__name__)

#: Timeouts raised before the request was fully sent: Telegram cannot have acted on it.
_NOT_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)


class Outcome(enum.Enum):
    """What became of one message."""

    SENT = "sent"
    #: Telegram got the request but did not answer in time: it may well have been delivered.
    UNCERTAIN = "uncertain"
    FAILED = "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """How often a message is tried, and the first pause between tries (doubled each time)."""

    attempts: int = 3
    first_pause: float = 0.5


def _may_have_arrived(error: TimedOut) -> bool:
    return not isinstance(error.__cause__, _NOT_SENT)


async def deliver(
    send: Callable[[], Awaitable[object]],
    policy: RetryPolicy,
    *,
    resend_after_timeout: bool = False,
) -> Outcome:
    """Send once, retrying network errors and 5xx; never raises a Telegram error.

    With ``resend_after_timeout`` a read timeout (the message may or may not have arrived) is
    followed by one more send, even when it was the last attempt. Only the error's class is
    logged: its message can quote Telegram's answer.
    """
    pause = policy.first_pause
    attempts = max(1, policy.attempts)
    failure = "none"
    resent = not resend_after_timeout
    attempt = 0
    while attempt < attempts:
        attempt += 1
        try:
            await send()
            return Outcome.SENT
        except TimedOut as error:
            if _may_have_arrived(error):
                if resent:
                    logger.warning("send: Telegram answered too late; not sent again")
                    return Outcome.UNCERTAIN
                # Lost or only late, nobody can tell: one more copy of a helpline message.
                logger.warning("send: Telegram answered too late; a helpline message is resent")
                resent = True
                attempts = max(attempts, attempt + 1)
                continue
            failure = type(error).__name__
        except NetworkError as error:  # connection trouble and 5xx
            failure = type(error).__name__
        except TelegramError as error:  # refused (bad request, blocked, rate limit left over)
            logger.warning("send: refused by Telegram (%s)", type(error).__name__)
            return Outcome.FAILED
        if attempt < attempts:
            logger.warning(
                "send: attempt %d of %d failed (%s); trying again in %.2f s",
                attempt,
                attempts,
                failure,
                pause,
            )
            await asyncio.sleep(pause)
            pause *= 2
    logger.error("send: gave up after %d attempts (%s)", attempts, failure)
    return Outcome.FAILED
