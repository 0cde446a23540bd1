"""``safebot content check``: the real content passes; each mistake gets a plain message."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.content import Emergency, Helpline, load_content
from bot.content.checks import check_all, check_training_data
from bot.content.reviewing import add_review
from bot.settings import PROJECT_ROOT

#: Reads or stores times: also run with the system clock a year ahead (scripts/test.sh).
#: Tests that read or store times are marked ``time_sensitive`` (rerun a year ahead).

CONTENT = PROJECT_ROOT / "content"
RULES = PROJECT_ROOT / "nlu" / "crisis_rules"


@pytest.mark.time_sensitive
def test_the_shipped_content_has_no_errors() -> None:
    problems = check_all(CONTENT, RULES)
    assert [str(p) for p in problems if p.severity == "error"] == []
    content, _ = load_content(CONTENT)
    assert content is not None
    assert len([c for c in content.countries if c != "INT"]) >= 20
    for code in ("RU", "UA", "TR", "KZ", "SG", "PH", "TH", "IN", "GB", "US", "DE", "INT"):
        assert code in content.countries, code


@pytest.mark.time_sensitive
def test_every_fact_has_a_source_date_and_mark() -> None:
    content, _ = load_content(CONTENT)
    assert content is not None
    for country in content.countries.values():
        facts: tuple[Helpline | Emergency, ...] = (*country.helplines, country.emergency)
        for fact in facts:
            assert fact.provenance.source, fact
            assert fact.provenance.checked_on.year >= 2026, fact


@pytest.fixture
def editable(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


#: The day these checks run on, whatever the machine's clock says.
TODAY = dt.date(2026, 11, 30)


#: Every missing-review message ends with the command that adds a review.
REVIEW_COMMAND = "safebot content review"


def messages(directory: Path, *, reviews: bool = False) -> list[str]:
    """The errors of a content folder; those about reviews only when ``reviews`` is set.

    Most tests edit an answer to make one mistake; the edit also makes the answer unreviewed,
    which the review tests below check on their own.
    """
    return [
        str(p)
        for p in check_all(directory, RULES, today=TODAY)
        if p.severity == "error" and (reviews or REVIEW_COMMAND not in p.message)
    ]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_missing_answer(editable: Path) -> None:
    (editable / "en" / "answers" / "thanks.yml").unlink()
    assert messages(editable) == [
        f"ERROR 'en' has no answer for 'thanks': create {editable / 'en' / 'answers' / 'thanks.yml'}"
    ]


def test_button_to_nowhere(editable: Path) -> None:
    path = editable / "en" / "answers" / "grooming.yml"
    replace(path, "answer: block_report", "answer: block_reprot")
    line = line_of(path, "answer: block_reprot") - 1
    assert messages(editable) == [
        f"ERROR content/en/answers/grooming.yml, line {line}: the button 'How do I block and report?' "
        "points to 'block_reprot', but there is no answer with that name"
    ]


def test_broken_yaml_names_the_line(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    path.write_text("id: thanks\ntitle: Thanks\ntext: [oops\n", encoding="utf-8")
    assert messages(editable) == [
        "ERROR content/en/answers/thanks.yml, line 4: the file could not be read: a list in "
        "square brackets [ ... ] is not closed. Add the missing ']' (or remove the '[')."
    ]


def test_unclosed_quote_names_its_own_line(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('title: "', 'title: "Thanks ', 1).replace('"\ntext:', "\ntext:", 1),
        encoding="utf-8",
    )
    assert messages(editable) == [
        f"ERROR content/en/answers/thanks.yml, line {line_of(path, 'title:')}: the file could not "
        'be read: a quote (") opened on this line is never closed. Close the quote.'
    ]


def test_markup_telegram_would_refuse(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("text: |\n  ", "text: |\n  <u>Hey</u> <b>open ", 1), encoding="utf-8"
    )
    found = messages(editable)
    line = line_of(path, "text: |")
    assert (
        f"ERROR content/en/answers/thanks.yml, line {line}: answer 'thanks': the tag <u> cannot be used; only <a>, <b>, <i> can"
        in found
    )
    assert (
        f"ERROR content/en/answers/thanks.yml, line {line}: answer 'thanks': <b> is opened but never closed"
        in found
    )


def test_escalating_answer_without_helpline(editable: Path) -> None:
    replace(
        editable / "en" / "answers" / "grooming.yml", "escalation: helpline", "escalation: none"
    )
    assert messages(editable) == [
        "ERROR content/en/answers/grooming.yml, line 1: answer 'grooming' is about a serious risk and "
        "must show a helpline (escalation: helpline, crisis or emergency)"
    ]


def test_unknown_country_in_a_route(editable: Path) -> None:
    path = editable / "reporting.yml"
    replace(path, "countries: [GB]", "countries: [UK]")
    line = line_of(path, "countries: [UK]")
    assert messages(editable) == [
        f"ERROR content/reporting.yml, line {line}: route 'report_remove' names the country 'UK', which is not in helplines.yml"
    ]


@pytest.mark.time_sensitive
def test_helpline_without_date(editable: Path) -> None:
    path = editable / "helplines.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("checked_on: 2026-11-23", "checked_on: last week", 1), encoding="utf-8"
    )
    line = line_of(path, "checked_on: last week")
    assert messages(editable) == [
        f"ERROR content/helplines.yml, line {line}: GB helpline 'Childline': 'checked_on' must be a date written as YYYY-MM-DD"
    ]
    assert not [w for w in warnings_of(editable) if "days ago" in w]


def test_a_country_needs_a_childrens_line_and_an_emergency_number(editable: Path) -> None:
    path = editable / "helplines.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    gb = lines.index("  GB:")
    start = next(i for i in range(gb, len(lines)) if lines[i] == "    emergency:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("      "))
    kept = [*lines[:start], *lines[end:]]
    kept = [
        line.replace("for_children: true", "for_children: false") if gb < n < start else line
        for n, line in enumerate(kept)
    ]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert messages(editable) == [
        f"ERROR content/helplines.yml, line {gb + 1}: GB has no helpline marked 'for_children: true'",
        f"ERROR content/helplines.yml, line {gb + 1}: GB needs an 'emergency:' entry with a 'number'",
    ]
    # The missing entry is one error, not also a warning that it was checked 739,952 days ago.
    assert not [w for w in warnings_of(editable) if "GB emergency number" in w]


def test_the_facts_sheets_spelling_of_a_mark_is_accepted(editable: Path) -> None:
    path = editable / "helplines.yml"
    text = path.read_text(encoding="utf-8")
    assert "verification: secondary" in text
    path.write_text(
        text.replace("verification: secondary", "verification: verified-secondary"),
        encoding="utf-8",
    )
    assert messages(editable) == []
    path.write_text(text.replace("verification: secondary", "verification: sure", 1), "utf-8")
    assert len(messages(editable)) == 1 and "verification must be one of" in messages(editable)[0]


def test_placeholder_the_bot_cannot_fill(editable: Path) -> None:
    path = editable / "en" / "ui.yml"
    replace(path, "I'll show you helplines for {country}.", "I'll show you helplines for {land}.")
    line = line_of(path, "{land}")
    assert messages(editable) == [
        f"ERROR content/en/ui.yml, line {line}: 'country_saved' uses {{land}}, which the bot cannot fill in (allowed: {{country}})"
    ]


def test_too_long_for_a_phone_screen(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("text: |\n", "text: |\n  " + "blah " * 160 + "\n", 1), encoding="utf-8"
    )
    found = messages(editable)
    assert any("keep it under 700 so it fits a phone screen" in f for f in found), found


def test_duplicate_key(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    path.write_text(path.read_text(encoding="utf-8") + "escalation: none\n", encoding="utf-8")
    last_line = len(path.read_text(encoding="utf-8").splitlines())
    assert messages(editable) == [
        f"ERROR content/en/answers/thanks.yml, line {last_line}: 'escalation' appears twice; "
        "only the last one would be used"
    ]


# -- rules of the content policy (issue: content editors) ----------------------------------


def warnings_of(directory: Path) -> list[str]:
    return [str(p) for p in check_all(directory, RULES, today=TODAY) if p.severity == "warning"]


def set_text(path: Path, new_text: str) -> None:
    """Replace an answer's text block, keeping the rest of the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("text: |"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    block = ["text: |", *("  " + part for part in new_text.splitlines())]
    path.write_text("\n".join([*lines[:start], *block, *lines[end:]]) + "\n", encoding="utf-8")


def test_blaming_phrase_is_refused(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    set_text(path, "You're welcome. You should have asked sooner, but I'm glad you did.")
    assert messages(editable) == [
        f"ERROR content/en/answers/thanks.yml, line {line_of(path, 'You should have')}: answer 'thanks' says "
        '"You should have", which can sound like blaming the child; say what they can do now instead'
    ]


#: Blame in other words, contractions, curly apostrophes and inflections: each refused.
BLAME = [
    ("en", "You should've told someone sooner. Here is what helps now."),
    ("en", "You shouldn’t have sent it. Here is what helps now."),  # a curly apostrophe
    ("en", "You ought to have known better. Here is what helps now."),
    ("ru", "Ты должна была понимать, чем это кончится. Вот что поможет."),
    ("uk", "Ти повинна була знати, чим це закінчиться. Ось що допоможе."),
    ("tr", "Bunu bilmeliydin. Şimdi yapabileceklerin şunlar."),
    ("en", "You shouldn't've trusted him. Here is what helps now."),
    ("ru", "Тебе не стоило отправлять фото. Вот что поможет."),
    ("uk", "Тобі не слід було відповідати. Ось що допоможе."),
    ("uk", "Ти мала знати, хто це. Ось що допоможе."),
    ("tr", "Onu göndermemeliydin. Şimdi ne yapabilirsin?"),
    ("tr", "Bu senin hatan. Şimdi yapabileceklerin şunlar."),
    ("en", "You shouldve known. Here is what helps now."),  # no apostrophe at all
    ("en", "You were being dumb, but here is what helps now."),
    ("en", "It's partly on you. Here is what helps now."),
    ("ru", "Тебе следовало подумать. Вот что поможет."),
    ("ru", "Не нужно было ему писать. Вот что поможет."),
    ("uk", "Не варто було йому писати. Ось що допоможе."),
]
#: Support said in words that blame phrases share ("not your fault", "you did not have to
#: endure it"): each accepted.
SUPPORT = [
    ("en", "It's not your fault. It is never your fault. Take care."),
    ("ru", "Ты не должна была это терпеть. Хорошо, что ты написала."),
    ("en", "It's on your side that we stand. Whatever you decide is up to you."),
    ("ru", "Тебе не нужно было это терпеть. Хорошо, что ты написала."),
    ("ru", "Тебе не нужно ничего доказывать. Хорошо, что ты написал."),
    ("uk", "Тобі не треба це терпіти. Добре, що ти написала."),
]


@pytest.mark.parametrize(
    ("locale", "text", "blames"),
    [(locale, text, True) for locale, text in BLAME]
    + [(locale, text, False) for locale, text in SUPPORT],
)
def test_blame_is_refused_in_any_words_and_support_is_not(
    editable: Path, locale: str, text: str, blames: bool
) -> None:
    set_text(editable / locale / "answers" / "thanks.yml", text)
    found = messages(editable)
    if blames:
        assert len(found) == 1 and "can sound like blaming the child" in found[0], found
    else:
        assert found == []


def test_self_harm_answer_must_not_mention_methods(editable: Path) -> None:
    path = editable / "en" / "answers" / "self_harm.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "Feelings like this can change", "Put away any pills. Feelings like this can change"
        ),
        encoding="utf-8",
    )
    assert messages(editable) == [
        f"ERROR content/en/answers/self_harm.yml, line {line_of(path, 'any pills')}: answer 'self_harm' mentions "
        '"pills"; safe-messaging rules forbid any detail about methods or places of self-harm'
    ]


@pytest.mark.parametrize(
    ("locale", "words", "found"),
    [
        ("en", "Some people jumped off somewhere high.", "jumped off"),
        ("en", "If someone hangs around, tell an adult.", "hangs"),
        ("ru", "Не ищи яда.", "яда"),
        ("uk", "Не ходи до мосту.", "мосту"),
        ("tr", "Hapları sakla.", "hapları"),
        ("tr", "İlaç dolabını kilitle.", "ilaç"),
        ("tr", "İple ilgili bir şey yapma.", "iple"),
    ],
)
def test_a_method_in_any_inflection_is_refused_in_a_self_harm_answer(
    editable: Path, locale: str, words: str, found: str
) -> None:
    path = editable / locale / "answers" / "self_harm.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("text: |"))
    lines.insert(start + 3, f"  {words}")  # after the opening lines of hope and help
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = messages(editable)
    assert any(
        f'mentions "{found}"' in problem and "safe-messaging" in problem for problem in problems
    ), problems


def test_not_your_mistake_is_not_blame(editable: Path) -> None:
    set_text(
        editable / "tr" / "answers" / "thanks.yml",
        "Bu senin hatan değil. Yazdığın için teşekkürler.",
    )
    set_text(
        editable / "uk" / "answers" / "thanks.yml",
        "Ти не мала знати, хто це. Добре, що ти написала.",
    )
    assert messages(editable) == []


def test_self_harm_answer_must_lead_with_hope_and_help(editable: Path) -> None:
    path = editable / "en" / "answers" / "self_harm.yml"
    set_text(
        path,
        "Read this carefully. This is very serious.\nCall the number below if you can. A person there can help.",
    )
    assert messages(editable) == [
        f"ERROR content/en/answers/self_harm.yml, line {line_of(path, 'text: |')}: answer 'self_harm' should start "
        "with hope and help (for example: glad, help, matter) in its first two sentences"
    ]


def test_hard_to_read_answer_is_refused(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    set_text(
        path,
        "Notwithstanding considerable organisational complexities, comprehensive institutional responsibilities regarding confidentiality are systematically acknowledged.",
    )
    found = messages(editable)
    assert len(found) == 1
    assert found[0].startswith(
        f"ERROR content/en/answers/thanks.yml, line {line_of(path, 'text: |')}: answer 'thanks' is too hard to read for ages 9-13 (flesch_kincaid_grade "
    )
    assert found[0].endswith("the limit is 7.5); use shorter sentences and simpler words")


def review_line(path: Path, who: str) -> int:
    return line_of(path, f'- by: "{who}')


def current_fingerprint(path: Path) -> str:
    """The fingerprint the answer's reviews carry (the text as shipped is reviewed)."""
    return next(
        line.split('"')[1]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("fingerprint:")
    )


@pytest.mark.time_sensitive
def test_every_answer_needs_a_review(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("reviews:")
    path.write_text(text[:start] + "reviews: []\n", encoding="utf-8")
    assert messages(editable, reviews=True) == [
        "ERROR content/en/answers/thanks.yml, line 1: answer 'thanks' has no review; ask a "
        'reviewer to read it and run: safebot content review thanks --locale en --by "YOUR NAME"'
    ]


@pytest.mark.time_sensitive
def test_serious_answers_need_two_different_reviewers(editable: Path) -> None:
    path = editable / "en" / "answers" / "grooming.yml"
    text = path.read_text(encoding="utf-8")
    mark = current_fingerprint(path)
    start = text.index("reviews:")
    path.write_text(
        text[:start]
        + f'reviews:\n  - by: Ana\n    on: 2026-11-23\n    fingerprint: "{mark}"\n'
        + f'  - by: ana\n    on: 2026-11-23\n    fingerprint: "{mark}"\n',
        encoding="utf-8",
    )
    assert messages(editable, reviews=True) == [
        "ERROR content/en/answers/grooming.yml, line 1: answer 'grooming' is about a serious "
        "risk and needs 2 different reviewers of its current text before it can be published "
        "(it has 1: Ana); ask another reviewer to run: safebot content review grooming "
        '--locale en --by "YOUR NAME"'
    ]


@pytest.mark.time_sensitive
def test_an_edit_that_keeps_written_on_is_not_reviewed(editable: Path) -> None:
    path = editable / "en" / "answers" / "grooming.yml"
    before = path.read_text(encoding="utf-8")
    replace(path, "Block and report them.", "Block them, then report them.")
    assert "written_on: 2026-11-23" in path.read_text(encoding="utf-8")  # untouched
    assert messages(editable, reviews=True) == [
        f"ERROR content/en/answers/grooming.yml, line "
        f"{review_line(path, 'AI reviewer B (child protection)')}: the text of answer "
        "'grooming' changed since AI reviewer A (safety and language) reviewed it on "
        "2026-11-23 and AI reviewer B (child protection) reviewed it on 2026-11-23; ask a "
        "reviewer to check it again (safebot content review grooming --locale en --by "
        '"YOUR NAME")'
    ]
    # A button a child taps is part of what was reviewed too.
    path.write_text(before.replace("How do I keep proof?", "How do I keep proof"), "utf-8")
    assert len(messages(editable, reviews=True)) == 1


def test_line_endings_and_trailing_spaces_keep_the_review(editable: Path) -> None:
    path = editable / "en" / "answers" / "grooming.yml"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("\n", "   \r\n").encode("utf-8"))
    assert messages(editable, reviews=True) == []


@pytest.mark.time_sensitive
def test_written_on_no_longer_decides(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    # The text is unchanged: a later written_on does not undo the review of this very text.
    replace(path, "written_on: 2026-11-23", "written_on: 2026-11-29")
    assert messages(editable, reviews=True) == []


@pytest.mark.time_sensitive
def test_a_review_of_an_earlier_text_does_not_count(editable: Path) -> None:
    path = editable / "en" / "answers" / "grooming.yml"
    replace(path, "Block and report them.", "Block them, then report them.")
    text = path.read_text(encoding="utf-8")
    start = text.index("reviews:")
    path.write_text(
        text[:start]
        + 'reviews:\n  - by: "Ana"\n    "on": 2026-11-23\n    fingerprint: "0123456789ab"\n',
        encoding="utf-8",
    )
    assert add_review(editable, "en", "grooming", by="Ben", on=TODAY).added
    assert messages(editable, reviews=True) == [
        "ERROR content/en/answers/grooming.yml, line 1: answer 'grooming' is about a serious "
        "risk and needs 2 different reviewers of its current text before it can be published "
        "(it has 1: Ben; Ana reviewed it on 2026-11-23, but the text changed since); ask "
        'another reviewer to run: safebot content review grooming --locale en --by "YOUR NAME"'
    ]


@pytest.mark.time_sensitive
def test_stale_helpline_is_a_warning_not_an_error(editable: Path) -> None:
    path = editable / "helplines.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("checked_on: 2026-11-23", "checked_on: 2024-01-02", 1), encoding="utf-8"
    )
    assert messages(editable) == []
    found = [w for w in warnings_of(editable) if "last checked" in w]
    assert found == [
        f"WARNING content/helplines.yml, line {line_of(path, 'name: Childline')}: GB helpline 'Childline' was last "
        f"checked {(TODAY - dt.date(2024, 1, 2)).days} days ago; "
        "check it again on the operator's site and update checked_on"
    ]


def test_enabled_language_must_exist(editable: Path) -> None:
    replace(editable / "policy.yml", "locales: [en, ru, uk, tr]", "locales: [en, ru, uk, tr, kk]")
    assert messages(editable) == [
        f"ERROR policy.yml enables the language 'kk', but {editable / 'kk' / 'ui.yml'} does not exist"
    ]


def test_a_test_message_copied_into_the_training_data_is_an_error(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu" / "training", nlu / "training")
    shutil.copytree(PROJECT_ROOT / "nlu" / "testsets", nlu / "testsets")
    assert check_training_data(nlu / "training", nlu / "testsets") == []
    test_message = "i want to talk to an actual person about my account getting hacked"
    (nlu / "testsets" / "en" / "test_extra.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: human\n  examples: |\n    - {test_message}\n',
        encoding="utf-8",
    )
    human = nlu / "training" / "en" / "human.yml"
    lines = human.read_text(encoding="utf-8").rstrip("\n").split("\n")
    human.write_text(
        "\n".join(
            [*lines, "    - I want to talk to an ACTUAL person about my account getting hacked!"]
        )
        + "\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in check_training_data(nlu / "training", nlu / "testsets")]
    assert problems == [
        f"ERROR {human}, line {len(lines) + 1}: the training example 'I want to talk to an "
        "ACTUAL person about my account getting hacked!' nearly copies a message of the test "
        "file test_extra.yml: write your own wording, or the test figures stop meaning anything"
    ]


def test_an_example_one_model_would_read_twice_is_an_error(tmp_path: Path) -> None:
    training = tmp_path / "training"
    shutil.copytree(PROJECT_ROOT / "nlu" / "training" / "en", training / "en")
    assert check_training_data(training, tmp_path / "testsets") == []
    # The topic folder and the top level both feed the topic classifier: a repeat is an error.
    everyday = training / "en" / "topic" / "everyday.yml"
    greet = training / "en" / "greet.yml"
    first = next(
        (n, line.strip()[2:])
        for n, line in enumerate(greet.read_text(encoding="utf-8").splitlines(), start=1)
        if line.startswith("    - ")
    )
    lines = everyday.read_text(encoding="utf-8").rstrip("\n").split("\n")
    everyday.write_text("\n".join([*lines, f"    - {first[1].upper()}"]) + "\n", encoding="utf-8")
    # The same words in the role folder teach another model: allowed.
    role = training / "en" / "role" / "role.yml"
    role_lines = role.read_text(encoding="utf-8").rstrip("\n").split("\n")
    role.write_text("\n".join([*role_lines, f"    - {first[1]}"]) + "\n", encoding="utf-8")
    problems = [str(p) for p in check_training_data(training, tmp_path / "testsets")]
    assert problems == [
        f"ERROR {everyday}, line {len(lines) + 1}: the training example '{first[1].upper()}' is "
        f"already in greet.yml, line {first[0]}, and the topic model reads both: remove one "
        "(a repeated example counts twice in training)"
    ]


def privacy_training(tmp_path: Path, examples: str) -> Path:
    """A training folder with one English file of privacy ``examples`` (its lines as written)."""
    training = tmp_path / "training"
    (training / "en").mkdir(parents=True)
    (training / "en" / "privacy.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: privacy\n  examples: |\n{examples}', encoding="utf-8"
    )
    return training


def test_broken_training_data_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    training = privacy_training(tmp_path, "    - one\n  - two\n")
    problems = check_training_data(training, tmp_path / "testsets")
    assert len(problems) == 1 and "privacy.yml, line 6:" in problems[0].message
    assert "not valid YAML" in problems[0].message and "indented" in problems[0].message


def test_an_example_that_lost_all_its_indentation_is_an_error(tmp_path: Path) -> None:
    """Still valid YAML, but every example after it would silently be lost."""
    training = privacy_training(tmp_path, "    - how do i hide my age\n- who sees my stories\n")
    problems = [str(p) for p in check_training_data(training, tmp_path / "testsets")]
    assert len(problems) == 1 and "privacy.yml, line 6: this example is not indented" in problems[0]


def test_a_broken_crisis_test_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    training = privacy_training(tmp_path, "    - how do i hide my age\n")
    (tmp_path / "testsets" / "en").mkdir(parents=True)
    (tmp_path / "testsets" / "en" / "crisis_z.yml").write_text(
        "messages:\n- text: i want to die\n  expect: maybe\n", encoding="utf-8"
    )
    problems = check_training_data(training, tmp_path / "testsets")
    assert len(problems) == 1 and "crisis_z.yml" in problems[0].message
    assert "expect" in problems[0].message


def test_a_role_answer_missing_in_one_language_names_the_roles_file_line(editable: Path) -> None:
    (editable / "tr" / "answers" / "parent_grooming.yml").unlink()
    roles = editable / "roles.yml"
    assert messages(editable) == [
        f"ERROR content/roles.yml, line {line_of(roles, 'grooming: parent_grooming')}: parent: the answer "
        f"'parent_grooming' does not exist in 'tr': create "
        f"{editable / 'tr' / 'answers' / 'parent_grooming.yml'}"
    ]


def test_an_unknown_role_or_topic_in_the_roles_file(editable: Path) -> None:
    roles = editable / "roles.yml"
    replace(roles, "      self_harm: friend_self_harm", "      selfharm: friend_self_harm")
    replace(roles, "  bully:", "  uncle:")
    found = messages(editable)
    assert any("'selfharm' is not a topic" in m for m in found), found
    assert any("'uncle' is not a role" in m for m in found), found
    assert any("the role 'bully' is missing" in m for m in found), found


def test_every_narrower_topic_needs_its_answer_in_every_language(editable: Path) -> None:
    (editable / "uk" / "answers" / "doxxing.yml").unlink()
    assert messages(editable) == [
        f"ERROR 'uk' has no answer for 'doxxing': create {editable / 'uk' / 'answers' / 'doxxing.yml'}"
    ]


# -- line numbers an editor can trust (issue #16) --------------------------------------------


def test_a_blame_phrase_deep_in_a_text_block_is_reported_on_its_own_line(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    set_text(
        path,
        "You're welcome!\n\nI'm glad I could help.\nWrite again any time.\n"
        "If it happens again, tell someone.\nYou should have asked sooner, though.",
    )
    assert line_of(path, "text: |") == 3 and line_of(path, "You should have") == 9
    assert messages(editable) == [
        "ERROR content/en/answers/thanks.yml, line 9: answer 'thanks' says \"You should have\", "
        "which can sound like blaming the child; say what they can do now instead"
    ]


def unindent(path: Path, needle: str) -> int:
    """Move the text line holding ``needle`` to the left margin; its line number."""
    line = line_of(path, needle)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line - 1] = lines[line - 1].lstrip()
    path.write_text("\n".join(lines), encoding="utf-8")
    return line


UNINDENTED = (
    "the file could not be read: this line is not indented like the text above it. Every "
    "line of a text block starts with two spaces; a new field needs 'name: value'."
)


def test_an_unindented_text_line_is_reported_where_it_is(editable: Path) -> None:
    path = editable / "en" / "answers" / "thanks.yml"
    set_text(
        path,
        "You're welcome!\nI'm glad I could help.\nWrite again any time.\n"
        "If something feels wrong,\nit's never too small to talk about.\nTake care.",
    )
    line = unindent(path, "it's never too small")
    assert line == 8
    assert messages(editable) == [f"ERROR content/en/answers/thanks.yml, line 8: {UNINDENTED}"]


def test_an_unindented_line_with_a_colon_is_reported_where_it_is(editable: Path) -> None:
    path = editable / "en" / "answers" / "block_report.yml"
    line = unindent(path, "• First, if you might need proof")
    # The next line ("• Block: they can't ...") is where the parser gives up.
    assert messages(editable) == [
        f"ERROR content/en/answers/block_report.yml, line {line}: {UNINDENTED}"
    ]


def test_one_unreadable_file_gives_one_error_not_knock_on_errors(editable: Path) -> None:
    """Buttons, topics and roles naming the unreadable answer are not reported missing."""
    (editable / "en" / "answers" / "trusted_adult.yml").write_text(
        "id: trusted_adult\ntext: [oops\n", encoding="utf-8"
    )
    (editable / "en" / "answers" / "parent_general.yml").write_text(
        "id: parent_general\ntext: [oops\n", encoding="utf-8"
    )
    found = messages(editable)
    assert [m.split(":")[0] for m in found] == [
        "ERROR content/en/answers/parent_general.yml, line 3",
        "ERROR content/en/answers/trusted_adult.yml, line 3",
    ], found


def test_an_unreadable_shared_file_gives_one_error(editable: Path) -> None:
    path = editable / "reporting.yml"
    path.write_text("routes: [oops\n", encoding="utf-8")
    found = messages(editable)
    assert len(found) == 1 and found[0].startswith("ERROR content/reporting.yml, line 2:"), found


def test_the_unreviewed_answers_setting_is_checked(editable: Path) -> None:
    path = editable / "policy.yml"
    replace(path, "unreviewed_answers: refuse_publish", "unreviewed_answers: sometimes")
    assert messages(editable) == [
        f"ERROR content/policy.yml, line {line_of(path, 'unreviewed_answers:')}: "
        "unreviewed_answers must be refuse_publish or keep_last_reviewed, not 'sometimes'"
    ]


def test_nlu_and_crisis_rule_files_are_named_as_the_editor_sees_them(
    editable: Path, tmp_path: Path
) -> None:
    """``nlu/training/en/…``, as content files are named, not a path only this machine has."""
    nlu = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu" / "crisis_rules", nlu / "crisis_rules")
    privacy_training(nlu, "    - one\n  - two\n")
    with (nlu / "crisis_rules" / "en.yml").open("a", encoding="utf-8") as rules:
        rules.write("  - broken: [\n")
    found = [
        str(p)
        for p in check_all(editable, nlu / "crisis_rules", today=TODAY, nlu_dir=nlu)
        if p.severity == "error" and REVIEW_COMMAND not in p.message
    ]
    assert len(found) == 2, found
    assert found[0].startswith("ERROR nlu/crisis_rules/en.yml, line ") and "indented" in found[0]
    assert found[1].startswith("ERROR nlu/training/en/privacy.yml, line 6: ")
    assert str(tmp_path) not in "\n".join(found)
