"""Train, validate and serve Rasa 3.6 in its own Python 3.10 environment (``nlu.rasa_environment``).

Rasa pins old libraries and needs Python 3.10, so it never shares the bot's environment: it
gets a virtual environment of its own (``<data dir>/rasa-venv``) and runs as a server the bot
calls over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import yaml

from nlu.rasa_environment import RASA_VERSION, RasaEnv, RasaSetupError, rasa_process_env
from nlu.training_data import copy_rasa_files, fingerprint


def model_file(models_dir: Path, locale: str) -> Path:
    """Where a locale's trained Rasa model is saved."""
    return models_dir / f"rasa-nlu-{locale}.tar.gz"


def config_file(nlu_dir: Path, locale: str) -> Path:
    """The Rasa pipeline configuration of a locale (``config.yml`` is English)."""
    specific = nlu_dir / f"config-{locale}.yml"
    return specific if specific.is_file() else nlu_dir / "config.yml"


def _fingerprint(nlu_dir: Path, locale: str, epochs: int | None = None) -> str:
    digest = hashlib.sha256(RASA_VERSION.encode())
    digest.update(config_file(nlu_dir, locale).read_bytes())
    if epochs is not None:
        digest.update(f"epochs={epochs}".encode())
    digest.update((nlu_dir / "domain.yml").read_bytes())
    digest.update(fingerprint(nlu_dir / "training" / locale, rasa=True).encode())
    return digest.hexdigest()


def is_trained(nlu_dir: Path, models_dir: Path, locale: str, *, epochs: int | None = None) -> bool:
    """Whether a model trained from the current data and config (and ``epochs``) exists."""
    target = model_file(models_dir, locale)
    stamp = target.with_suffix(".json")
    if not target.is_file() or not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text())["fingerprint"]
        return bool(recorded == _fingerprint(nlu_dir, locale, epochs))
    except (ValueError, KeyError):
        return False


def train(
    rasa_env: RasaEnv,
    nlu_dir: Path,
    models_dir: Path,
    locale: str,
    *,
    force: bool = False,
    threads: int | None = None,
    epochs: int | None = None,
) -> tuple[Path, float]:
    """Train a locale's NLU model with ``rasa train nlu`` unless a current one exists.

    ``threads``: TensorFlow's thread pools (Rasa's ``TF_INTER_OP_PARALLELISM_THREADS`` and
    ``TF_INTRA_OP_PARALLELISM_THREADS``); by default one per core, which is fastest alone but
    thrashes when other work, or another training, shares the cores.

    ``epochs``: the DIETClassifier's epochs instead of the configuration's, for a quicker model
    of the same pipeline (the tests' servers); part of the model's fingerprint.

    Returns the model file and the seconds training took (0 when it was already current).
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    target = model_file(models_dir, locale)
    if not force and is_trained(nlu_dir, models_dir, locale, epochs=epochs):
        return target, 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"rasa-nlu-{locale}-") as data:
        config = config_file(nlu_dir, locale)
        if epochs is not None:
            config = _with_epochs(config, epochs, Path(data) / "config.yml")
        result = _train_nlu(
            rasa_env, nlu_dir, models_dir, locale, target, Path(data) / "nlu", config, threads
        )
    if result.returncode != 0 or not target.is_file():
        tail = "\n".join(result.stdout.splitlines()[-15:] + result.stderr.splitlines()[-15:])
        raise RasaSetupError(f"rasa train failed for {locale}:\n{tail}")
    seconds = time.perf_counter() - started
    target.with_suffix(".json").write_text(
        json.dumps(
            {"fingerprint": _fingerprint(nlu_dir, locale, epochs), "seconds": round(seconds, 1)}
        )
    )
    return target, seconds


def _with_epochs(config: Path, epochs: int, out: Path) -> Path:
    """A copy of a Rasa configuration whose DIETClassifier trains for ``epochs``."""
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    diet = [c for c in document.get("pipeline", []) if c.get("name") == "DIETClassifier"]
    if not diet:
        raise RasaSetupError(f"{config}: no DIETClassifier to set the epochs of")
    for component in diet:
        component["epochs"] = epochs
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return out


def _train_nlu(
    rasa_env: RasaEnv,
    nlu_dir: Path,
    models_dir: Path,
    locale: str,
    target: Path,
    data: Path,
    config: Path,
    threads: int | None,
) -> subprocess.CompletedProcess[str]:
    """``rasa train nlu`` on a copy of the locale's Rasa-format files (``data``)."""
    env = {**rasa_process_env(), "RASA_CACHE_DIRECTORY": str(models_dir / f".rasa-cache-{locale}")}
    if threads is not None:
        for name in ("TF_INTER_OP_PARALLELISM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS"):
            env[name] = str(threads)
    return subprocess.run(
        [
            str(rasa_env.rasa),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(copy_rasa_files(nlu_dir / "training" / locale, data)),
            "--domain",
            str(nlu_dir / "domain.yml"),
            "--out",
            str(models_dir),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=models_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def validate(rasa_env: RasaEnv, nlu_dir: Path, locale: str) -> subprocess.CompletedProcess[str]:
    """Run ``rasa data validate`` on a locale's Rasa-format data."""
    with tempfile.TemporaryDirectory(prefix=f"rasa-nlu-{locale}-") as data:
        return _validate(rasa_env, nlu_dir, locale, Path(data))


def _validate(
    rasa_env: RasaEnv, nlu_dir: Path, locale: str, data: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(rasa_env.rasa),
            "data",
            "validate",
            "--data",
            str(copy_rasa_files(nlu_dir / "training" / locale, data)),
            "--domain",
            str(nlu_dir / "domain.yml"),
            "--config",
            str(config_file(nlu_dir, locale)),
            "--fail-on-warnings",
        ],
        cwd=nlu_dir,
        env=rasa_process_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def serve(
    rasa_env: RasaEnv,
    model: Path,
    *,
    port: int,
    host: str = "127.0.0.1",
    log_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``rasa run --enable-api`` on host:port; returns the process (not yet ready)."""
    command = [
        str(rasa_env.rasa),
        "run",
        "--enable-api",
        "--model",
        str(model),
        "--interface",
        host,
        "--port",
        str(port),
    ]
    if log_file is None:
        return subprocess.Popen(
            command,
            cwd=model.parent,
            env=rasa_process_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    with log_file.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command,
            cwd=model.parent,
            env=rasa_process_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_ready(
    url: str, *, timeout: float = 120.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until the server answers ``/model/parse``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RasaSetupError(f"the Rasa server exited with code {process.returncode}")
        try:
            response = httpx.post(f"{url}/model/parse", json={"text": "hello"}, timeout=2.0)
            if response.status_code == 200 and "intent" in response.json():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RasaSetupError(f"the Rasa server at {url} did not become ready in {timeout:.0f} s")


def wait_while_running(processes: Sequence[subprocess.Popen[bytes]], *, poll: float = 1.0) -> None:
    """Block while every server runs; return as soon as one of them has stopped."""
    while all(p.poll() is None for p in processes):
        time.sleep(poll)


def stop(processes: Sequence[subprocess.Popen[bytes]], *, timeout: float = 15) -> None:
    """Stop servers as Ctrl-C would, killing any that has not ended within ``timeout``."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except Exception:
            process.kill()
