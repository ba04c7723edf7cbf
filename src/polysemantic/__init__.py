"""polysemantic: the library behind the course on polysemanticity and superposition.

    from polysemantic import check, score, needs_answer   # in every exercise notebook
    from polysemantic import figures                      # every figure, one look
    from polysemantic.monosemanticity import ...          # chapter 01
"""

from polysemantic.grading import check, needs_answer, score

__version__ = "0.1.0"
__all__ = ["check", "needs_answer", "score"]
