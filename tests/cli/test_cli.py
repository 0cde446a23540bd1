"""The ``safebot`` command line, run as a real process."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from bot.settings import PROJECT_ROOT
from nlu.crisis_evaluation import read_crisis_file
from tests.support.cli import safebot


def test_classify_writes_one_json_object_per_line(tmp_path: Path, models_dir: Path) -> None:
    env = {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_MODELS_PATH": str(models_dir)}
    lines = [
        "hello!!",
        "i want to die",
        "a man on discord keeps asking where i live and says keep it secret",
        "Hello, I am a mum. An adult man on Roblox is asking my 11 year old daughter for photos.",
    ]
    result = safebot("classify", "--locale", "en", stdin="\n".join(lines) + "\n", env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    keys = {"intent", "confidence", "escalate", "emergency", "urgency", "ask_directly"}
    keys |= {"role", "facet"}
    assert all(set(row) == keys for row in rows)
    assert rows[0]["intent"] == "greet" and rows[0]["escalate"] is False
    assert rows[1] == {**rows[1], "intent": "self_harm", "escalate": True, "urgency": "crisis"}
    assert rows[2]["escalate"] is True and rows[2]["emergency"] is False
    assert rows[2]["role"] == "self" and rows[3]["role"] == "parent"


def test_classify_reports_emergencies_and_the_direct_question(
    tmp_path: Path, models_dir: Path
) -> None:
    env = {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_MODELS_PATH": str(models_dir)}
    lines = ["im going to jump off the bridge tonight", "whats even the point of anything"]
    result = safebot("classify", "--locale", "en", stdin="\n".join(lines) + "\n", env=env)
    assert result.returncode == 0, result.stderr
    emergency, asked = (json.loads(line) for line in result.stdout.splitlines())
    assert emergency["emergency"] is True and emergency["urgency"] == "emergency"
    # The direct question already shows the helpline, so it escalates.
    assert asked["ask_directly"] is True and asked["escalate"] is True


def test_content_check_exit_codes(tmp_path: Path) -> None:
    ok = safebot("content", "check")
    assert ok.returncode == 0, ok.stdout
    assert "Content OK" in ok.stdout
    broken = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", broken)
    (broken / "en" / "answers" / "self_harm.yml").unlink()
    bad = safebot("content", "check", str(broken))
    assert bad.returncode == 1
    assert "'en' has no answer for 'self_harm'" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


def test_stats_suppresses_small_counts(tmp_path: Path) -> None:
    from bot.storage.database import make_engine, upgrade
    from tests.stats.test_stats import (
        COMPLEMENT_HIDDEN,
        check_rows,
        parse_table,
        seed_complement_case,
    )

    engine = make_engine(f"sqlite:///{tmp_path / 'safebot.sqlite3'}")
    upgrade(engine)
    seed_complement_case(engine)
    engine.dispose()
    env = {"SAFEBOT_DATA_DIR": str(tmp_path)}
    table = safebot("stats", "--since", "2026-11-01", "--until", "2026-11-15", env=env)
    assert table.returncode == 0, table.stderr
    # Whole weeks only: the Sunday asked for widens to its week, and the table says so.
    assert "Statistics by week and intent (from 2026-10-26 to 2026-11-15)" in table.stdout
    assert "shown: whole weeks from 2026-10-26 to 2026-11-15" in table.stdout
    check_rows(parse_table(table.stdout), COMPLEMENT_HIDDEN)
    as_csv = safebot("stats", "--format", "csv", env=env)
    check_rows(list(csv.DictReader(io.StringIO(as_csv.stdout))), COMPLEMENT_HIDDEN)
    as_json = safebot("stats", "--format", "json", "--by", "intent", env=env)
    document = json.loads(as_json.stdout)
    assert document["min_cell_users"] == 5 and "subtract" in document["suppression"]
    assert "at most 3" in document["perturbation"]
    check_rows(document["rows"], COMPLEMENT_HIDDEN)
    by_month = safebot("stats", "--period", "month", "--by", "country", env=env)
    assert by_month.returncode == 0 and "2026-11-01  GB" in by_month.stdout
    bad = safebot("stats", "--since", "yesterday", env=env)
    assert bad.returncode == 2 and "not a date like" in bad.stderr
    small = safebot("stats", env={**env, "SAFEBOT_MIN_CELL_USERS": "2"})
    assert small.returncode == 2 and "min_cell_users" in small.stderr


def test_train_shows_progress_compares_and_installs(tmp_path: Path) -> None:
    env = {"SAFEBOT_DATA_DIR": str(tmp_path)}
    result = safebot("train", "--locale", "en", env=env)
    assert result.returncode == 0, result.stderr
    assert "training en" in result.stderr  # the progress bar
    assert "macro-F1" in result.stdout and "The new model is in service now" in result.stdout
    assert (tmp_path / "models" / "spacy-en" / "safebot-meta.json").is_file()


def test_train_refuses_a_model_that_is_worse_for_children(tmp_path: Path, models_dir: Path) -> None:
    nlu = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu", nlu, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    env = {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_NLU_DIR": str(nlu)}
    # The model in service: the session's, trained from the same data.
    shutil.copytree(models_dir / "spacy-en", tmp_path / "models" / "spacy-en")
    # An editing mistake: most grooming examples deleted. (Deleting the self-harm examples no
    # longer shows: the crisis net and the risk model carry every self-harm test message.)
    path = nlu / "training" / "en" / "grooming.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:8]) + "\n", encoding="utf-8")
    before = (tmp_path / "models" / "spacy-en" / "safebot-meta.json").read_text()
    result = safebot("train", "--locale", "en", env=env)
    assert result.returncode == 1
    assert "The new model was NOT installed, because:" in result.stdout
    assert "risk recall drops" in result.stdout
    assert (tmp_path / "models" / "spacy-en" / "safebot-meta.json").read_text() == before


def _editable_nlu(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    nlu = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu", nlu, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return nlu, {"SAFEBOT_DATA_DIR": str(tmp_path), "SAFEBOT_NLU_DIR": str(nlu)}


def test_train_names_a_broken_training_file_without_a_traceback(tmp_path: Path) -> None:
    nlu, env = _editable_nlu(tmp_path)
    path = nlu / "training" / "en" / "grooming.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "  - an example that lost its indentation")  # the editor's slip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = safebot("train", "--locale", "en", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "Nothing was trained" in result.stderr
    assert "ERROR nlu/training/en/grooming.yml, line 6:" in result.stderr  # as the editor sees it
    assert str(tmp_path) not in result.stderr
    assert not (tmp_path / "models" / "spacy-en").exists()


def test_train_refuses_a_test_message_copied_into_the_training_data(tmp_path: Path) -> None:
    nlu, env = _editable_nlu(tmp_path)
    copied = read_crisis_file(nlu / "testsets" / "en" / "crisis_a.yml")[0].text
    path = nlu / "training" / "en" / "self_harm.yml"
    text = path.read_text(encoding="utf-8")
    marker = "  examples: |\n"
    assert marker in text
    path.write_text(text.replace(marker, f"{marker}    - {copied}\n", 1), encoding="utf-8")
    result = safebot("train", "--locale", "en", env=env)
    assert result.returncode == 2
    assert "Nothing was trained" in result.stderr and "nearly copies" in result.stderr
    assert "crisis_a.yml" in result.stderr
    assert not (tmp_path / "models" / "spacy-en").exists()
