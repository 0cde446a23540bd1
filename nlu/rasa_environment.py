"""Rasa's own Python 3.10 environment: finding the interpreter and installing Rasa 3.6 into it.

Standard library only, so that ``scripts/test.sh`` can start the long install (about 2 GB of
wheels) in the background with the machine's ``python3`` while the project's own environment
installs: ``python3 -m nlu.rasa_environment VENV`` (the Rasa tests wait for it under one lock).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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


def rasa_process_env() -> dict[str, str]:
    """The environment for Rasa's processes: none of the bot's Python settings."""
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
        subprocess.run(
            [str(interpreter), "-m", "venv", str(venv)], check=True, env=rasa_process_env()
        )
    pip = [str(rasa_env.python), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("-q")
    result = subprocess.run([*pip, f"rasa=={RASA_VERSION}"], env=rasa_process_env(), check=False)
    if result.returncode != 0 or not rasa_env.installed():
        raise RasaSetupError(f"pip could not install rasa=={RASA_VERSION} into {venv}")
    return rasa_env


def main(argv: list[str] | None = None) -> int:
    """Install Rasa into the given virtual environment; print why not and exit 1 when it fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path, help="the virtual environment to create or complete")
    parser.add_argument("--python", help="a Python 3.10 interpreter (found in code otherwise)")
    args = parser.parse_args(argv)
    try:
        setup(args.venv, python=args.python or None, quiet=True)
    except (RasaSetupError, subprocess.CalledProcessError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Rasa {RASA_VERSION} is ready in {args.venv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
