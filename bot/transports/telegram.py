"""The Telegram transport: updates become :class:`Incoming`, replies go back. No rules here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import traceback
from functools import partial

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.engine import Incoming, Reply
from bot.engine.payloads import FEEDBACK
from bot.service.chat import ChatService
from bot.service.runtime import Runtime
from bot.transports.chat_order import ChatOrderedProcessor
from bot.transports.delivery import Outcome, RetryPolicy, deliver
from bot.transports.telegram_updates import ReadableUpdatesRequest

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
_RUNTIME = "runtime"
_BASE_URL = "base_url"
_MENU_TASK = "menu_task"
_DEFAULT_BASE_URL = "https://api.telegram.org/bot"
#: Tries and first pause for the command menu, which waits in the background, never the child.
_MENU_ATTEMPTS = 5
_MENU_PAUSE_SECONDS = 2.0
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

_PRIVATE = filters.ChatType.PRIVATE
_MESSAGES = filters.UpdateType.MESSAGES  # new and edited messages
_FEEDBACK = f"{FEEDBACK}:"


def _runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    runtime: Runtime = context.bot_data[_RUNTIME]
    return runtime


def _service(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    return _runtime(context).service


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url
            else InlineKeyboardButton(b.label, callback_data=b.action)
            for b in row
        ]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


def _retry_policy(context: ContextTypes.DEFAULT_TYPE) -> RetryPolicy:
    settings = _runtime(context).settings
    return RetryPolicy(settings.telegram_send_attempts, settings.telegram_retry_seconds)


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: list[Reply]) -> bool:
    """Send the replies in order; False when one of them could not be sent."""
    policy = _retry_policy(context)
    for reply in replies:
        send = partial(
            context.bot.send_message,
            chat_id,
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=_markup(reply),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        outcome = await deliver(send, policy, resend_after_timeout=reply.helpline)
        if outcome is Outcome.FAILED:
            return False
    return True


async def _send_fallback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The emergency number and helpline of the child's country, when the answer failed."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    reply = await _service(context).fallback(PLATFORM, user.id, _language(update))
    if not await _send(context, chat.id, [reply]):
        logger.error("send: the helpline fallback could not be sent either")


async def _handle(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    incoming: Incoming,
    *,
    message: Message | None = None,
) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    replies = await _service(context).handle(
        PLATFORM,
        user.id,
        incoming,
        message_id=message.message_id if message is not None else None,
        edited=update.edited_message is not None,
    )
    if not await _send(context, chat.id, replies):
        await _send_fallback(update, context)


def _language(update: Update) -> str | None:
    return update.effective_user.language_code if update.effective_user else None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message (new or edited) in a private chat."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    incoming = Incoming.message(message.text, _language(update))
    await _handle(update, context, incoming, message=message)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A slash command in a private chat (an edited one was answered already)."""
    message = update.effective_message
    if message is None or not message.text or update.edited_message is not None:
        return
    name = message.text.split()[0][1:].split("@")[0].lower()
    await _handle(update, context, Incoming.command(name, _language(update)))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on an inline button."""
    query = update.callback_query
    if query is None:
        return
    # Only stops the button's spinner: its failure must not cost the child the answer.
    await deliver(query.answer, _retry_policy(context))
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE or not isinstance(query.data, str):
        return
    if query.data.startswith(_FEEDBACK) and not _offered(query.message, query.data, context.bot.id):
        return  # "did this help?" counts only when we asked it: a forged press is not counted
    await _handle(update, context, Incoming.button(query.data, _language(update)))


def _offered(message: MaybeInaccessibleMessage | None, data: str, bot_id: int) -> bool:
    """Whether a message we sent carries a button with this data."""
    if not isinstance(message, Message) or message.from_user is None:
        return False
    if message.from_user.id != bot_id or message.reply_markup is None:
        return False
    return any(
        button.callback_data == data
        for row in message.reply_markup.inline_keyboard
        for button in row
    )


def _media_kind(message: Message) -> str:
    for kind in (
        "sticker",
        "photo",
        "voice",
        "video",
        "video_note",
        "audio",
        "document",
        "animation",
        "location",
        "contact",
        "poll",
    ):
        if getattr(message, kind, None):
            return kind
    return "other"


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files...: a kind reply; nothing is downloaded."""
    message = update.effective_message
    if message is None or update.edited_message is not None:
        return
    await _handle(update, context, Incoming.media(_media_kind(message), _language(update)))


def _for_another_bot(message: Message | None, username: str) -> bool:
    """A command addressed to another bot (``/start@other_bot``)."""
    if message is None or not message.text:
        return False
    _, at, addressee = message.text.split()[0].partition("@")
    return bool(at) and addressee.lower() != username.lower()


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command for us in a group: we only talk privately. Nothing is logged."""
    chat = update.effective_chat
    if chat is None or _for_another_bot(update.effective_message, context.bot.username):
        return
    notice = _service(context).notice("group_only", _language(update))

    async def send() -> object:
        return await context.bot.send_message(chat.id, notice.text, parse_mode=ParseMode.HTML)

    # Retried like every reply; a group that cannot be reached is no failure of the bot.
    await deliver(send, _retry_policy(context))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without its message (it could quote data), then say sorry kindly."""
    error = context.error
    frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    logger.error("update failed with %s\n%s", type(error).__name__, frames)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != update.effective_chat.PRIVATE:
        return
    try:
        # The child's answer is lost: they get the numbers that matter instead of a bare sorry.
        await _send_fallback(update, context)
    except Exception as second:  # never let the error handler raise
        logger.error("could not send the error reply (%s)", type(second).__name__)


async def start_services(application: Application, *, publish_menu: bool = True) -> None:
    """Start the runtime's background work and publish the command menu (in the background).

    Replicas behind the webhook pass ``publish_menu=False``: ``safebot webhook set`` publishes
    it once per deploy, so that ten replicas starting do not make ten rounds of calls.
    """
    runtime: Runtime = application.bot_data[_RUNTIME]
    await runtime.start()
    reloader = runtime.reloader
    if reloader is not None:
        # `kill -HUP <pid>` publishes checked content at once, without waiting for the watcher.
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reloader.reload_content)
    if publish_menu:
        application.bot_data[_MENU_TASK] = asyncio.create_task(
            _register_commands(application, runtime), name="safebot-command-menu"
        )


async def _register_commands(application: Application, runtime: Runtime) -> None:
    """Publish the command menus; failures are logged, retried a few times, never fatal.

    A bot of its own, without the rate limiter: a long "retry after" on this call must not hold
    up the children's answers, which the limiter would do.
    """
    default = runtime.settings.default_locale
    calls: list[tuple[list[BotCommand], str | None]] = []
    for language, menu in runtime.service.command_menus().items():
        commands = [BotCommand(name, description) for name, description in menu]
        calls.append((commands, language))
        if language == default:
            calls.append((commands, None))
    plain = Bot(application.bot.token, base_url=application.bot_data[_BASE_URL])
    pause = _MENU_PAUSE_SECONDS
    try:
        for attempt in range(1, _MENU_ATTEMPTS + 1):
            try:
                async with plain:
                    while calls:
                        await plain.set_my_commands(calls[0][0], language_code=calls[0][1])
                        calls.pop(0)
                return
            except TelegramError as error:
                logger.warning(
                    "setMyCommands failed (%s), attempt %d of %d; the bot runs on",
                    type(error).__name__,
                    attempt,
                    _MENU_ATTEMPTS,
                )
            await asyncio.sleep(pause)
            pause *= 2
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the menu is a convenience: nothing here may stop the bot
        logger.warning("setMyCommands failed (%s); the bot runs on", type(error).__name__)


async def stop_services(application: Application) -> None:
    """Stop the command menu task and the runtime's background work."""
    task: asyncio.Task[None] | None = application.bot_data.pop(_MENU_TASK, None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    runtime: Runtime = application.bot_data[_RUNTIME]
    await runtime.aclose()


def build_application(
    runtime: Runtime, *, token: str, base_url: str | None = None, webhook: bool = False
) -> Application:
    """The python-telegram-bot Application, wired to the runtime.

    With ``webhook`` it has no updater: the webhook server hands it each update and calls
    :func:`start_services` / :func:`stop_services` itself.
    """
    settings = runtime.settings
    builder = (
        ApplicationBuilder()
        .token(token)
        .read_timeout(settings.telegram_timeout_seconds)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_max_messages_per_second,
                max_retries=settings.telegram_max_retry_after,
            )
        )
    )
    if webhook:
        builder = builder.updater(None)
    else:
        builder = (
            builder.get_updates_request(ReadableUpdatesRequest())
            .post_init(start_services)
            .post_shutdown(stop_services)
            .concurrent_updates(ChatOrderedProcessor(settings.telegram_concurrent_updates))
        )
    if base_url:
        builder = builder.base_url(base_url)
    application = builder.build()
    application.bot_data[_RUNTIME] = runtime
    application.bot_data[_BASE_URL] = base_url or _DEFAULT_BASE_URL
    application.add_handler(MessageHandler(_PRIVATE & _MESSAGES & filters.COMMAND, on_command))
    application.add_handler(
        MessageHandler(_PRIVATE & _MESSAGES & filters.TEXT & ~filters.COMMAND, on_text)
    )
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(_PRIVATE & _MESSAGES & ~filters.TEXT, on_media))
    application.add_handler(
        MessageHandler(~_PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND, on_group)
    )
    application.add_error_handler(on_error)
    return application
