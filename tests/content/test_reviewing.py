"""``safebot content review``: one review added, with today's date and the text's fingerprint."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.content import Answer, load_content
from bot.content.answers import load_answer
from bot.content.collector import Collector
from bot.content.fingerprint import fingerprint
from bot.content.reviewing import add_review
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"


@pytest.fixture
def editable(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def answer_of(root: Path, path: Path) -> Answer:
    c = Collector(root)
    answer = load_answer(c, path)
    assert answer is not None, c.problems
    return answer


#: An answer file as an editor keeps it: comments above, inside and after the reviews.
COMMENTED = """\
# Reviewed with the NGO in November; ask Ana before changing the second bullet.
{body}
reviews:
  # the first two reviews were done together
  - by: "AI reviewer A (safety and language)"
    "on": 2026-11-23
    fingerprint: "{old}"   # of the first draft
  - by: "AI reviewer B (child protection)"
    "on": 2026-11-23
    fingerprint: "{old}"
# Next review due in spring.
"""


def commented_answer(root: Path) -> Path:
    path = root / "en" / "answers" / "grooming.yml"
    text = path.read_text(encoding="utf-8")
    body = (
        text[: text.index("reviews:")]
        .rstrip("\n")
        .replace("Block and report them.", "Block them, then report them.")
    )
    path.write_text(COMMENTED.format(body=body, old="0123456789ab"), encoding="utf-8")
    return path


@pytest.mark.time_sensitive
def test_the_command_keeps_comments_and_adds_exactly_one_review(
    editable: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = commented_answer(editable)
    before = path.read_text(encoding="utf-8").splitlines()
    mark = fingerprint(answer_of(editable, path))
    monkeypatch.setenv("SAFEBOT_CONTENT_DIR", str(editable))
    args = ["content", "review", "grooming", "--locale", "en", "--by", "Ana (child protection)"]

    assert main(args) == 0

    after = path.read_text(encoding="utf-8").splitlines()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    added = [
        '  - by: "Ana (child protection)"',
        f'    "on": {today}',
        f'    fingerprint: "{mark}"',
    ]
    # Every line of the editor's file is still there, in order, with the review after the
    # last one and before the trailing comment.
    assert after == [*before[:-1], *added, before[-1]]
    reviews = answer_of(editable, path).reviews
    assert [(r.by, r.fingerprint) for r in reviews][-1] == ("Ana (child protection)", mark)
    out = capsys.readouterr().out
    assert f"Review added at content/en/answers/grooming.yml, line {len(before)}:" in out
    assert "has 1 of the 2 different reviewers it needs" in out

    # The same reviewer again: nothing is added.
    assert main(args) == 0
    assert path.read_text(encoding="utf-8").splitlines() == after
    assert "has already reviewed this text" in capsys.readouterr().out


def test_two_reviewers_make_an_edited_answer_publishable_again(editable: Path) -> None:
    today = dt.date(2026, 11, 30)
    commented_answer(editable)
    content, _ = load_content(editable, today=today)
    assert content is None  # the edit is not reviewed
    add_review(editable, "en", "grooming", by="Ana", on=today)
    assert load_content(editable, today=today)[0] is None  # one of two
    add_review(editable, "en", "grooming", by="Ben", on=today)
    content, problems = load_content(editable, today=today)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert content is not None
    assert "Block them, then report them." in content.locales["en"].answers["grooming"].text


def test_a_file_without_reviews_gets_its_first(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("reviews:")] + "reviews: []  # none yet\n", "utf-8")
    result = add_review(editable, "en", "thanks", by="Ana", on=dt.date(2026, 11, 30))
    assert result.added and result.reviewers == ("Ana",) and result.needed == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[-4:] == [
        "reviews:",
        '  - by: "Ana"',
        '    "on": 2026-11-30',
        f'    fingerprint: "{result.fingerprint}"',
    ]


def test_a_broken_file_is_not_reviewed(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    path.write_text("id: thanks\ntext: [oops\n", encoding="utf-8")
    assert (
        main(
            ["content", "review", "thanks", "--locale", "en", "--by", "Ana", "--dir", str(editable)]
        )
        == 2
    )
    assert path.read_text(encoding="utf-8") == "id: thanks\ntext: [oops\n"
