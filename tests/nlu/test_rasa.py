"""A real Rasa 3.6 server, trained from the repository's data, behind the bot's classifier."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.engine.messages import Incoming
from bot.service.runtime import build_runtime
from bot.settings import PROJECT_ROOT, Settings
from nlu import rasa_environment, rasa_server
from nlu.rasa_classifier import FALLBACK_ENGINE, RasaClassifier, RasaUnavailable
from nlu.training_data import available_locales, read_nlu_file
from tests.conftest import TEST_KEY, make_settings
from tests.support.locking import exclusive

#: One worker runs every Rasa test, so the servers (about 800 MB each) start once: scripts/test.sh
#: hands out whole files, and tests/conftest.py puts the tests of this group first.
pytestmark = pytest.mark.xdist_group("rasa")

#: Measured 0.90-0.93 on the English test file with the pipeline in nlu/config.yml, and 0.88
#: with its DIETClassifier trained for TEST_EPOCHS.
MIN_RASA_ACCURACY = 0.80
#: The tests' servers run the project's pipeline with fewer DIETClassifier epochs than its 60:
#: in CI, beside the other test worker, the two models took 10 to 20 minutes at 60 epochs, and a
#: third of that at 20. The shipped configuration's own figures are benchmarks/compare_engines.py's.
TEST_EPOCHS = 20
#: Where the tests' models go: apart from a developer's own (``var/models``), which are trained
#: for the configuration's epochs.
TEST_MODELS_DIR = PROJECT_ROOT / "var" / "test-rasa-models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def rasa_env() -> rasa_environment.RasaEnv:
    # The default data directory, so that repeated local runs reuse the environment and model.
    settings = Settings()
    with exclusive("rasa-env"):
        return rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)


#: The locales this worker serves Rasa for (two servers: one model per locale).
SERVED = ("en", "ru")


@pytest.fixture(scope="session")
def rasa_models(rasa_env: rasa_environment.RasaEnv) -> dict[str, Path]:
    """The served locales' models, trained at the same time, one TensorFlow thread each.

    Training is most of this worker's time in CI: with TensorFlow's default thread pools the
    pools fight the other worker for the cores, and at the configuration's 60 epochs the pair
    took up to 20 minutes; at TEST_EPOCHS one model takes about 2.5 minutes alone.
    """
    settings = Settings()

    def one(locale: str) -> Path:
        with exclusive(f"rasa-model-{locale}"):
            model, _ = rasa_server.train(
                rasa_env, settings.nlu_dir, TEST_MODELS_DIR, locale, threads=1, epochs=TEST_EPOCHS
            )
        return model

    with ThreadPoolExecutor(max_workers=len(SERVED)) as pool:
        return dict(zip(SERVED, pool.map(one, SERVED), strict=True))


def _serve(
    rasa_env: rasa_environment.RasaEnv,
    model: Path,
    locale: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp(f"rasa-{locale}") / "rasa.log"
    process = rasa_server.serve(rasa_env, model, port=port, log_file=log)
    url = f"http://127.0.0.1:{port}"
    try:
        rasa_server.wait_ready(url, process=process, timeout=240)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def rasa_url(
    rasa_env: rasa_environment.RasaEnv,
    rasa_models: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    yield from _serve(rasa_env, rasa_models["en"], "en", tmp_path_factory)


@pytest.fixture(scope="session")
def rasa_ru_url(
    rasa_env: rasa_environment.RasaEnv,
    rasa_models: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A second server with the Russian model: Rasa cannot mix languages in one model."""
    yield from _serve(rasa_env, rasa_models["ru"], "ru", tmp_path_factory)


async def test_one_rasa_model_per_locale_selected_by_locale(
    rasa_url: str, rasa_ru_url: str, tmp_path: Path, models_dir: Path
) -> None:
    urls = f"en={rasa_url};ru={rasa_ru_url}"
    settings = make_settings(tmp_path, models_dir, rasa_url=urls)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    try:
        service = runtime.service
        ru = await service.handle(
            "t", 11, Incoming.message("какой-то взрослый из игры просит мой адрес и фото", "ru")
        )
        assert "a:get_help" in [b.action for b in ru[0].all_buttons()]  # grooming, escalated
        en = await service.handle("t", 12, Incoming.message("someone hacked my instagram", "en"))
        assert en[0].text
        # Ukrainian has no Rasa server here: the embedded model answers, recorded as such.
        await service.handle("t", 13, Incoming.message("мене цькують у школі", "uk"))
        await service.events.flush()
        with runtime.database.connect() as connection:
            rows: dict[str, str] = dict(
                connection.exec_driver_sql("select locale, engine from events").all()
            )
        assert rows == {"ru": "rasa", "en": "rasa", "uk": "spacy"}
    finally:
        await runtime.aclose()


def test_fewer_epochs_train_the_same_pipeline_under_another_fingerprint(tmp_path: Path) -> None:
    import yaml

    settings = Settings()
    config = rasa_server.config_file(settings.nlu_dir, "ru")
    quick = yaml.safe_load(rasa_server._with_epochs(config, 7, tmp_path / "c.yml").read_text())
    shipped = yaml.safe_load(config.read_text())
    diet = next(c for c in quick["pipeline"] if c["name"] == "DIETClassifier")
    assert diet["epochs"] == 7
    assert [c["name"] for c in quick["pipeline"]] == [c["name"] for c in shipped["pipeline"]]
    assert quick["language"] == shipped["language"] == "ru"
    # A quick model is never taken for one trained as configured, nor the other way round.
    assert rasa_server._fingerprint(settings.nlu_dir, "ru", 7) != rasa_server._fingerprint(
        settings.nlu_dir, "ru"
    )


def test_python310_is_found_in_code() -> None:
    python = rasa_environment.find_python310()
    version = subprocess.run([str(python), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")


def test_missing_python310_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no python3.10, no pyenv
    with pytest.raises(rasa_environment.RasaSetupError, match=r"pyenv install 3\.10"):
        rasa_environment.find_python310()


@pytest.mark.parametrize("locale", available_locales(PROJECT_ROOT / "nlu" / "training"))
def test_rasa_data_validate_passes(rasa_env: rasa_environment.RasaEnv, locale: str) -> None:
    result = rasa_server.validate(rasa_env, PROJECT_ROOT / "nlu", locale)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


async def test_rasa_classifies_the_test_file(rasa_url: str) -> None:
    examples = read_nlu_file(PROJECT_ROOT / "nlu" / "testsets" / "en" / "test_nlu.yml")
    classifier = RasaClassifier({"en": rasa_url}, timeout_seconds=10)
    try:
        results = [await classifier.classify(e.text, "en") for e in examples]
    finally:
        await classifier.aclose()
    assert all(r.engine == "rasa" for r in results)
    accuracy = sum(r.intent == e.intent for r, e in zip(results, examples, strict=True)) / len(
        examples
    )
    assert accuracy >= MIN_RASA_ACCURACY, accuracy


async def test_the_bot_answers_through_rasa_with_the_crisis_net_on_top(
    rasa_url: str, tmp_path: Path, models_dir: Path
) -> None:
    settings = make_settings(tmp_path, models_dir, rasa_url=rasa_url)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    try:
        service = runtime.service
        replies = await service.handle(
            "test", 1, Incoming.message("someone hacked my roblox account", "en")
        )
        assert replies[0].text
        crisis = await service.handle(
            "test", 2, Incoming.message("i just want to disappear forever, i cant do this", "en")
        )
        assert "🚨" in crisis[0].text
        await service.events.flush()
        with runtime.database.connect() as connection:
            engines = {row[0] for row in connection.exec_driver_sql("select engine from events")}
        assert engines == {"rasa"}
    finally:
        await runtime.aclose()


class SlowServer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(2.0)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"intent": {"name": "greet", "confidence": 1.0}}')

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def slow_rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowServer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("which", ["down", "slow"])
async def test_slow_or_down_rasa_falls_back_silently(
    which: str, slow_rasa: str, tmp_path: Path, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = slow_rasa if which == "slow" else f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, models_dir, rasa_url=url, rasa_timeout_seconds=0.3)
    runtime = build_runtime(settings, pseudonym_key=TEST_KEY)
    await runtime.start()
    marker = "penguin-marker-77"
    try:
        started = time.perf_counter()
        replies = await runtime.service.handle(
            "test", 3, Incoming.message(f"my {marker} account got hacked", "en")
        )
        elapsed = time.perf_counter() - started
        assert replies[0].text and "Which of these" not in replies[0].text
        assert elapsed < 1.5  # the child does not wait for the dead server
        await runtime.service.events.flush()
        with runtime.database.connect() as connection:
            engines = [row[0] for row in connection.exec_driver_sql("select engine from events")]
        assert engines == [FALLBACK_ENGINE]
    finally:
        await runtime.aclose()
    assert "rasa fallback" in caplog.text
    assert marker not in caplog.text


async def test_unserved_locale_is_reported(rasa_url: str) -> None:
    classifier = RasaClassifier({"en": rasa_url})
    with pytest.raises(RasaUnavailable):
        await classifier.classify("привет", "ru")
    await classifier.aclose()


def test_cli_classify_and_evaluate_with_rasa(
    rasa_url: str, tmp_path: Path, models_dir: Path
) -> None:
    env = {
        **os.environ,
        "SAFEBOT_RASA_URL": rasa_url,
        "SAFEBOT_DATA_DIR": str(tmp_path),
        # The risk models come from the session's trained models, not a fresh training run.
        "SAFEBOT_MODELS_PATH": str(models_dir),
    }
    classify = subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify", "--engine", "rasa"],
        input="hello\ni want to kill myself\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert classify.returncode == 0, classify.stderr
    rows = [json.loads(line) for line in classify.stdout.splitlines()]
    assert rows[1]["intent"] == "self_harm" and rows[1]["escalate"] is True
    png = tmp_path / "confusion.png"
    evaluate = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "evaluate",
            "--engine",
            "rasa",
            "--locale",
            "en",
            "--json",
            "--confusion",
            str(png),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert evaluate.returncode == 0, evaluate.stderr
    report = json.loads(evaluate.stdout)
    assert report["engine"] == "rasa" and report["examples"] == 325  # 300 + 25 abuse items
    assert 0.0 < report["macro_f1"] <= 1.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
