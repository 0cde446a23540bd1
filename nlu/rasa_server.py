"""Set up, train and serve Rasa 3.6 in its own Python 3.10 environment.

Rasa pins old libraries and needs Python 3.10, so it never shares the bot's environment: it
gets a virtual environment of its own (``<data dir>/rasa-venv``) and runs as a server the bot
calls over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from nlu.training_data import copy_rasa_files, fingerprint

RASA_VERSION = "3.6.21"
PYTHON_SERIES = "3.10"


class RasaSetupError(RuntimeError):
    """Rasa cannot be set up here; the message says what to do."""


def find_python310(explicit: str | None = None) -> Path:
    """Find a Python 3.10 interpreter: the given path, ``python3.10`` on PATH, or pyenv."""
    candidates: list[str] = []
    if explicit:
        candidates.append(explicit)
    on_path = shutil.which(f"python{PYTHON_SERIES}")
    if on_path:
        candidates.append(on_path)
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        versions = sorted(
            (v for v in listed if re.fullmatch(rf"{re.escape(PYTHON_SERIES)}\.\d+", v)),
            key=lambda v: int(v.rsplit(".", 1)[1]),
            reverse=True,
        )
        for version in versions:
            prefix = subprocess.run(
                [pyenv, "prefix", version], capture_output=True, text=True, check=False
            ).stdout.strip()
            if prefix:
                candidates.append(str(Path(prefix) / "bin" / "python3"))
    for candidate in candidates:
        if _is_python310(candidate):
            return Path(candidate)
    raise RasaSetupError(
        "Rasa 3.6 needs Python 3.10, and none was found. Install it (for example "
        "`pyenv install 3.10.13`, or your system's python3.10 package), or point "
        "SAFEBOT_RASA_PYTHON at a Python 3.10 interpreter."
    )


def _is_python310(path: str) -> bool:
    try:
        result = subprocess.run(
            [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == PYTHON_SERIES


@dataclass(frozen=True)
class RasaEnv:
    """A virtual environment with Rasa installed."""

    venv: Path

    @property
    def rasa(self) -> Path:
        """The ``rasa`` command of the environment."""
        return self.venv / "bin" / "rasa"

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.venv / "bin" / "python"

    def installed(self) -> bool:
        """Whether Rasa is installed at the expected version."""
        if not self.python.exists():
            return False
        result = subprocess.run(
            [str(self.python), "-c", "import importlib.metadata as m; print(m.version('rasa'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() == RASA_VERSION


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The bot's environment must not leak into Rasa's.
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYENV_VERSION"):
        env.pop(name, None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def setup(venv: Path, *, python: str | None = None, quiet: bool = False) -> RasaEnv:
    """Create the Python 3.10 virtual environment and install Rasa into it (idempotent)."""
    rasa_env = RasaEnv(venv)
    if rasa_env.installed():
        return rasa_env
    interpreter = find_python310(python)
    if not rasa_env.python.exists():
        subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True, env=_env())
    pip = [str(rasa_env.python), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("-q")
    result = subprocess.run([*pip, f"rasa=={RASA_VERSION}"], env=_env(), check=False)
    if result.returncode != 0 or not rasa_env.installed():
        raise RasaSetupError(f"pip could not install rasa=={RASA_VERSION} into {venv}")
    return rasa_env


def model_file(models_dir: Path, locale: str) -> Path:
    """Where a locale's trained Rasa model is saved."""
    return models_dir / f"rasa-nlu-{locale}.tar.gz"


def config_file(nlu_dir: Path, locale: str) -> Path:
    """The Rasa pipeline configuration of a locale (``config.yml`` is English)."""
    specific = nlu_dir / f"config-{locale}.yml"
    return specific if specific.is_file() else nlu_dir / "config.yml"


def _fingerprint(nlu_dir: Path, locale: str) -> str:
    digest = hashlib.sha256(RASA_VERSION.encode())
    digest.update(config_file(nlu_dir, locale).read_bytes())
    digest.update((nlu_dir / "domain.yml").read_bytes())
    digest.update(fingerprint(nlu_dir / "training" / locale, rasa=True).encode())
    return digest.hexdigest()


def is_trained(nlu_dir: Path, models_dir: Path, locale: str) -> bool:
    """Whether a model trained from the current data and config exists."""
    target = model_file(models_dir, locale)
    stamp = target.with_suffix(".json")
    if not target.is_file() or not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text())["fingerprint"] == _fingerprint(nlu_dir, locale)
    except (ValueError, KeyError):
        return False


def train(
    rasa_env: RasaEnv, nlu_dir: Path, models_dir: Path, locale: str, *, force: bool = False
) -> tuple[Path, float]:
    """Train a locale's NLU model with ``rasa train nlu`` unless a current one exists.

    Returns the model file and the seconds training took (0 when it was already current).
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    target = model_file(models_dir, locale)
    if not force and is_trained(nlu_dir, models_dir, locale):
        return target, 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"rasa-nlu-{locale}-") as data:
        result = _train_nlu(rasa_env, nlu_dir, models_dir, locale, target, Path(data))
    if result.returncode != 0 or not target.is_file():
        tail = "\n".join(result.stdout.splitlines()[-15:] + result.stderr.splitlines()[-15:])
        raise RasaSetupError(f"rasa train failed for {locale}:\n{tail}")
    seconds = time.perf_counter() - started
    target.with_suffix(".json").write_text(
        json.dumps({"fingerprint": _fingerprint(nlu_dir, locale), "seconds": round(seconds, 1)})
    )
    return target, seconds


def _train_nlu(
    rasa_env: RasaEnv, nlu_dir: Path, models_dir: Path, locale: str, target: Path, data: Path
) -> subprocess.CompletedProcess[str]:
    """``rasa train nlu`` on a copy of the locale's Rasa-format files (``data``)."""
    return subprocess.run(
        [
            str(rasa_env.rasa),
            "train",
            "nlu",
            "--config",
            str(config_file(nlu_dir, locale)),
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
        env={**_env(), "RASA_CACHE_DIRECTORY": str(models_dir / ".rasa-cache")},
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
        env=_env(),
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
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    with log_file.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, cwd=model.parent, env=_env(), stdout=output, stderr=subprocess.STDOUT
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
