"""``safebot rasa setup|train|validate|serve``: Rasa 3.6 in its own Python 3.10 environment."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import CliError, load_settings
from bot.settings import Settings


def _locales(settings: Settings, locale: str | None) -> list[str]:
    from nlu.training_data import available_locales

    return [locale] if locale else available_locales(settings.nlu_data_dir)


def setup(settings: Settings) -> int:
    """Create Rasa's own Python 3.10 environment and install Rasa 3.6 into it."""
    from nlu import rasa_environment

    try:
        env = rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python)
    except rasa_environment.RasaSetupError as error:
        raise CliError(str(error)) from None
    print(f"Rasa {rasa_environment.RASA_VERSION} is ready in {env.venv}")
    return 0


def train(settings: Settings, *, locale: str | None = None, force: bool = False) -> int:
    """Train one Rasa NLU model per locale from nlu/training (sets Rasa up first if needed)."""
    from nlu import rasa_environment, rasa_server

    try:
        env = rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
        for each in _locales(settings, locale):
            print(f"training the Rasa model for {each}...", flush=True)
            path, seconds = rasa_server.train(
                env, settings.nlu_dir, settings.models_dir, each, force=force
            )
            note = f"{seconds:.0f} s" if seconds else "already current"
            print(f"{each}: {path} ({note})")
    except rasa_environment.RasaSetupError as error:
        raise CliError(str(error)) from None
    return 0


def validate(settings: Settings, *, locale: str | None = None) -> int:
    """Run `rasa data validate` on each locale's training data."""
    from nlu import rasa_environment, rasa_server

    try:
        env = rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
    except rasa_environment.RasaSetupError as error:
        raise CliError(str(error)) from None
    failed = False
    for each in _locales(settings, locale):
        result = rasa_server.validate(env, settings.nlu_dir, each)
        print(f"{each}: {'valid' if result.returncode == 0 else 'INVALID'}")
        if result.returncode != 0:
            failed = True
            print("\n".join((result.stdout + result.stderr).splitlines()[-20:]))
    return 1 if failed else 0


def serve(
    settings: Settings, *, locale: str | None = None, host: str = "127.0.0.1", port: int = 5005
) -> int:
    """Serve one Rasa model per locale on 127.0.0.1 (`rasa run --enable-api`) until Ctrl-C."""
    from nlu import rasa_environment, rasa_server

    processes = []
    try:
        env = rasa_environment.setup(settings.rasa_venv, python=settings.rasa_python, quiet=True)
        urls = []
        for offset, each in enumerate(_locales(settings, locale)):
            model, _ = rasa_server.train(env, settings.nlu_dir, settings.models_dir, each)
            log = settings.data_dir / f"rasa-{each}.log"
            process = rasa_server.serve(env, model, port=port + offset, host=host, log_file=log)
            processes.append(process)
            url = f"http://{host}:{port + offset}"
            rasa_server.wait_ready(url, process=process)
            urls.append(f"{each}={url}")
            print(f"{each}: serving at {url} (log: {log})", flush=True)
        print(f'\nexport SAFEBOT_RASA_URL="{";".join(urls)}"\nPress Ctrl-C to stop.', flush=True)
        rasa_server.wait_while_running(processes)
        raise CliError("a Rasa server stopped; see its log in the data directory")
    except rasa_environment.RasaSetupError as error:
        raise CliError(str(error)) from None
    finally:
        rasa_server.stop(processes)


def register(sub: Any) -> None:
    """Add ``rasa`` and its sub-commands to ``safebot``'s sub-commands."""
    rasa = sub.add_parser("rasa", help="set up, train, validate and serve Rasa (Python 3.10)")
    rasa_sub = rasa.add_subparsers(dest="rasa_command", required=True)

    parser = rasa_sub.add_parser("setup", help=setup.__doc__)
    parser.set_defaults(func=lambda args: setup(load_settings()))

    parser = rasa_sub.add_parser("train", help=train.__doc__)
    parser.add_argument("--locale", default=None)
    parser.add_argument("--force", action="store_true", help="train even if current")
    parser.set_defaults(
        func=lambda args: train(load_settings(), locale=args.locale, force=args.force)
    )

    parser = rasa_sub.add_parser("validate", help=validate.__doc__)
    parser.add_argument("--locale", default=None)
    parser.set_defaults(func=lambda args: validate(load_settings(), locale=args.locale))

    parser = rasa_sub.add_parser("serve", help=serve.__doc__)
    parser.add_argument("--locale", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    return serve(load_settings(), locale=args.locale, host=args.host, port=args.port)
