"""The course's questions, listed in one place, and the notebook's `check` bound to them.

    from polysemantic import check, quiz, score, needs_answer

The grading engine (`polysemantic.grading`) knows no chapter; this module is
where the course hands its questions to it. Add a chapter's questions here.
"""

from polysemantic.grading import Checker, QuestionBank
from polysemantic.grading.quiz import Quiz, QuizSheet
from polysemantic.questions import (
    capacity,
    directions,
    monosemanticity,
    polysemanticity,
    radio_stations,
    sparse_autoencoders,
    superposition,
    why_it_matters,
)

CHAPTERS = (
    monosemanticity,  # 01
    polysemanticity,  # 02
    capacity,  # 03
    radio_stations,  # 04
    directions,  # 05
    superposition,  # 06
    why_it_matters,  # 07
    sparse_autoencoders,  # 08
)

# Every chapter's check of understanding, by chapter number: the book's pages show them all.
QUIZZES: dict[str, Quiz] = {chapter.QUIZ.chapter: chapter.QUIZ for chapter in CHAPTERS}

COURSE = QuestionBank(
    [
        *monosemanticity.QUESTIONS,  # 01
        monosemanticity.QUIZ_QUESTION,
        *polysemanticity.QUESTIONS,  # 02
        polysemanticity.QUIZ_QUESTION,
        *capacity.QUESTIONS,  # 03
        capacity.QUIZ_QUESTION,
        *radio_stations.QUESTIONS,  # 04
        radio_stations.QUIZ_QUESTION,
        *directions.QUESTIONS,  # 05
        directions.QUIZ_QUESTION,
        *superposition.QUESTIONS,  # 06
        superposition.QUIZ_QUESTION,
        *why_it_matters.QUESTIONS,  # 07
        why_it_matters.QUIZ_QUESTION,
        *sparse_autoencoders.QUESTIONS,  # 08
        sparse_autoencoders.QUIZ_QUESTION,
    ],
    import_path="polysemantic.course:COURSE",
)

checker = Checker(COURSE)  # this session's results, for `score`
check = checker.check
score = checker.score
needs_answer = checker.needs_answer


def quiz(chapter: str) -> QuizSheet:
    """A chapter's check of understanding, shown in a notebook: questions and numbered
    options, no answers. Answer it with `check_your_understanding`."""
    if chapter not in QUIZZES:
        raise KeyError(f"no quiz for chapter {chapter!r}; chapters: {', '.join(QUIZZES)}")
    return QuizSheet(QUIZZES[chapter])
