"""Publishing without a restart: good edits are served, bad edits never reach a child."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.engine.messages import Incoming
from bot.service.reloader import Reloader
from bot.service.runtime import Runtime, build_runtime
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_KEY, make_settings
from tests.content.test_content_check import set_text
from tests.support.botapi import BotApiStandIn, private_message
from tests.support.waiting import wait_until


def thanks_text(content_dir: Path) -> Path:
    return content_dir / "en" / "answers" / "thanks.yml"


async def runtime_on_a_content_copy(
    tmp_path: Path, models_dir: Path
) -> tuple[Path, Settings, Runtime]:
    """A started runtime reading a copy of content/ that the test may edit (no watcher)."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    settings = make_settings(tmp_path, models_dir, content_dir=content, reload_seconds=0)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    return content, settings, runtime


async def test_good_edit_is_served_and_bad_edit_is_not(
    tmp_path: Path, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content, settings, runtime = await runtime_on_a_content_copy(tmp_path, models_dir)
    try:
        reloader = Reloader(runtime.service.engine, settings)
        set_text(thanks_text(content), "Any time! I'm glad I could help. 🌟")
        review(content, "thanks", "Ana")
        reloader.poll()
        replies = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time! I'm glad I could help." in replies[0].text

        caplog.set_level(logging.INFO)
        thanks_text(content).write_text("text: [broken\n", encoding="utf-8")
        reloader.poll()
        assert reloader.rejected == 1
        replies = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time! I'm glad I could help." in replies[0].text  # the last good content
        assert "content NOT published" in caplog.text
        assert "content/en/answers/thanks.yml, line 2: the file could not be read" in caplog.text
    finally:
        await runtime.aclose()


def review(content_dir: Path, answer: str, *reviewers: str) -> None:
    """Reviewers record their review of an answer's current text with the real command."""
    for name in reviewers:
        args = ["content", "review", answer, "--locale", "en", "--by", name]
        assert main([*args, "--dir", str(content_dir)]) == 0


def publish_reviewed_thanks(tmp_path: Path, content_dir: Path, text: str) -> None:
    """Edit and review the thanks answer aside, then put it in place in one step.

    A watcher polling in between would otherwise see the edit before its review.
    """
    stage = tmp_path / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(content_dir, stage)
    set_text(thanks_text(stage), text)
    review(stage, "thanks", "Ana")
    staged = thanks_text(content_dir).with_suffix(".new")
    shutil.copy(thanks_text(stage), staged)
    staged.replace(thanks_text(content_dir))


CRISIS = "i want to kill myself"
REVIEWED = "Feelings like this can change, even if it doesn't feel like it now."
UNREVIEWED = "Feelings like this pass quickly, so just wait."


@pytest.mark.time_sensitive
async def test_an_unreviewed_crisis_answer_keeps_its_reviewed_text(
    tmp_path: Path, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content, settings, runtime = await runtime_on_a_content_copy(tmp_path, models_dir)
    try:
        reloader = Reloader(runtime.service.engine, settings)
        # An editor changes the crisis answer (written_on untouched) and, in the same round,
        # the thanks answer, which a reviewer checks at once.
        self_harm = content / "en" / "answers" / "self_harm.yml"
        text = self_harm.read_text(encoding="utf-8")
        self_harm.write_text(text.replace(REVIEWED, UNREVIEWED), encoding="utf-8")
        set_text(thanks_text(content), "Any time! I'm glad I could help. 🌟")
        review(content, "thanks", "Ana")
        caplog.set_level(logging.INFO)
        reloader.poll()

        crisis = await runtime.service.handle("t", 1, Incoming.message(CRISIS, "en"))
        assert REVIEWED in crisis[0].text and UNREVIEWED not in crisis[0].text
        thanks = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time! I'm glad I could help." in thanks[0].text  # the rest went live
        assert "answer 'self_harm' (en) changed but its new text is not reviewed yet" in caplog.text
        assert CRISIS not in caplog.text

        review(content, "self_harm", "Ana (safety)", "Ben (child protection)")
        reloader.poll()
        crisis = await runtime.service.handle("t", 2, Incoming.message(CRISIS, "en"))
        assert UNREVIEWED in crisis[0].text
    finally:
        await runtime.aclose()


@pytest.mark.time_sensitive
async def test_an_unreviewed_everyday_answer_follows_the_policy(
    tmp_path: Path, models_dir: Path
) -> None:
    content, settings, runtime = await runtime_on_a_content_copy(tmp_path, models_dir)
    try:
        reloader = Reloader(runtime.service.engine, settings)
        set_text(thanks_text(content), "Any time! I'm glad I could help. 🌟")
        reloader.poll()  # the default, refuse_publish: nothing of the new content goes live
        assert reloader.rejected == 1
        thanks = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time!" not in thanks[0].text

        policy = content / "policy.yml"
        policy.write_text(
            policy.read_text(encoding="utf-8").replace(
                "unreviewed_answers: refuse_publish", "unreviewed_answers: keep_last_reviewed"
            ),
            encoding="utf-8",
        )
        reloader.poll()  # published, with the thanks answer at its last reviewed text
        assert reloader.reloads == 1
        thanks = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time!" not in thanks[0].text
        review(content, "thanks", "Ana")
        reloader.poll()
        thanks = await runtime.service.handle("t", 1, Incoming.button("a:thanks", "en"))
        assert "Any time! I'm glad I could help." in thanks[0].text
    finally:
        await runtime.aclose()


def bot_log(tmp_path: Path) -> str:
    return (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")


def start_bot(
    tmp_path: Path, models_dir: Path, content: Path, api: BotApiStandIn, reload_seconds: str
) -> tuple[subprocess.Popen[bytes], object]:
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": "42:reload-test-token",
        "TELEGRAM_BASE_URL": api.base_url,
        "SAFEBOT_PSEUDONYM_KEY": TEST_KEY.get_secret_value(),
        "SAFEBOT_DATA_DIR": str(tmp_path),
        "SAFEBOT_MODELS_PATH": str(models_dir),
        "SAFEBOT_CONTENT_DIR": str(content),
        "SAFEBOT_RELOAD_SECONDS": reload_seconds,
    }
    log = (tmp_path / "bot.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return process, log


def stop_bot(process: subprocess.Popen[bytes], log: object, api: BotApiStandIn) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()  # type: ignore[attr-defined]
    api.stop()


def test_running_bot_publishes_without_restart(tmp_path: Path, models_dir: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    api = BotApiStandIn().start()
    process, log = start_bot(tmp_path, models_dir, content, api, "0.3")
    try:
        api.wait_for(1, method="getUpdates", timeout=90)
        publish_reviewed_thanks(tmp_path, content, "Happy to help, any time. 💙")
        wait_until(
            lambda: "content published" in bot_log(tmp_path),
            what="the watcher publishing",
            timeout=90,
        )
        api.push(private_message(77, "thank you so much!!"))
        reply = api.wait_for(1, chat_id=77)[0].params["text"]
        assert "Happy to help, any time." in reply

        # A broken edit while the bot runs: it keeps serving the last good content.
        thanks_text(content).write_text("id: thanks\ntext: |\n  <b>unclosed\n", encoding="utf-8")
        wait_until(
            lambda: "content NOT published" in bot_log(tmp_path),
            what="the watcher refusing",
            timeout=90,
        )
        api.push(private_message(77, "thanks again"))
        reply = api.wait_for(2, chat_id=77)[1].params["text"]
        assert "Happy to help, any time." in reply
        assert process.poll() is None

    finally:
        stop_bot(process, log, api)
    logs = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert "content NOT published" in logs
    assert "thanks.yml" in logs


def test_sighup_publishes_at_once(tmp_path: Path, models_dir: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    api = BotApiStandIn().start()
    process, log = start_bot(tmp_path, models_dir, content, api, "0")  # no watcher
    try:
        api.wait_for(1, method="getUpdates", timeout=90)
        publish_reviewed_thanks(tmp_path, content, "You're welcome, take care.")
        api.push(private_message(78, "thanks"))
        assert "You're welcome, take care." not in api.wait_for(1, chat_id=78)[0].params["text"]
        process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: "content published" in bot_log(tmp_path), what="SIGHUP publishing", timeout=90
        )
        api.push(private_message(78, "thank you"))
        assert "You're welcome, take care." in api.wait_for(2, chat_id=78)[1].params["text"]
    finally:
        stop_bot(process, log, api)
