"""The course's questions, listed in one place, and the notebook's `check` bound to them.

    from polysemantic import check, score, needs_answer

The grading engine (`polysemantic.grading`) knows no chapter; this module is
where the course hands its questions to it. Add a chapter's questions here.
"""

from polysemantic.grading import Checker, QuestionBank
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

COURSE = QuestionBank(
    [
        *monosemanticity.QUESTIONS,  # 01
        *polysemanticity.QUESTIONS,  # 02
        *capacity.QUESTIONS,  # 03
        *radio_stations.QUESTIONS,  # 04
        *directions.QUESTIONS,  # 05
        *superposition.QUESTIONS,  # 06
        *why_it_matters.QUESTIONS,  # 07
        *sparse_autoencoders.QUESTIONS,  # 08
    ],
    import_path="polysemantic.course:COURSE",
)

checker = Checker(COURSE)  # this session's results, for `score`
check = checker.check
score = checker.score
needs_answer = checker.needs_answer
