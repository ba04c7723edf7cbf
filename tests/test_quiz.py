"""Check your understanding: the quiz data, the graded question it makes, and its HTML."""

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from polysemantic import course
from polysemantic.authoring.quiz import quiz_html
from polysemantic.grading import Checker, QuestionBank, Status, grade
from polysemantic.grading.quiz import POINTS, Option, Quiz, QuizItem, QuizSheet

ROOT = Path(__file__).resolve().parents[1]
QUIZZES = list(course.QUIZZES.values())
CHAPTER_IDS = [quiz.chapter for quiz in QUIZZES]
# Every chapter's quiz question, listed in the course or not yet (02 and 08 wait for
# their notebooks), in a bank of their own.
QUIZ_QUESTIONS = {module.QUIZ.chapter: module.QUIZ_QUESTION for module in course.CHAPTERS}
run_check = Checker(QuestionBank(QUIZ_QUESTIONS.values(), "tests.test_quiz:BANK")).run_check


def _items(chapter: str) -> tuple[QuizItem, ...]:
    return course.QUIZZES[chapter].items


# --- the data ---------------------------------------------------------------


def test_every_chapter_has_a_quiz_of_three_to_five_items():
    assert CHAPTER_IDS == [f"{n:02d}" for n in range(1, 9)]
    for quiz in QUIZZES:
        assert 3 <= len(quiz.items) <= 5, quiz.chapter


@pytest.mark.parametrize("chapter", CHAPTER_IDS)
def test_every_option_is_explained_and_exactly_one_is_right(chapter):
    for item in _items(chapter):
        assert len(item.options) >= 3, item.prompt
        assert sum(option.right for option in item.options) == 1, item.prompt
        explanations = [option.why.strip() for option in item.options]
        assert all(len(why) > 20 for why in explanations), item.prompt
        assert len(set(explanations)) == len(explanations), item.prompt
        assert len({option.text for option in item.options}) == len(item.options)


@pytest.mark.parametrize("chapter", CHAPTER_IDS)
def test_every_item_targets_a_misconception_and_rests_on_the_page(chapter):
    for item in _items(chapter):
        wrong = [option for option in item.options if not option.right]
        assert any(option.misconception for option in wrong), item.prompt
        assert item.evidence, f"{item.prompt!r} names nothing on the page it rests on"


def test_the_right_option_is_not_always_in_the_same_place():
    places = Counter(item.answer for quiz in QUIZZES for item in quiz.items)
    assert len(places) >= 3 and max(places.values()) < 0.5 * sum(places.values()), places


def test_a_malformed_item_is_refused():
    right, wrong = Option("a", "because", right=True), Option("b", "because not")
    with pytest.raises(ValueError, match="exactly one option must be right"):
        QuizItem("two right?", (right, right, wrong))
    with pytest.raises(ValueError, match="exactly one option must be right"):
        QuizItem("none right?", (wrong, Option("c", "nor this")))
    with pytest.raises(ValueError, match="no explanation"):
        QuizItem("unexplained?", (right, Option("b", " ")))
    with pytest.raises(ValueError, match="holds no misconception"):
        QuizItem("?", (Option("a", "yes", right=True, misconception="x"), wrong))
    item = QuizItem("fine?", (right, wrong))
    with pytest.raises(ValueError, match="3 to 5 items"):
        Quiz("09", (item, item))
    with pytest.raises(ValueError, match="3 to 5 items"):
        Quiz("09", (item,) * 6)


def test_the_notebook_sheet_shows_questions_and_numbered_options_but_no_answers():
    quiz = course.QUIZZES["06"]
    sheet = course.quiz("06")
    assert isinstance(sheet, QuizSheet)
    for text in (sheet._repr_markdown_(), repr(sheet)):
        for k, item in enumerate(quiz.items, start=1):
            assert item.prompt in text and f"{k}" in text
            for n, option in enumerate(item.options, start=1):
                assert f"{n}. {option.text}" in text or f"{n}) {option.text}" in text
                assert option.why not in text


# --- the graded question -----------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTER_IDS)
def test_the_right_choices_earn_full_marks(chapter):
    question = QUIZ_QUESTIONS[chapter]
    assert question.id == f"{chapter}.check_your_understanding"
    assert question.reference() == course.QUIZZES[chapter].answers()
    result = run_check(question.id, question.reference)
    assert result.points == question.points == POINTS
    assert len(result.cases) == len(_items(chapter))
    assert {case.status for case in result.cases} == {Status.PASSED}


@pytest.mark.parametrize("chapter", CHAPTER_IDS)
def test_each_wrong_choice_loses_its_item_and_shows_its_explanation(chapter):
    question, items = QUIZ_QUESTIONS[chapter], _items(chapter)
    for k, item in enumerate(items):
        for number, option in enumerate(item.options, start=1):
            if option.right:
                continue
            choices = course.QUIZZES[chapter].answers()
            choices[k] = number
            result = run_check(question.id, lambda choices=choices: choices)
            assert result.points == 0 and result.status == Status.PARTIAL
            failed = [case for case in result.cases if case.status != Status.PASSED]
            assert [case.name for case in failed] == [f"question {k + 1}"]
            assert option.why in failed[0].message and option.text in failed[0].message
            if option.misconception:
                assert option.misconception in failed[0].hint
            else:
                assert failed[0].hint is None


def test_the_check_of_understanding_is_reported_but_scores_no_points():
    """Its answers are public (the page, the package, check()): a self-check only."""
    assert POINTS == 0
    for chapter in CHAPTER_IDS:
        assert QUIZ_QUESTIONS[chapter].points == 0
        others = [q for q in course.COURSE.for_chapter(chapter) if q.points > 0]
        assert others, chapter  # every chapter still has graded exercises


def test_a_blank_answer_is_not_attempted_and_scores_zero():
    def check_your_understanding():
        raise NotImplementedError("write your code here")

    result = run_check("06.check_your_understanding", check_your_understanding)
    assert result.points == 0 and result.status == Status.NOT_ATTEMPTED


@pytest.mark.parametrize(
    "answer, says",
    [
        ([2, 1], "one option number per question, a list of 5 numbers"),
        ([[3, 2, 3, 1, 2]], "one option number per question"),
        ([0, 1, 2, 0, 1], "numbered from 1"),
        ([9, 9, 9, 9, 9], "options 1 to"),
        ([2.5, 2, 3, 1, 2], "got 2.5"),
    ],
)
def test_malformed_choices_fail_with_a_message_that_says_why(answer, says):
    result = run_check("06.check_your_understanding", lambda: answer)
    assert result.status != Status.PASSED
    assert any(says in case.message for case in result.cases), [c.message for c in result.cases]


def test_the_grader_gives_the_same_verdict_as_check(tmp_path):
    """`polysemantic grade` (a separate process) judges the choices as `check` does."""
    quiz = course.QUIZZES["01"]
    choices = quiz.answers()
    wrong = next(n for n, o in enumerate(quiz.items[1].options, start=1) if o.misconception)
    choices[1] = wrong
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"def check_your_understanding():\n    return {choices}")]
    )
    nb.metadata["polysemantic"] = {"chapter": "01"}
    path = tmp_path / "01_student.ipynb"
    nbformat.write(nb, path)
    graded = grade.grade_notebook(path, course.COURSE).questions["01.check_your_understanding"]
    checked = run_check("01.check_your_understanding", lambda: choices)
    assert graded.points == checked.points == 0
    assert graded.status == checked.status == Status.PARTIAL
    assert [c.status for c in graded.cases] == [c.status for c in checked.cases]
    assert quiz.items[1].options[wrong - 1].why in graded.message


# --- the page's HTML -----------------------------------------------------------


class _Form(HTMLParser):
    """What a quiz's HTML holds: per question, its legend, inputs, labels and answers."""

    def __init__(self):
        super().__init__()
        self.items: list[dict] = []
        self.tags: Counter = Counter()
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] += 1
        classes = (attrs.get("class") or "").split()
        if "ps-quiz-item" in classes:
            self.items.append({"legend": "", "inputs": [], "labels": {}, "why": [], "live": 0})
        item = self.items[-1] if self.items else None
        if tag == "input":
            item["inputs"].append(attrs)
        elif tag == "label":
            self._label = attrs["for"]
            item["labels"][self._label] = ""
        elif tag == "li":
            item["why"].append({"right": "ps-quiz-right" in classes, "text": ""})
        if attrs.get("aria-live") == "polite":
            item["live"] += 1
        self._in.append(tag)

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if not self.items:
            return
        item = self.items[-1]
        if "legend" in self._in:
            item["legend"] += data
        if "label" in self._in:
            item["labels"][self._label] += data
        if "li" in self._in:
            item["why"][-1]["text"] += data


@pytest.mark.parametrize("chapter", CHAPTER_IDS)
def test_the_html_has_every_option_as_a_labelled_radio_and_every_explanation(chapter):
    quiz = course.QUIZZES[chapter]
    page = _Form()
    page.feed(quiz_html(quiz))
    assert len(page.items) == len(quiz.items)
    assert page.tags["fieldset"] == page.tags["legend"] == len(quiz.items)
    names = set()
    for item, parsed in zip(quiz.items, page.items, strict=True):
        assert item.prompt in parsed["legend"]
        assert parsed["live"] == 1
        assert [i["type"] for i in parsed["inputs"]] == ["radio"] * len(item.options)
        (name,) = {i["name"] for i in parsed["inputs"]}  # one group per question
        assert name not in names
        names.add(name)
        for number, (option, attrs, why) in enumerate(
            zip(item.options, parsed["inputs"], parsed["why"], strict=True), start=1
        ):
            assert attrs["value"] == str(number)
            assert option.text in parsed["labels"][attrs["id"]]
            assert option.why in why["text"] and option.text in why["text"]
            assert why["right"] == option.right
            assert ("✓ Right:" if option.right else "✗ Not right:") in why["text"]


def test_the_html_loads_nothing_and_escapes_the_text():
    text = quiz_html(course.QUIZZES["03"])
    for reference in ("<script", "src=", "href=", "http", "<img", "<link", "url("):
        assert reference not in text
    item = QuizItem("Is <b> bold?", (Option("<i>", "a & b", right=True), Option("x", "y z")))
    odd = quiz_html(Quiz("09", (item, item, item)))
    assert "<b>" not in odd and "&lt;b&gt;" in odd and "a &amp; b" in odd


def test_the_script_and_stylesheet_are_the_books_own_files():
    static = ROOT / "src" / "polysemantic" / "authoring" / "book_static"
    script = (static / "polysemantic-quiz.js").read_text(encoding="utf-8")
    style = (static / "polysemantic-quiz.css").read_text(encoding="utf-8")
    for text in (script, style):
        assert "http" not in text and "@import" not in text and "fetch(" not in text
    assert "ps-quiz-feedback" in script and "ps-quiz-right" in script
    assert "✓ right" in script and "✗ not right" in script  # said in words, not only colour


@pytest.mark.parametrize("stem", sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb")))
def test_the_course_grades_a_quiz_exactly_where_the_notebook_asks_it(stem):
    """A notebook with the quiz cell has its question in the course, and the other way
    round: otherwise the solution would miss points, or the grader a question."""
    nn = stem[:2]
    sources = [cell.source for cell in nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", 4).cells]
    asks = any(f'check("{nn}.check_your_understanding"' in source for source in sources)
    shows = any(f'quiz("{nn}")' in source for source in sources)
    listed = any(q.id == f"{nn}.check_your_understanding" for q in course.COURSE.all())
    assert asks == shows == listed
